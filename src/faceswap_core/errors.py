"""Exception classes: one per kind of failure, each also a builtin subclass.

Every class carries a stable ``exit_code`` the CLI uses, so scripts can tell a
bad input (3) from a face-less source (4) or a missing model file (5) without
parsing messages.
"""

from __future__ import annotations

from collections.abc import Iterable

MAX_MESSAGE = 2000
"""Longest error message, in characters: longer ones are cut and say how much was left out."""


def one_line(text: str, limit: int = MAX_MESSAGE) -> str:
    """``text`` on one line (line breaks and runs of spaces become one space), at most ``limit``
    characters: an ``Error:`` line never spans lines or carries megabytes of a bad value."""
    flat = " ".join(text[: limit * 4].split())
    if len(flat) <= limit and len(text) <= limit * 4:
        return flat
    return f"{flat[:limit].rstrip()}... (about {len(text) - limit} more characters)"


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


class OutputPathError(ConfigError):
    """An output path cannot be written as asked (exit code 2).

    It names something that is not a regular file (a device, FIFO, socket,
    symbolic link or folder), which faceswap never replaces, with or without
    ``--overwrite``; or a file that exists, or appeared while the output was
    being made, and ``--overwrite`` was not given.
    """


class RuntimeUnavailableError(ConfigError):
    """A requested runtime, execution provider or accelerator is not usable here (exit code 2).

    Raised where a fallback would be wrong: ``strict: true`` on a runtime, or a
    command whose whole point is the accelerator (``faceswap export tensorrt``).
    """


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


class ImageTooLargeError(InvalidImageError):
    """An input image is over a byte or pixel limit (``limits.max_bytes`` / ``max_pixels``).

    Still exit code 3 (an input problem); kept apart from undecodable data so a
    service can answer "too large" (HTTP 413) rather than "bad data" (400).
    """


class VideoTooLargeError(InvalidVideoError):
    """An input video is over a limit: frame pixels, duration or size (exit code 3)."""


class InputError(FaceswapError, OSError):
    """An input file cannot be read (missing, unreadable, a folder) (exit code 3)."""

    exit_code = 3


class DiskFullError(FaceswapError, OSError):
    """An output could not be written: no space left, a quota or a file-size limit (exit code 3).

    Whatever was being written is removed; a file that was there before is kept.
    """

    exit_code = 3


class NoFaceError(FaceswapError, LookupError):
    """The source image has no face to take the identity from (exit code 4)."""

    exit_code = 4


class ModelFileError(FaceswapError, OSError):
    """A model file is missing, invalid, or fails its checksum (exit code 5)."""

    exit_code = 5


class SignerError(FaceswapError, OSError):
    """A configured C2PA signer cannot sign (exit code 5): its certificate or key is missing,
    unreadable, expired or not yet valid, the key does not match the certificate or the
    algorithm, the SDK (``faceswap-core[c2pa]``) is not installed, or an output format cannot
    carry a manifest.

    Raised before any work where it can be known then, and otherwise before the output
    is written, so no unsigned file is left where a signed one was asked for. Like
    :class:`ModelFileError`, it means a credential file needs fixing.
    """

    exit_code = 5


class CredentialsError(InputError):
    """A file's C2PA Content Credentials do not pass verification (exit code 3): the
    manifest is absent, invalid (the file changed after signing), could not be checked,
    or its signer chains to none of the trust anchors that were required.

    Raised by ``faceswap inspect --verify`` and ``faceswap.inspect(..., verify=True)``;
    the message names the file and C2PA's failure codes.
    """


class ComponentError(FaceswapError, RuntimeError):
    """A plugin's component raised an unexpected error at run time (exit code 1).

    The message names the component and the plugin that registered it, so a
    user knows whom to report it to; ``--debug`` shows the original traceback.
    """

    exit_code = 1


class FaceswapWarning(UserWarning):
    """Base of warnings meant for users; the CLI prints them as one ``Warning: ...`` line."""


class SourceFacesWarning(FaceswapWarning):
    """The source image holds several faces; the swap takes the largest (the line names it)."""


class RuntimeFallbackWarning(FaceswapWarning, RuntimeWarning):
    """A model runs somewhere other than requested (a GPU provider fell back to CPU,
    TensorRT fell back to ONNX Runtime): numbers and speed will differ from the request."""


class BenchTargetError(FaceswapError):
    """A benchmark missed a budget it was asked to check (``--profile``) (exit code 1)."""


class RegressionError(FaceswapError, RuntimeError):
    """An evaluation is worse than its baseline beyond tolerance (exit code 6).

    Raised after every output is written, so CI keeps the report of the failing run.
    ``regressions`` holds one line per regressed metric; ``result`` the run's
    JSON summary (``out``, ``metrics``, ``gate``).
    """

    exit_code = 6

    def __init__(
        self,
        message: str,
        regressions: Iterable[str] = (),
        result: dict[str, object] | None = None,
    ) -> None:
        super().__init__(message)
        self.regressions = tuple(regressions)
        self.result = result


class ClusterAddressError(ConfigError):
    """A cluster address is malformed: not ``local``, ``auto`` or ``ray://HOST:PORT`` (exit 2)."""


class ClusterError(FaceswapError, ConnectionError):
    """A cluster cannot be reached, or it cannot run the job as this machine would (exit 7).

    Raised for an unreachable address, a cluster without the resources asked
    for, and a worker whose faceswap or plugin versions differ from the driver's.
    """

    exit_code = 7


class WorkerMismatchError(ClusterError):
    """A cluster worker has other faceswap or plugin versions than the driver (exit 7)."""


class Interrupted(BaseException):
    """The process got SIGTERM or SIGHUP; raised in the main thread as Ctrl-C raises
    KeyboardInterrupt.

    A ``BaseException``, so ``except Exception`` blocks let it through and
    every ``finally`` and temporary-file cleanup runs on the way out. It is not
    a KeyboardInterrupt, so libraries that treat Ctrl-C as a normal stop
    (uvicorn) do not turn a SIGTERM into exit 0. The CLI exits with
    ``128 + signal`` (143 for SIGTERM, 129 for SIGHUP; 130 for Ctrl-C).
    """

    def __init__(self, signum: int, name: str) -> None:
        super().__init__(name)
        self.signum = signum
        self.name = name

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


EXIT_CODES: dict[int, str] = {
    0: "success",
    1: "unexpected error",
    2: "usage, config, plugin or unknown-component error",
    3: "an input cannot be read, decoded or exceeds a limit, the disk is full, or a file fails "
    "inspect --verify",
    4: "no face in the source image (or in a target, with --require-face)",
    5: "a model file is missing, invalid or fails its checksum, or a configured signer "
    "(pipeline.c2pa) cannot sign",
    6: "an evaluation regressed against its baseline beyond tolerance",
    7: "a cluster cannot be reached, or its workers differ from this machine",
    129: "stopped by SIGHUP (temporary files removed)",
    130: "stopped by Ctrl-C / SIGINT (temporary files removed)",
    143: "stopped by SIGTERM (temporary files removed)",
}


def error_named(name: str | None, message: str, exit_code: int) -> FaceswapError:
    """The error another process reported by class name, as this module's class again.

    A job on a cluster worker returns its failure as data (the class name, the
    one-line message, the exit code); the driver raises it as the same class,
    so a caller catches (and a command exits with) what a local run gives.
    """
    found = globals().get(name or "")
    if isinstance(found, type) and issubclass(found, FaceswapError):
        try:
            return found(message)
        except TypeError:  # a class whose constructor takes more than a message
            pass
    error = FaceswapError(message)
    error.exit_code = exit_code
    return error
