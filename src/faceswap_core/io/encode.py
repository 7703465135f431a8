"""Encoding output images: PNG, JPEG or WebP, with provenance, written atomically.

:data:`OUTPUT_FORMATS` is the one table of output formats: the CLI's
``--format`` choices, suffix checks, MIME types (REST) and encoder options all
come from it. Every output carries provenance XMP
(:mod:`faceswap_core.io.provenance`) unless the caller turns it off, and a
signed C2PA manifest when its :class:`~faceswap_core.io.provenance.Mark` has a
signer: :func:`encode` is the one place every image output (``swap``, ``demo``,
the API, the REST service) is signed, before :func:`write_image` commits it.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import attrs
import numpy as np
from PIL import Image as PILImage
from PIL.PngImagePlugin import PngInfo

from faceswap_core.errors import ConfigError, InputError, InvalidImageError
from faceswap_core.interfaces.face import Image
from faceswap_core.io import provenance as _provenance
from faceswap_core.io.atomic import atomic_write_bytes, disk_full_error

_EXIF_SOFTWARE = 0x0131


@attrs.frozen
class OutputFormat:
    """One output format: its name, suffixes, PIL writer and MIME type."""

    name: str
    suffixes: tuple[str, ...]
    pil_name: str
    mime: str
    lossy: bool


OUTPUT_FORMATS: dict[str, OutputFormat] = {
    "png": OutputFormat("png", (".png",), "PNG", "image/png", lossy=False),
    "jpg": OutputFormat("jpg", (".jpg", ".jpeg"), "JPEG", "image/jpeg", lossy=True),
    "webp": OutputFormat("webp", (".webp",), "WEBP", "image/webp", lossy=True),
}
"""Output formats by canonical name; ``jpeg`` is accepted as a spelling of ``jpg``."""

ENCODE_FORMATS: tuple[str, ...] = tuple(OUTPUT_FORMATS)
"""Canonical output format names, in the order the CLI lists them."""

_FORMAT_ALIASES: dict[str, str] = {
    suffix.lstrip("."): fmt.name for fmt in OUTPUT_FORMATS.values() for suffix in fmt.suffixes
}


def normalize_format(format: str) -> str:
    """``png``, ``jpg`` or ``webp`` from a name or suffix (``.JPEG`` -> ``jpg``)."""
    key = format.strip().lower().lstrip(".")
    if key not in _FORMAT_ALIASES:
        raise ConfigError(
            f"unknown image format {format!r}; choose one of {', '.join(ENCODE_FORMATS)}"
        )
    return _FORMAT_ALIASES[key]


def format_for_path(path: str | os.PathLike[str]) -> str:
    """The output format named by a path's suffix."""
    suffix = Path(path).suffix
    if not suffix:
        raise ConfigError(
            f"output {os.fspath(path)!r} has no suffix; end it with .png, .jpg or .webp "
            "or pass a format"
        )
    try:
        return normalize_format(suffix)
    except ConfigError:
        raise ConfigError(
            f"unknown image format {suffix!r} for output {os.fspath(path)!r}; "
            f"choose one of {', '.join(ENCODE_FORMATS)}"
        ) from None


def _check_output(image: Any) -> Image:
    if not isinstance(image, np.ndarray):
        raise InvalidImageError(
            f"cannot encode output image: expected a numpy array, got {type(image).__name__}"
        )
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3 or 0 in image.shape:
        raise InvalidImageError(
            f"cannot encode output image: expected RGB uint8 H x W x 3, got {image.dtype} "
            f"{tuple(image.shape)}; pass it through faceswap_core.io.decode.decode first"
        )
    return np.ascontiguousarray(image)


