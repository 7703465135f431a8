"""Image decode and encode at the library's edges, with limits and provenance.

Everything the pipeline sees is an RGB ``uint8`` array (H x W x 3), so every
input kind (a path, encoded bytes, a PIL image, a numpy array) is converted
here, once. Untrusted inputs are checked against a byte limit before they are
read and against a pixel limit from the header before the pixels are decoded,
so a small file that claims to be 100000 x 100000 fails fast instead of
allocating gigabytes. Every failure is an :class:`InvalidImageError` (cannot be
decoded, or over a limit) or an :class:`InputError` (cannot be read), whose
one-line message names the input.

Conversions, decided once for the whole project:

- EXIF orientation is applied, so a portrait phone photo comes out upright.
- Grayscale, palette and CMYK images become RGB.
- 16-bit samples are scaled to 8 bits with rounding (``round(v / 257)``, so
  ``65535 -> 255`` and ``257 * x -> x``); 16-bit colour PNG/TIFF is read with
  OpenCV because PIL keeps only the high byte.
- Transparent images (RGBA, LA, palette or grey with transparency) are
  composited on black, so hidden colour under transparent pixels never
  reaches the detector. Numpy arrays are different: an H x W x 4 array is taken
  to be RGB plus an unused fourth channel (RGBX, a screen grab), which is dropped.

Encoding lives in :mod:`faceswap_core.io.encode`.
"""

from __future__ import annotations

import functools
import io
import os
import re
import struct
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
from PIL import Image as PILImage
from PIL import ImageOps, UnidentifiedImageError, features

from faceswap_core.errors import FaceswapWarning, ImageTooLargeError, InvalidImageError
from faceswap_core.interfaces.face import Image
from faceswap_core.io.limits import DEFAULT_MAX_BYTES, DEFAULT_MAX_PIXELS
from faceswap_core.io.read import Source, input_label, read_input, size_text

DECODE_FORMATS: tuple[str, ...] = (
    "PNG",
    "JPEG",  # also opens multi-picture JPEGs (MPO) from phones
    "WEBP",
    "BMP",
    "GIF",
    "TIFF",
    "PPM",
    "TGA",
) + (("AVIF",) if features.check("avif") else ())
"""Container formats decode accepts. Formats that run external programs (EPS) are excluded."""

ANIMATED_FORMATS: tuple[str, ...] = ("GIF", "PNG", "WEBP")
"""Formats whose extra frames are animation (a phone's MPO or a TIFF's pages are not)."""


class AnimatedImageWarning(FaceswapWarning):
    """An animated image was given where a still is expected: only its first frame is used."""


@functools.cache
def decode_suffixes() -> tuple[str, ...]:
    """File name suffixes of every format :func:`decode` reads (``.gif``, ``.jpg``...), sorted.

    Folder inputs pick their images by these suffixes, so a folder accepts
    exactly what the decoder can read.
    """
    PILImage.init()
    registered = PILImage.registered_extensions()
    return tuple(sorted(ext for ext, fmt in registered.items() if fmt in DECODE_FORMATS))


_EXIF_ORIENTATION = 0x0112
_SIXTEEN_BIT_GRAY = ("I;16", "I;16L", "I;16B", "I;16N", "I")
_ALPHA_MODES = ("RGBA", "RGBa", "LA", "La", "PA")


class ImageInfo(NamedTuple):
    """What :func:`probe` reads from a header: size as decode will return it, and format."""

    width: int
    height: int
    format: str | None


_SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"II*\x00", b"MM\x00*")


def _reason(exc: BaseException, size: int, head: bytes = b"") -> str:
    """A short reason for a decoder exception; ``head`` is the start of the data."""
    text = str(exc).strip()
    lowered = text.lower()
    if isinstance(exc, EOFError) or "truncated" in lowered or "premature end" in lowered:
        return f"file is truncated or incomplete ({size_text(size)} read)"
    if isinstance(exc, UnidentifiedImageError):
        known = head.startswith(_SIGNATURES) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")
        if known:  # the signature is right, the header behind it is not
            return f"file is truncated or its header is corrupt ({size_text(size)} read)"
        return f"not a supported image format (supported: {', '.join(DECODE_FORMATS)})"
    detail = text.splitlines()[0] if text else type(exc).__name__
    return f"corrupt image data ({detail})"


