"""Errors raised by faceswap; all subclass :class:`FaceswapError` and a builtin."""

from faceswap_core.errors import (
    ComponentClashError,
    ConfigError,
    FaceswapError,
    InputError,
    InvalidImageError,
    MissingPluginError,
    ModelFileError,
    NoFaceError,
    PluginError,
    UnknownComponentError,
)
from faceswap_core.experiment.compare import RegressionError

__all__ = [
    "ComponentClashError",
    "ConfigError",
    "FaceswapError",
    "InputError",
    "InvalidImageError",
    "MissingPluginError",
    "ModelFileError",
    "NoFaceError",
    "PluginError",
    "RegressionError",
    "UnknownComponentError",
]