def encode(
    image: Image,
    format: str = "png",
    *,
    quality: int = 95,
    lossless: bool = False,
    provenance: bool | _provenance.Mark = True,
    model: str | None = None,
) -> bytes:
    """Encode an RGB ``uint8`` array, with provenance XMP unless ``provenance=False``.

    :param format: ``png``, ``jpg`` (``jpeg``) or ``webp``.
    :param quality: 1-100, for JPEG and lossy WebP.
    :param lossless: lossless WebP (PNG is always lossless; JPEG has no such mode).
    :param provenance: ``True`` for the default XMP mark, ``False`` for none, or the
        :class:`~faceswap_core.io.provenance.Mark` the pipeline made (its source type,
        model and, with a signer, a signed C2PA manifest).
    :param model: swap model name recorded in the default mark (a ``Mark`` has its own).
    :raises ConfigError: unknown format, bad quality, or ``lossless`` with JPEG.
    :raises InvalidImageError: ``image`` is not an RGB ``uint8`` array.
    :raises SignerError: the mark's signer failed; nothing is returned unsigned.
    """
    fmt = normalize_format(format)
    if isinstance(quality, bool) or not isinstance(quality, int) or not 1 <= quality <= 100:
        raise ConfigError(f"image quality must be an integer from 1 to 100, got {quality!r}")
    if lossless and fmt == "jpg":
        raise ConfigError("jpg has no lossless mode; use png or webp for lossless output")
    pixels = _check_output(image)
    options: dict[str, Any] = {}
    if fmt == "jpg":
        options.update(quality=quality)
    elif fmt == "webp":
        options.update(quality=100 if lossless else quality, lossless=lossless, method=4)
    mark = _mark(provenance, model)
    if mark is not None:
        software = _provenance.software_string()
        xmp = mark.xmp()
        if fmt == "png":
            info = PngInfo()
            info.add_itxt(_provenance.XMP_PNG_KEYWORD, xmp)
            info.add_text("Software", software)
            options["pnginfo"] = info
        else:
            exif = PILImage.Exif()
            exif[_EXIF_SOFTWARE] = software
            options.update(xmp=xmp.encode("utf-8"), exif=exif.tobytes())
    buffer = io.BytesIO()
    PILImage.fromarray(pixels).save(buffer, OUTPUT_FORMATS[fmt].pil_name, **options)
    if mark is not None and mark.signer is not None:
        return mark.signer.sign_bytes(buffer.getvalue(), OUTPUT_FORMATS[fmt].mime, mark)
    return buffer.getvalue()


def _mark(provenance: bool | _provenance.Mark, model: str | None) -> _provenance.Mark | None:
    if isinstance(provenance, _provenance.Mark):
        return provenance
    return _provenance.Mark(model=model) if provenance else None


def write_image(
    path: str | os.PathLike[str],
    image: Image,
    *,
    format: str | None = None,
    quality: int = 95,
    lossless: bool = False,
    provenance: bool | _provenance.Mark = True,
    model: str | None = None,
    overwrite: bool = True,
) -> Path:
    """Encode (and sign) ``image``, then write it atomically; on any error no file is left.

    :param format: defaults to the format named by the path's suffix.
    :param overwrite: see :func:`write_encoded`.
    """
    fmt = normalize_format(format) if format is not None else format_for_path(path)
    data = encode(
        image, fmt, quality=quality, lossless=lossless, provenance=provenance, model=model
    )
    return write_encoded(path, data, overwrite=overwrite)


def write_encoded(path: str | os.PathLike[str], data: bytes, *, overwrite: bool = True) -> Path:
    """Write bytes :func:`encode` made (here or on a cluster worker) atomically, once.

    :param overwrite: replace a file already at ``path``. With ``False`` the
        final rename cannot replace one, even one that appeared while encoding.
    :raises OutputPathError: ``path`` is a device, FIFO, socket, symbolic link
        or folder, or (without ``overwrite``) a file exists there (exit 2).
    :raises DiskFullError: no space left on the device (exit 3).
    :raises InputError: the destination cannot be written.
    """
    label = f"output {os.fspath(path)!r}"
    if Path(path).is_dir() and not Path(path).is_symlink():
        raise InputError(f"cannot write {label}: it is a folder; pass a file name")
    try:
        return atomic_write_bytes(path, data, replace=overwrite)
    except PermissionError:
        raise InputError(f"cannot write {label}: permission denied; choose another place") from None
    except OSError as exc:
        full = disk_full_error(exc, label)
        if full is not None:
            raise full from None
        raise InputError(f"cannot write {label}: {exc.strerror or exc}") from None


__all__ = [
    "ENCODE_FORMATS",
    "OUTPUT_FORMATS",
    "OutputFormat",
    "encode",
    "format_for_path",
    "normalize_format",
    "write_encoded",
    "write_image",
]