def _bomb_message(label: str, exc: BaseException, max_pixels: int) -> str:
    """PIL refused the header before we could read the size (over twice its own limit)."""
    found = re.search(r"\((\d+) pixels\)", str(exc))
    size = f"{int(found.group(1))} pixels" if found else "too many pixels"
    pil_limit = PILImage.MAX_IMAGE_PIXELS
    limit = max_pixels if pil_limit is None else min(max_pixels, 2 * pil_limit)
    return (
        f"cannot decode {label}: image header claims {size}, over the limit of {limit} "
        "(max_pixels; possible decompression bomb); use a smaller image"
    )


@contextmanager
def _quiet_bomb_warning() -> Iterator[None]:
    """Our own pixel limit replaces PIL's warning; its hard error is converted by callers.

    ``catch_warnings`` swaps the process-wide filter list; concurrent decodes in
    threads can at worst let one PIL warning through, never lose an error.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PILImage.DecompressionBombWarning)
        yield


def _open_pil(data: bytes, label: str, max_pixels: int) -> PILImage.Image:
    """Open lazily (header only); PIL's exceptions become :class:`InvalidImageError`."""
    try:
        return PILImage.open(io.BytesIO(data), formats=DECODE_FORMATS)
    except PILImage.DecompressionBombError as exc:
        raise ImageTooLargeError(_bomb_message(label, exc, max_pixels)) from None
    except Exception as exc:
        reason = _reason(exc, len(data), data[:16])
        raise InvalidImageError(f"cannot decode {label}: {reason}") from None


def _orientation(image: PILImage.Image) -> int:
    if image.format == "PNG" and "exif" not in image.info:
        # PIL would decode every pixel to look for an eXIf chunk after the image data;
        # a header probe of a 100000 x 100000 PNG must not allocate 30 GB to find none.
        return 1
    try:
        value = image.getexif().get(_EXIF_ORIENTATION, 1)
    except Exception:  # a broken EXIF block is ignored like a missing one
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _oriented_size(image: PILImage.Image) -> tuple[int, int]:
    width, height = image.size
    return (height, width) if _orientation(image) in (5, 6, 7, 8) else (width, height)


def _check_pixels(label: str, width: int, height: int, max_pixels: int) -> None:
    if width <= 0 or height <= 0:
        raise InvalidImageError(f"cannot decode {label}: image has zero size ({width}x{height})")
    if width * height > max_pixels:
        raise ImageTooLargeError(
            f"cannot decode {label}: {width}x{height} = {width * height} pixels is over the limit "
            f"of {max_pixels} (max_pixels); resize it or raise limits.max_pixels"
        )


# -- pixel conversion ---------------------------------------------------------------


def _scale16(values: npt.NDArray[Any]) -> npt.NDArray[np.uint8]:
    """16-bit samples to 8 bits with rounding: ``round(v / 257)``."""
    wide = np.clip(values.astype(np.int64), 0, 65535)
    return ((wide + 128) // 257).astype(np.uint8)


def _composite_on_black(rgba: npt.NDArray[np.uint8]) -> Image:
    alpha = rgba[..., 3:4].astype(np.uint16)
    rgb = (rgba[..., :3].astype(np.uint16) * alpha + 127) // 255
    return np.ascontiguousarray(rgb, dtype=np.uint8)


def _gray_to_rgb(gray: npt.NDArray[np.uint8]) -> Image:
    return np.ascontiguousarray(np.repeat(gray[:, :, None], 3, axis=2))


def _orient(array: npt.NDArray[Any], orientation: int) -> npt.NDArray[Any]:
    """Apply an EXIF orientation (1-8) to an H x W (x C) array, as ``exif_transpose`` does."""
    if orientation == 2:
        return array[:, ::-1]
    if orientation == 3:
        return array[::-1, ::-1]
    if orientation == 4:
        return array[::-1]
    if orientation == 5:
        return array.swapaxes(0, 1)
    if orientation == 6:
        return np.rot90(array, k=-1)
    if orientation == 7:
        return array[::-1, ::-1].swapaxes(0, 1)
    if orientation == 8:
        return np.rot90(array, k=1)
    return array


def _rawmode(image: PILImage.Image) -> str:
    tile = getattr(image, "tile", None) or []
    if not tile:
        return ""
    args = tile[0].args if hasattr(tile[0], "args") else tile[0][3]
    if isinstance(args, tuple):
        args = args[0] if args else ""
    return args if isinstance(args, str) else ""


def _decode_deep_colour(data: bytes) -> Image | None:
    """16-bit colour (48/64-bit PNG, TIFF) through OpenCV, which keeps all 16 bits."""
    import cv2

    array = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_UNCHANGED)
    if array is None or array.dtype != np.uint16:
        return None
    if array.ndim == 2:
        return _gray_to_rgb(_scale16(array))
    if array.ndim != 3:
        return None
    channels = array.shape[2]
    scaled = _scale16(array)
    if channels == 3:
        return np.ascontiguousarray(scaled[:, :, ::-1])
    if channels == 4:
        rgba = np.concatenate([scaled[:, :, 2::-1], scaled[:, :, 3:]], axis=2)
        return _composite_on_black(rgba)  # OpenCV also expands grey + alpha to BGRA
    return None


