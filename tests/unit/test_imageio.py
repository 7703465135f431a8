"""Decode and encode at the edges: every input kind, limit and failure, with class and message."""

from __future__ import annotations

import io
import struct
import subprocess
import sys
import time
import tracemalloc
import warnings
import zlib
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from PIL import Image as PILImage
from PIL import ImageOps

from faceswap_core.errors import ConfigError, ImageTooLargeError, InputError, InvalidImageError
from faceswap_core.io.decode import decode, probe
from faceswap_core.io.encode import ENCODE_FORMATS, encode, write_image
from faceswap_core.io.limits import DEFAULT_MAX_PIXELS

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# -- independent PNG writer: chunks built by hand, so 16-bit and bomb headers need no library --


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def craft_png(
    width: int,
    height: int,
    *,
    bit_depth: int = 8,
    color_type: int = 2,
    pixels: npt.NDArray[np.generic] | None = None,
    extra: tuple[bytes, ...] = (),
) -> bytes:
    """A PNG from big-endian samples (``pixels`` H x W x C), or a header with a tiny IDAT."""
    header = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0)
    if pixels is None:
        raw = b"\x00" * 16
    else:
        dtype = ">u2" if bit_depth == 16 else "u1"
        rows = np.ascontiguousarray(pixels.astype(dtype)).reshape(height, -1).view(np.uint8)
        raw = b"".join(b"\x00" + row.tobytes() for row in rows)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + b"".join(extra)
        + _chunk(b"IDAT", zlib.compress(raw))
        + _chunk(b"IEND", b"")
    )


def exif_chunk(orientation: int) -> bytes:
    exif = PILImage.Exif()
    exif[0x0112] = orientation
    data = exif.tobytes()
    return _chunk(b"eXIf", data.removeprefix(b"Exif\x00\x00"))


