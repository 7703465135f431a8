"""Exception classes: one per kind of failure, each also a builtin subclass.

Every class carries a stable ``exit_code`` the CLI uses, so scripts can tell a
bad input (3) from a face-less source (4) or a missing model file (5) without
parsing messages.
"""

from __future__ import annotations

from collections.abc import Iterable


class FaceswapError(Exception):
    """Base of every error faceswap raises on purpose (exit code 1)."""

    exit_code: int = 1

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return str(self.args[0]) if self.args else self.__class__.__name__


class ConfigError(FaceswapError, ValueError):
    """A configuration value, key, file or ``--set`` override is wrong (exit code 2)."""

    exit_code = 2


class PluginError(FaceswapError, RuntimeError):
    """A plugin failed to load, uses an unknown hook, or clashes with another (exit code 2)."""

    exit_code = 2


class ComponentClashError(PluginError):
    """Two plugins registered the same component name for the same kind."""


class MissingPluginError(ConfigError):
    """A config requires plugin distributions that are not installed."""


class UnknownComponentError(FaceswapError, KeyError):
    """A component name is not registered for its kind (exit code 2)."""

    exit_code = 2

    def __init__(
        self, kind: str, name: str, available: Iterable[str], hint: str | None = None
    ) -> None:
        self.kind = kind
        self.name = name
        self.available = tuple(available)
        self.hint = hint
        listing = ", ".join(self.available) if self.available else "none"
        message = f"unknown {kind} {name!r}. Available: {listing}."
        if hint:
            message += f" {hint}"
        super().__init__(message)


class InvalidImageError(FaceswapError, ValueError):
    """An input image cannot be read, decoded, or exceeds a limit (exit code 3)."""

    exit_code = 3


class InvalidVideoError(FaceswapError, ValueError):
    """An input video cannot be opened or decoded, or has no video stream (exit code 3)."""

    exit_code = 3


class InputError(FaceswapError, OSError):
    """An input file cannot be read (missing, unreadable, a folder) (exit code 3)."""

    exit_code = 3


class NoFaceError(FaceswapError, LookupError):
    """The source image has no face to take the identity from (exit code 4)."""

    exit_code = 4


class ModelFileError(FaceswapError, OSError):
    """A model file is missing, invalid, or fails its checksum (exit code 5)."""

    exit_code = 5


EXIT_CODES: dict[int, str] = {
    0: "success",
    1: "unexpected error",
    2: "usage, config, plugin or unknown-component error",
    3: "an input cannot be read, decoded or exceeds a limit",
    4: "no face in the source image",
    5: "a model file is missing, invalid or fails its checksum",
}