def _pil_pixels(image: PILImage.Image, label: str) -> Image:
    """Convert a loaded, upright PIL image to RGB ``uint8``."""
    mode = image.mode
    if mode in _SIXTEEN_BIT_GRAY:
        return _gray_to_rgb(_scale16(np.asarray(image)))
    if mode == "F":
        raise InvalidImageError(
            f"cannot decode {label}: 32-bit float pixels are not supported; save it as 8- or 16-bit"
        )
    if mode == "RGB" and "transparency" not in image.info:
        return np.ascontiguousarray(np.asarray(image), dtype=np.uint8)
    try:
        if mode in _ALPHA_MODES or "transparency" in image.info:
            return _composite_on_black(np.asarray(image.convert("RGBA"), dtype=np.uint8))
        return np.ascontiguousarray(np.asarray(image.convert("RGB"), dtype=np.uint8))
    except ValueError:
        raise InvalidImageError(
            f"cannot decode {label}: pixel mode {mode} cannot be converted to RGB; "
            "save it as RGB or grayscale"
        ) from None


def _warn_if_animated(image: PILImage.Image, label: str) -> None:
    if image.format not in ANIMATED_FORMATS or not getattr(image, "is_animated", False):
        return
    frames = getattr(image, "n_frames", 0)
    count = f" ({frames} frames)" if isinstance(frames, int) and frames > 1 else ""
    warnings.warn(
        f"{label} is animated{count}; only its first frame is used "
        "(faceswap video handles moving images)",
        AnimatedImageWarning,
        stacklevel=4,
    )


def _from_pil(image: PILImage.Image, data: bytes | None, label: str, max_pixels: int) -> Image:
    size = len(data) if data is not None else 0
    with _quiet_bomb_warning():
        try:
            width, height = image.size
            _check_pixels(label, width, height, max_pixels)
            _warn_if_animated(image, label)
            deep_colour = image.mode in ("RGB", "RGBA", "LA") and ";16" in _rawmode(image)
            if data is not None and deep_colour:
                deep = _decode_deep_colour(data)
                if deep is not None:
                    return np.ascontiguousarray(_orient(deep, _orientation(image)))
            image.load()
            upright = ImageOps.exif_transpose(image)
            return _pil_pixels(upright, label)
        except InvalidImageError:
            raise
        except PILImage.DecompressionBombError as exc:
            raise ImageTooLargeError(_bomb_message(label, exc, max_pixels)) from None
        except Exception as exc:
            raise InvalidImageError(f"cannot decode {label}: {_reason(exc, size)}") from None


def _from_array(array: npt.NDArray[Any], label: str, max_pixels: int) -> Image:
    shape = tuple(int(v) for v in array.shape)
    if array.ndim not in (2, 3) or (array.ndim == 3 and shape[2] not in (1, 3, 4)):
        raise InvalidImageError(
            f"cannot use {label}: shape {shape} is not H x W, H x W x 1, H x W x 3 (RGB) "
            "or H x W x 4; pass an image array"
        )
    if 0 in shape:
        raise InvalidImageError(f"cannot use {label}: it is empty (shape {shape})")
    if array.dtype.kind == "u" and array.dtype.itemsize == 2:
        pixels: npt.NDArray[np.uint8] = _scale16(array)
    elif array.dtype == np.uint8:
        pixels = array
    else:
        raise InvalidImageError(
            f"cannot use {label}: pixels are {array.dtype}, expected uint8 (or uint16); "
            "convert it, e.g. (x * 255).round().clip(0, 255).astype('uint8') for floats in 0..1"
        )
    _check_pixels(label, shape[1], shape[0], max_pixels)
    if pixels.ndim == 2:
        return _gray_to_rgb(pixels)
    if pixels.shape[2] == 1:
        return _gray_to_rgb(pixels[:, :, 0])
    return np.ascontiguousarray(pixels[:, :, :3])


