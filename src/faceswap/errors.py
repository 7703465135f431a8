"""Errors raised by faceswap; all subclass :class:`FaceswapError` and a builtin."""

from faceswap_core.errors import (
    ComponentClashError,
    ConfigError,
    FaceswapError,
    ImageTooLargeError,
    InputError,
    InvalidImageError,
    InvalidVideoError,
    MissingPluginError,
    ModelFileError,
    NoFaceError,
    PluginError,
    RegressionError,
    RuntimeFallbackWarning,
    RuntimeUnavailableError,
    UnknownComponentError,
    VideoTooLargeError,
)

__all__ = [
    "ComponentClashError",
    "ConfigError",
    "FaceswapError",
    "ImageTooLargeError",
    "InputError",
    "InvalidImageError",
    "InvalidVideoError",
    "MissingPluginError",
    "ModelFileError",
    "NoFaceError",
    "PluginError",
    "RegressionError",
    "RuntimeFallbackWarning",
    "RuntimeUnavailableError",
    "UnknownComponentError",
    "VideoTooLargeError",
]