def pil_bytes(image: PILImage.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def rounded16(values: npt.NDArray[np.generic]) -> npt.NDArray[np.uint8]:
    """Reference scaling, written differently from the code under test."""
    return np.rint(values.astype(np.float64) / 257.0).astype(np.uint8)


def assert_one_line_naming(exc: pytest.ExceptionInfo[BaseException], *parts: str) -> None:
    message = str(exc.value)
    assert "\n" not in message
    for part in parts:
        assert part in message, message


@pytest.fixture(scope="module")
def t1_bytes(t1_path: Path) -> bytes:
    return t1_path.read_bytes()


@pytest.fixture(scope="module")
def quadrants() -> npt.NDArray[np.uint8]:
    """40 wide x 20 high, four flat colours: orientation mistakes are obvious even after JPEG."""
    image = np.zeros((20, 40, 3), np.uint8)
    image[:10, :20] = (250, 0, 0)
    image[:10, 20:] = (0, 250, 0)
    image[10:, :20] = (0, 0, 250)
    image[10:, 20:] = (250, 250, 250)
    return image


# -- well-formed inputs ------------------------------------------------------------


def test_path_bytes_bytearray_memoryview_and_pil_agree(
    t1_path: Path, t1_bytes: bytes, t1_image: npt.NDArray[np.uint8]
) -> None:
    results = [
        decode(t1_path),
        decode(str(t1_path)),
        decode(t1_bytes),
        decode(bytearray(t1_bytes)),
        decode(memoryview(t1_bytes)),
    ]
    with PILImage.open(t1_path) as handle:
        results.append(decode(handle))
    for result in results:
        assert result.dtype == np.uint8
        assert result.shape == (886, 1280, 3)
        assert result.flags.c_contiguous
        np.testing.assert_array_equal(result, t1_image)


def test_one_pixel_image_decodes() -> None:
    data = pil_bytes(PILImage.new("RGB", (1, 1), (12, 34, 56)), "PNG")
    result = decode(data)
    assert result.shape == (1, 1, 3)
    assert result[0, 0].tolist() == [12, 34, 56]


def test_rgba_is_composited_on_black() -> None:
    rgba = np.array([[[200, 100, 50, 255], [200, 100, 50, 0], [200, 100, 50, 128]]], np.uint8)
    result = decode(pil_bytes(PILImage.fromarray(rgba, "RGBA"), "PNG"))
    assert result[0, 0].tolist() == [200, 100, 50]
    assert result[0, 1].tolist() == [0, 0, 0]
    assert result[0, 2].tolist() == [
        round(200 * 128 / 255),
        round(100 * 128 / 255),
        round(50 * 128 / 255),
    ]


def test_la_is_composited_on_black_as_gray() -> None:
    la = PILImage.new("LA", (2, 1))
    la.putpixel((0, 0), (180, 255))
    la.putpixel((1, 0), (180, 51))
    result = decode(pil_bytes(la, "PNG"))
    assert result[0, 0].tolist() == [180, 180, 180]
    assert result[0, 1].tolist() == [36, 36, 36]  # 180 * 51 / 255


def test_palette_with_transparency_index() -> None:
    palette = PILImage.new("P", (3, 1))
    palette.putpalette([255, 0, 0, 0, 255, 0, 0, 0, 255] + [0] * 759)
    for x in range(3):
        palette.putpixel((x, 0), x)
    data = pil_bytes(palette, "PNG", transparency=1)
    with PILImage.open(io.BytesIO(data)) as reopened:
        assert reopened.mode == "P"
        assert "transparency" in reopened.info
    result = decode(data)
    assert result[0].tolist() == [[255, 0, 0], [0, 0, 0], [0, 0, 255]]


def test_grayscale_and_bilevel_become_rgb() -> None:
    gray = np.array([[0, 77, 255]], np.uint8)
    result = decode(pil_bytes(PILImage.fromarray(gray, "L"), "PNG"))
    np.testing.assert_array_equal(result, np.repeat(gray[:, :, None], 3, axis=2))
    bilevel = PILImage.new("1", (2, 1))
    bilevel.putpixel((1, 0), 1)
    assert decode(pil_bytes(bilevel, "PNG"))[0].tolist() == [[0, 0, 0], [255, 255, 255]]


@FAST
@given(hnp.arrays(np.uint16, hnp.array_shapes(min_dims=2, max_dims=2, max_side=6)))
def test_16bit_gray_png_is_scaled_with_rounding(values: npt.NDArray[np.uint16]) -> None:
    height, width = values.shape
    data = craft_png(width, height, bit_depth=16, color_type=0, pixels=values)
    result = decode(data)
    assert result.shape == (height, width, 3)
    for channel in range(3):
        np.testing.assert_array_equal(result[:, :, channel], rounded16(values))


def test_16bit_gray_known_values() -> None:
    values = np.array([[0, 257, 257 * 128, 65535, 257 * 10 + 200]], np.uint16)
    result = decode(craft_png(5, 1, bit_depth=16, color_type=0, pixels=values))
    assert result[0, :, 0].tolist() == [0, 1, 128, 255, 11]


@FAST
@given(hnp.arrays(np.uint16, st.tuples(st.integers(1, 5), st.integers(1, 5), st.just(3))))
def test_16bit_rgb_png_keeps_all_bits(values: npt.NDArray[np.uint16]) -> None:
    height, width, _ = values.shape
    result = decode(craft_png(width, height, bit_depth=16, color_type=2, pixels=values))
    np.testing.assert_array_equal(result, rounded16(values))


def test_16bit_rgb_rounds_where_pil_truncates() -> None:
    values = np.array([[[257 * 10 + 200, 65535, 257 * 7]]], np.uint16)  # 10.78 -> 11, not 10
    data = craft_png(1, 1, bit_depth=16, color_type=2, pixels=values)
    assert decode(data)[0, 0].tolist() == [11, 255, 7]


def test_16bit_rgba_and_la_png_are_composited() -> None:
    rgba = np.array([[[65535, 257 * 100, 0, 65535], [65535, 65535, 65535, 0]]], np.uint16)
    result = decode(craft_png(2, 1, bit_depth=16, color_type=6, pixels=rgba))
    assert result[0].tolist() == [[255, 100, 0], [0, 0, 0]]
    la = np.array([[[257 * 200, 65535], [257 * 200, 257 * 51]]], np.uint16)
    result = decode(craft_png(2, 1, bit_depth=16, color_type=4, pixels=la))
    assert result[0].tolist() == [[200, 200, 200], [40, 40, 40]]


def test_truncated_16bit_png_is_rejected() -> None:
    values = np.random.default_rng(1).integers(0, 65535, (32, 32, 3)).astype(np.uint16)
    data = craft_png(32, 32, bit_depth=16, color_type=2, pixels=values)
    with pytest.raises(InvalidImageError) as exc:
        decode(data[: len(data) // 2], name="target")
    assert_one_line_naming(exc, "cannot decode target", "truncated")


def test_float_tiff_is_rejected_with_advice() -> None:
    data = pil_bytes(PILImage.fromarray(np.full((3, 3), 0.5, np.float32), "F"), "TIFF")
    with pytest.raises(InvalidImageError) as exc:
        decode(data, name="source")
    assert_one_line_naming(exc, "source", "float", "16-bit")


def test_cmyk_jpeg_becomes_rgb() -> None:
    cmyk = PILImage.new("CMYK", (8, 8), (255, 0, 0, 0))  # pure cyan
    data = pil_bytes(cmyk, "JPEG", quality=95)
    with PILImage.open(io.BytesIO(data)) as reopened:
        assert reopened.mode == "CMYK"
    result = decode(data)
    assert result.shape == (8, 8, 3)
    red, green, blue = (int(v) for v in result.reshape(-1, 3).mean(axis=0))
    assert red < 20
    assert green > 235
    assert blue > 235


def test_exif_orientation_6_rotates_jpeg(quadrants: npt.NDArray[np.uint8]) -> None:
    exif = PILImage.Exif()
    exif[0x0112] = 6
    data = pil_bytes(PILImage.fromarray(quadrants), "JPEG", quality=95, exif=exif.tobytes())
    result = decode(data)
    assert result.shape == (40, 20, 3)
    assert probe(data) == (20, 40, "JPEG")
    expected = np.rot90(quadrants, k=-1)  # 90 degrees clockwise
    assert np.abs(result.astype(int) - expected.astype(int)).mean() < 6


@pytest.mark.parametrize("orientation", range(1, 9))
def test_16bit_path_orients_like_pil(orientation: int, quadrants: npt.NDArray[np.uint8]) -> None:
    """The OpenCV path applies EXIF orientation itself; it must match PIL's exif_transpose."""
    height, width, _ = quadrants.shape
    eight = craft_png(width, height, pixels=quadrants, extra=(exif_chunk(orientation),))
    sixteen = craft_png(
        width,
        height,
        bit_depth=16,
        pixels=quadrants.astype(np.uint16) * 257,
        extra=(exif_chunk(orientation),),
    )
    with PILImage.open(io.BytesIO(eight)) as handle:
        reference = np.asarray(ImageOps.exif_transpose(handle).convert("RGB"))
    np.testing.assert_array_equal(decode(eight), reference)
    np.testing.assert_array_equal(decode(sixteen), reference)
    assert probe(sixteen)[:2] == (reference.shape[1], reference.shape[0])


def test_probe_reads_only_the_header(t1_path: Path) -> None:
    assert probe(t1_path) == (1280, 886, "JPEG")
    assert probe(np.zeros((7, 5, 3), np.uint8)) == (5, 7, None)
    with PILImage.open(t1_path) as handle:
        assert probe(handle) == (1280, 886, "JPEG")
    # a header with no real pixel data behind it: decoding would fail, probing does not
    assert probe(craft_png(8000, 6000)) == (8000, 6000, "PNG")


def test_probing_a_huge_png_header_allocates_no_pixels() -> None:
    """PIL looks for a PNG's EXIF block after the image data by loading the image: for this
    100-byte header that asked for 39 GB of memory (10^10 pixels; slow when memory is
    tight). In a fresh process, so its peak virtual size is the probe's own."""
    code = (
        "import sys; from faceswap_core.io.decode import probe; "
        "print(tuple(probe(sys.stdin.buffer.read()))); "
        "print(next(line.split()[1] for line in open('/proc/self/status') "
        "if line.startswith('VmPeak:')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], input=craft_png(100_000, 100_000), capture_output=True
    )
    assert done.returncode == 0, done.stderr.decode()
    info, peak_kib = done.stdout.decode().splitlines()
    assert info == "(100000, 100000, 'PNG')"
    assert int(peak_kib) < 2 * 1024 * 1024  # 39 GB before the fix


# -- limits ---------------------------------------------------------------------------


def test_bomb_header_fails_fast_without_allocating() -> None:
    data = craft_png(100_000, 100_000)
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(ImageTooLargeError) as exc:
            decode(data, name="target")
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert elapsed < 1.0
    assert peak < 5 * 1024 * 1024
    assert exc.value.exit_code == 3  # an input error like any other, for the CLI
    assert isinstance(exc.value, InvalidImageError)
    assert_one_line_naming(exc, "target", "10000000000 pixels", "max_pixels")


@pytest.mark.parametrize(("width", "height"), [(8000, 8000), (10_000, 10_000), (20_000, 20_000)])
def test_large_headers_fail_with_our_error_and_no_pil_warning(width: int, height: int) -> None:
    """Below, inside and above PIL's warning band: always our error, never PIL's warning."""
    data = craft_png(width, height)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(ImageTooLargeError) as exc:
            decode(data, name="source")
    assert not [w for w in caught if issubclass(w.category, PILImage.DecompressionBombWarning)]
    assert_one_line_naming(exc, "source", str(width * height), "max_pixels")


def test_pixel_limit_is_configurable() -> None:
    data = pil_bytes(PILImage.new("RGB", (20, 20)), "PNG")
    assert decode(data, max_pixels=400).shape == (20, 20, 3)
    with pytest.raises(ImageTooLargeError) as exc:
        decode(data, max_pixels=399, name="target")
    assert_one_line_naming(exc, "target", "20x20 = 400 pixels", "399")
    with pytest.raises(ImageTooLargeError):
        decode(np.zeros((20, 20, 3), np.uint8), max_pixels=399)
    assert DEFAULT_MAX_PIXELS == 50_000_000


def test_byte_limit_for_bytes_and_paths(tmp_path: Path) -> None:
    data = pil_bytes(PILImage.new("RGB", (20, 20)), "PNG")
    assert decode(data, max_bytes=len(data)).shape == (20, 20, 3)
    with pytest.raises(ImageTooLargeError) as exc:
        decode(data, max_bytes=len(data) - 1, name="source")
    assert_one_line_naming(exc, "source", "max_bytes")
    path = tmp_path / "big.png"
    path.write_bytes(data)
    with pytest.raises(ImageTooLargeError) as exc:
        decode(path, max_bytes=len(data) - 1, name="source")
    assert_one_line_naming(exc, f"source '{path}'", "max_bytes")


def test_undecodable_data_is_not_a_limit_error() -> None:
    """A service answers limits with 413 and bad data with 400: the classes must differ."""
    with pytest.raises(InvalidImageError) as exc:
        decode(b"not an image at all", name="target")
    assert not isinstance(exc.value, ImageTooLargeError)


# -- bad encoded inputs ------------------------------------------------------------------


def test_zero_bytes_and_empty_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidImageError) as exc:
        decode(b"", name="target")
    assert exc.value.exit_code == 3
    assert_one_line_naming(exc, "target", "empty")
    empty = tmp_path / "frame.jpg"
    empty.write_bytes(b"")
    with pytest.raises(InvalidImageError) as exc:
        decode(empty, name="target")
    assert_one_line_naming(exc, f"target '{empty}'", "empty")


@FAST
@given(st.binary(min_size=1, max_size=256))
def test_random_bytes_decode_or_raise_invalid_image(data: bytes) -> None:
    outcome: npt.NDArray[np.uint8] | InvalidImageError
    try:
        outcome = decode(data, name="upload")
    except InvalidImageError as exc:  # any other exception type fails the test
        outcome = exc
    if isinstance(outcome, InvalidImageError):
        assert "\n" not in str(outcome)
        assert str(outcome).startswith("cannot decode upload")
        assert outcome.exit_code == 3
    else:  # astronomically unlikely, but a tiny valid image is still an image
        assert outcome.dtype == np.uint8
        assert outcome.ndim == 3
        assert outcome.shape[2] == 3


@pytest.mark.parametrize("fraction", [0.001, 0.01, 0.2, 0.5, 0.9, 0.999])
def test_truncated_jpeg_names_the_file(fraction: float, t1_bytes: bytes, tmp_path: Path) -> None:
    path = tmp_path / "frame.jpg"
    path.write_bytes(t1_bytes[: int(len(t1_bytes) * fraction)])
    with pytest.raises(InvalidImageError) as exc:
        decode(path, name="target")
    assert exc.value.exit_code == 3
    assert_one_line_naming(exc, f"cannot decode target '{path}'", "truncated")


@pytest.mark.parametrize("cut", [8, 20, 40, 0.5, 0.99])
def test_truncated_png_is_rejected(cut: float) -> None:
    noise = np.random.default_rng(0).integers(0, 255, (64, 64, 3), np.uint8)
    data = pil_bytes(PILImage.fromarray(noise), "PNG")
    end = int(cut * len(data)) if isinstance(cut, float) else cut
    with pytest.raises(InvalidImageError) as exc:
        decode(data[:end], name="target")
    assert_one_line_naming(exc, "cannot decode target")
    assert "truncated" in str(exc.value)


def test_corrupt_png_data_is_rejected() -> None:
    good = craft_png(4, 4, pixels=np.zeros((4, 4, 3), np.uint8))
    broken = good.replace(zlib.compress(b"\x00" * 13 * 4), b"\x00garbage-not-zlib")
    assert broken != good
    with pytest.raises(InvalidImageError):
        decode(broken)


def test_non_image_and_unsafe_formats_are_rejected() -> None:
    eps = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n"
    for data in (b"hello, world", b"<svg xmlns='http://www.w3.org/2000/svg'/>", eps):
        with pytest.raises(InvalidImageError) as exc:
            decode(data, name="source")
        assert_one_line_naming(exc, "source", "not a supported image format")


def test_missing_path_and_folder_are_input_errors(tmp_path: Path) -> None:
    missing = tmp_path / "nope.jpg"
    with pytest.raises(InputError) as exc:
        decode(missing, name="source")
    assert exc.value.exit_code == 3
    assert isinstance(exc.value, OSError)
    assert_one_line_naming(exc, f"source '{missing}'", "no such file")
    with pytest.raises(InputError) as exc:
        decode(tmp_path, name="target")
    assert exc.value.exit_code == 3
    assert_one_line_naming(exc, f"target '{tmp_path}'", "folder")


def test_unsupported_input_type() -> None:
    with pytest.raises(InvalidImageError) as exc:
        decode([[1, 2, 3]], name="source")
    assert_one_line_naming(exc, "source", "list")


# -- arrays --------------------------------------------------------------------------------

_SHAPES = st.one_of(
    hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=5),
    st.tuples(st.integers(1, 5), st.integers(1, 5), st.sampled_from([1, 3, 4])),
)


@FAST
@given(hnp.arrays(np.uint8, _SHAPES))
def test_uint8_arrays_convert_exactly(array: npt.NDArray[np.uint8]) -> None:
    result = decode(array)
    assert result.dtype == np.uint8
    assert result.flags.c_contiguous
    assert result.shape == (*array.shape[:2], 3)
    if array.ndim == 2:
        expected = np.stack([array] * 3, axis=2)
    elif array.shape[2] == 1:
        expected = np.concatenate([array] * 3, axis=2)
    else:
        expected = array[:, :, :3]
    np.testing.assert_array_equal(result, expected)


@FAST
@given(
    hnp.arrays(
        st.sampled_from([np.dtype("<u2"), np.dtype(">u2")]),
        st.tuples(st.integers(1, 4), st.integers(1, 4), st.just(3)),
    )
)
def test_uint16_arrays_are_scaled(array: npt.NDArray[np.uint16]) -> None:
    np.testing.assert_array_equal(decode(array), rounded16(array))


_BAD_DTYPES = st.sampled_from(
    [
        np.float16,
        np.float32,
        np.float64,
        np.int8,
        np.int16,
        np.int32,
        np.int64,
        np.uint32,
        np.bool_,
        np.complex64,
    ]
)


@FAST
@given(
    _BAD_DTYPES.flatmap(
        lambda dtype: hnp.arrays(dtype, st.tuples(st.integers(1, 4), st.integers(1, 4), st.just(3)))
    )
)
def test_other_dtypes_are_rejected_with_the_dtype(array: npt.NDArray[np.generic]) -> None:
    with pytest.raises(InvalidImageError) as exc:
        decode(array, name="target")
    assert exc.value.exit_code == 3
    assert_one_line_naming(exc, "target array", str(array.dtype), "uint8")


@FAST
@given(
    st.one_of(
        hnp.array_shapes(min_dims=1, max_dims=1, max_side=5),
        hnp.array_shapes(min_dims=4, max_dims=5, max_side=3),
        st.tuples(st.integers(1, 4), st.integers(1, 4), st.sampled_from([2, 5, 6])),
    )
)
def test_wrong_shapes_are_rejected(shape: tuple[int, ...]) -> None:
    with pytest.raises(InvalidImageError) as exc:
        decode(np.zeros(shape, np.uint8), name="source")
    assert_one_line_naming(exc, "source array", "shape", str(shape))


@pytest.mark.parametrize("shape", [(0, 4, 3), (4, 0, 3), (0, 0)])
def test_empty_arrays_are_rejected(shape: tuple[int, ...]) -> None:
    with pytest.raises(InvalidImageError) as exc:
        decode(np.zeros(shape, np.uint8))
    assert_one_line_naming(exc, "empty", str(shape))


def test_non_contiguous_arrays_are_copied_contiguous(
    astronaut_image: npt.NDArray[np.uint8],
) -> None:
    flipped = astronaut_image[::2, ::-1]
    assert not flipped.flags.c_contiguous
    result = decode(flipped)
    assert result.flags.c_contiguous
    np.testing.assert_array_equal(result, flipped)
    bgr_view = astronaut_image[:, :, ::-1]
    np.testing.assert_array_equal(decode(bgr_view), bgr_view)


# -- encode / write ------------------------------------------------------------------------


@FAST
@given(hnp.arrays(np.uint8, st.tuples(st.integers(1, 12), st.integers(1, 12), st.just(3))))
def test_png_and_lossless_webp_round_trip_exactly(array: npt.NDArray[np.uint8]) -> None:
    np.testing.assert_array_equal(decode(encode(array, "png")), array)
    np.testing.assert_array_equal(decode(encode(array, "webp", lossless=True)), array)


def test_jpeg_round_trip_is_close(astronaut_image: npt.NDArray[np.uint8]) -> None:
    data = encode(astronaut_image, "jpeg", quality=95)
    assert data[:2] == b"\xff\xd8"
    result = decode(data)
    assert np.abs(result.astype(int) - astronaut_image.astype(int)).mean() < 3
    small = encode(astronaut_image, "jpg", quality=20)
    assert len(small) < len(data)


def test_encode_rejects_unknown_format_and_bad_options(
    astronaut_image: npt.NDArray[np.uint8],
) -> None:
    with pytest.raises(ConfigError) as exc:
        encode(astronaut_image, "gif")
    assert exc.value.exit_code == 2
    assert_one_line_naming(exc, "'gif'", *ENCODE_FORMATS)
    for quality in (0, 101, 9.5):
        with pytest.raises(ConfigError):
            encode(astronaut_image, "jpg", quality=quality)  # type: ignore[arg-type]
    with pytest.raises(ConfigError):
        encode(astronaut_image, "jpg", lossless=True)


@pytest.mark.parametrize(
    "bad",
    [
        np.zeros((4, 4), np.uint8),
        np.zeros((4, 4, 4), np.uint8),
        np.zeros((4, 4, 3), np.float32),
        np.zeros((0, 4, 3), np.uint8),
    ],
)
def test_encode_rejects_non_rgb_uint8(bad: npt.NDArray[np.generic]) -> None:
    with pytest.raises(InvalidImageError) as exc:
        encode(bad)  # type: ignore[arg-type]
    assert_one_line_naming(exc, "output image", str(bad.dtype))


@pytest.mark.parametrize(
    ("suffix", "magic"),
    [(".png", b"\x89PNG"), (".jpg", b"\xff\xd8"), (".JPEG", b"\xff\xd8"), (".webp", b"RIFF")],
)
def test_write_image_picks_format_from_suffix(
    suffix: str, magic: bytes, tmp_path: Path, tom_hanks_image: npt.NDArray[np.uint8]
) -> None:
    path = tmp_path / "nested" / f"out{suffix}"
    assert write_image(path, tom_hanks_image) == path
    assert path.read_bytes().startswith(magic)
    assert decode(path).shape == tom_hanks_image.shape
    assert [p.name for p in path.parent.iterdir()] == [path.name]


def test_write_image_format_argument_overrides_suffix(
    tmp_path: Path, tom_hanks_image: npt.NDArray[np.uint8]
) -> None:
    path = tmp_path / "out.img"
    write_image(path, tom_hanks_image, format="webp")
    assert path.read_bytes()[8:12] == b"WEBP"


def test_write_image_failures_leave_no_file(
    tmp_path: Path, tom_hanks_image: npt.NDArray[np.uint8]
) -> None:
    with pytest.raises(ConfigError):
        write_image(tmp_path / "out.gif", tom_hanks_image)
    with pytest.raises(ConfigError):
        write_image(tmp_path / "out", tom_hanks_image)
    with pytest.raises(InvalidImageError):
        write_image(tmp_path / "out.png", tom_hanks_image.astype(np.float32))
    assert list(tmp_path.iterdir()) == []


def test_write_image_failure_keeps_the_old_file(
    tmp_path: Path, tom_hanks_image: npt.NDArray[np.uint8]
) -> None:
    path = tmp_path / "out.png"
    write_image(path, tom_hanks_image)
    before = path.read_bytes()
    with pytest.raises(InvalidImageError):
        write_image(path, np.zeros((2, 2), np.uint8))
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["out.png"]


def test_write_image_to_a_folder_is_an_input_error(
    tmp_path: Path, tom_hanks_image: npt.NDArray[np.uint8]
) -> None:
    folder = tmp_path / "taken.png"
    folder.mkdir()
    with pytest.raises(InputError) as exc:
        write_image(folder, tom_hanks_image)
    assert_one_line_naming(exc, str(folder), "folder")
    assert list(folder.iterdir()) == []