# -- public: decode / probe ---------------------------------------------------------


def decode(
    source: Source,
    *,
    name: str | None = None,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Image:
    """Any accepted input as an upright RGB ``uint8`` array (H x W x 3, C-contiguous).

    :param source: a path, encoded bytes (``bytes``, ``bytearray``, ``memoryview``),
        a PIL image, or a numpy array (``uint8`` or ``uint16``; H x W, H x W x 1,
        H x W x 3 taken as RGB, or H x W x 4 whose fourth channel is dropped).
        An array that is already RGB ``uint8`` and C-contiguous is returned as is.
    :param name: the input's role in messages (``source``, ``target``).
    :param max_pixels: largest width x height, checked from the header.
    :param max_bytes: largest encoded input, checked before reading.
    :raises InvalidImageError: undecodable, truncated, empty, over a limit, or a
        bad array shape or dtype.
    :raises InputError: a path that is missing, a folder, or unreadable.
    """
    label = input_label(source, name)
    if isinstance(source, np.ndarray):
        return _from_array(source, label, max_pixels)
    if isinstance(source, PILImage.Image):
        return _from_pil(source, None, label, max_pixels)
    if not isinstance(source, str | os.PathLike | bytes | bytearray | memoryview):
        raise InvalidImageError(
            f"cannot decode {label}: unsupported input type {type(source).__name__}; "
            "pass a path, bytes, a PIL image or a numpy array"
        )
    data = read_input(source, label, max_bytes)
    with _quiet_bomb_warning():
        image = _open_pil(data, label, max_pixels)
    with image:
        return _from_pil(image, data, label, max_pixels)


@contextmanager
def open_image(
    source: Source, *, name: str | None = None, max_bytes: int = DEFAULT_MAX_BYTES
) -> Iterator[PILImage.Image]:
    """A lazily opened PIL image (header read, pixels not decoded) for metadata readers."""
    label = input_label(source, name)
    if isinstance(source, PILImage.Image):
        yield source
        return
    if not isinstance(source, str | os.PathLike | bytes | bytearray | memoryview):
        raise InvalidImageError(
            f"cannot open {label}: unsupported input type {type(source).__name__}; "
            "pass a path or encoded bytes"
        )
    data = read_input(source, label, max_bytes)
    image = _open_header(data, label)
    with image:
        yield image


def _open_header(data: bytes, label: str) -> PILImage.Image:
    """Open by header only, like ``PIL.Image.open`` but without its pixel-count check.

    Metadata readers never decode pixels, so they must work on images of any
    size; :func:`decode` checks the pixel limit before it loads anything.
    """
    PILImage.init()
    head = data[:16]
    for fmt in DECODE_FORMATS:
        entry = PILImage.OPEN.get(fmt)
        if entry is None:
            continue
        factory, accept = entry
        accepted = accept(head) if accept is not None else True
        if not accepted or isinstance(accepted, str):
            continue
        try:
            return factory(io.BytesIO(data), "")
        except (SyntaxError, IndexError, TypeError, struct.error):
            continue  # not this format after all (PIL's own rule): try the next one
        except Exception as exc:
            raise InvalidImageError(
                f"cannot decode {label}: {_reason(exc, len(data), head)}"
            ) from None
    reason = _reason(UnidentifiedImageError("unidentified"), len(data), head)
    raise InvalidImageError(f"cannot decode {label}: {reason}")


def probe(
    source: Source, *, name: str | None = None, max_bytes: int = DEFAULT_MAX_BYTES
) -> ImageInfo:
    """Width, height and format from the header only, without decoding pixels.

    Width and height are those :func:`decode` returns (EXIF orientation applied).
    The format is PIL's name (``JPEG``, ``PNG``...) or ``None`` for arrays.
    """
    if isinstance(source, np.ndarray):
        if source.ndim < 2:
            raise InvalidImageError(f"cannot use {input_label(source, name)}: shape {source.shape}")
        return ImageInfo(int(source.shape[1]), int(source.shape[0]), None)
    with open_image(source, name=name, max_bytes=max_bytes) as image:
        width, height = _oriented_size(image)
        return ImageInfo(width, height, image.format)


__all__ = [
    "ANIMATED_FORMATS",
    "DECODE_FORMATS",
    "AnimatedImageWarning",
    "ImageInfo",
    "decode",
    "decode_suffixes",
    "open_image",
    "probe",
]
