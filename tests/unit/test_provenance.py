"""Provenance XMP: written into PNG, JPEG and WebP, read back by us and by independent readers."""

from __future__ import annotations

import io
import struct
import time
import zlib
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image as PILImage
from PIL.PngImagePlugin import PngImageFile, PngInfo

from faceswap_core.errors import InputError, InvalidImageError
from faceswap_core.io.decode import decode
from faceswap_core.io.encode import encode, write_image
from faceswap_core.io.provenance import (
    DIGITAL_SOURCE_TYPE,
    XMP_PNG_KEYWORD,
    Provenance,
    build_xmp,
    parse_xmp,
    read_provenance,
    software_string,
)
from faceswap_core.version import __version__

IPTC_URI = "http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia"
FORMATS = ("png", "jpg", "webp")


# -- independent container readers: walk the bytes, no imaging library --------------------


def jpeg_segments(data: bytes) -> list[tuple[int, bytes]]:
    """(marker, payload) of every segment before the scan data."""
    assert data[:2] == b"\xff\xd8"
    segments, offset = [], 2
    while offset < len(data):
        assert data[offset] == 0xFF
        marker = data[offset + 1]
        if marker == 0xDA:
            break
        (length,) = struct.unpack(">H", data[offset + 2 : offset + 4])
        segments.append((marker, data[offset + 4 : offset + 2 + length]))
        offset += 2 + length
    return segments


def png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, offset = [], 8
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        chunks.append((kind, data[offset + 8 : offset + 8 + length]))
        offset += 12 + length
    return chunks


def webp_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    assert data[:4] == b"RIFF"
    assert data[8:12] == b"WEBP"
    chunks, offset = [], 12
    while offset < len(data):
        kind = data[offset : offset + 4]
        (length,) = struct.unpack("<I", data[offset + 4 : offset + 8])
        chunks.append((kind, data[offset + 8 : offset + 8 + length]))
        offset += 8 + length + (length & 1)
    return chunks


def raw_xmp(data: bytes, fmt: str) -> bytes | None:
    """The XMP packet as stored, found by walking the container."""
    if fmt == "jpg":
        prefix = b"http://ns.adobe.com/xap/1.0/\x00"
        found = [p for m, p in jpeg_segments(data) if m == 0xE1 and p.startswith(prefix)]
        return found[0][len(prefix) :] if found else None
    if fmt == "png":
        for kind, payload in png_chunks(data):
            if kind == b"iTXt" and payload.startswith(XMP_PNG_KEYWORD.encode() + b"\x00"):
                rest = payload[len(XMP_PNG_KEYWORD) + 1 :]
                assert rest[0] == 0  # stored uncompressed, as the XMP spec asks
                language_end = rest.index(b"\x00", 2)
                translated_end = rest.index(b"\x00", language_end + 1)
                return rest[translated_end + 1 :]
        return None
    found = [p for kind, p in webp_chunks(data) if kind == b"XMP "]
    return found[0] if found else None


@pytest.fixture(scope="module")
def face(tom_hanks_image: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    return tom_hanks_image


# -- round trips ------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip_through_our_reader(fmt: str, face: npt.NDArray[np.uint8]) -> None:
    record = read_provenance(encode(face, fmt, model="inswapper_128"))
    assert record is not None
    assert record.digital_source_type == IPTC_URI
    assert record.software == f"faceswap {__version__}"
    assert record.model == "inswapper_128"
    assert record.synthetic
    assert "DigitalSourceType" in record.raw_xmp


@pytest.mark.parametrize("fmt", FORMATS)
def test_xmp_is_where_the_container_spec_puts_it(fmt: str, face: npt.NDArray[np.uint8]) -> None:
    packet = raw_xmp(encode(face, fmt, model="classic"), fmt)
    assert packet is not None
    text = packet.decode("utf-8")
    assert f'Iptc4xmpExt:DigitalSourceType="{IPTC_URI}"' in text
    assert f'xmp:CreatorTool="faceswap {__version__}"' in text
    assert 'Iptc4xmpExt:AISystemUsed="classic"' in text


@pytest.mark.parametrize("fmt", FORMATS)
def test_pil_getxmp_reads_it(fmt: str, face: npt.NDArray[np.uint8]) -> None:
    with PILImage.open(io.BytesIO(encode(face, fmt))) as handle:
        description = handle.getxmp()["xmpmeta"]["RDF"]["Description"]
    assert description["DigitalSourceType"] == IPTC_URI
    assert description["CreatorTool"] == software_string()


def test_png_software_text_chunk(face: npt.NDArray[np.uint8]) -> None:
    with PILImage.open(io.BytesIO(encode(face, "png"))) as handle:
        assert isinstance(handle, PngImageFile)
        assert handle.text["Software"] == software_string()
        assert IPTC_URI in handle.text[XMP_PNG_KEYWORD]


@pytest.mark.parametrize("fmt", ["jpg", "webp"])
def test_exif_software_tag(fmt: str, face: npt.NDArray[np.uint8]) -> None:
    with PILImage.open(io.BytesIO(encode(face, fmt))) as handle:
        assert handle.getexif()[0x0131] == software_string()


@pytest.mark.parametrize("fmt", FORMATS)
def test_provenance_false_writes_none(fmt: str, face: npt.NDArray[np.uint8]) -> None:
    data = encode(face, fmt, provenance=False)
    assert raw_xmp(data, fmt) is None
    assert b"faceswap" not in data
    assert b"DigitalSourceType" not in data
    assert read_provenance(data) is None


def test_metadata_does_not_change_pixels(face: npt.NDArray[np.uint8]) -> None:
    for fmt, options in (("png", {}), ("webp", {"lossless": True})):
        marked = decode(encode(face, fmt, **options))  # type: ignore[arg-type]
        plain = decode(encode(face, fmt, provenance=False, **options))  # type: ignore[arg-type]
        np.testing.assert_array_equal(marked, face)
        np.testing.assert_array_equal(plain, face)
    np.testing.assert_array_equal(
        decode(encode(face, "jpg", quality=90)),
        decode(encode(face, "jpg", quality=90, provenance=False)),
    )


_MODEL_NAMES = (
    st.text(st.characters(exclude_categories=("Cs", "Cc", "Cn")), min_size=1, max_size=40)
    .map(str.strip)
    .filter(bool)
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(model=_MODEL_NAMES, fmt=st.sampled_from(FORMATS))
def test_any_model_name_round_trips(model: str, fmt: str) -> None:
    image = np.full((4, 4, 3), 120, np.uint8)
    record = read_provenance(encode(image, fmt, model=model))
    assert record is not None
    assert record.model == model
    assert record.digital_source_type == DIGITAL_SOURCE_TYPE


def test_markup_in_model_name_is_escaped() -> None:
    model = '"/><rdf:Description Iptc4xmpExt:DigitalSourceType="x" a="&amp;'
    record = parse_xmp(build_xmp(model=model))
    assert record.model == model
    assert record.digital_source_type == DIGITAL_SOURCE_TYPE


def test_write_image_then_read_from_path(tmp_path: Path, face: npt.NDArray[np.uint8]) -> None:
    path = write_image(tmp_path / "swap.webp", face, model="unet")
    record = read_provenance(path)
    assert record is not None
    assert record.model == "unet"
    assert read_provenance(write_image(tmp_path / "plain.png", face, provenance=False)) is None


# -- reading other writers' XMP ----------------------------------------------------------------

_ELEMENT_FORM = """<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/"
    xmlns:xmp="http://ns.adobe.com/xap/1.0/">
   <Iptc4xmpExt:DigitalSourceType rdf:resource="http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture"/>
   <xmp:CreatorTool>Adobe Photoshop 25.0</xmp:CreatorTool>
   <Iptc4xmpExt:AISystemUsed>
    <rdf:Alt><rdf:li xml:lang="x-default">SomeModel</rdf:li></rdf:Alt>
   </Iptc4xmpExt:AISystemUsed>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>"""


def test_element_and_resource_forms_are_read() -> None:
    record = parse_xmp(_ELEMENT_FORM.encode())
    assert (
        record.digital_source_type
        == "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture"
    )
    assert record.software == "Adobe Photoshop 25.0"
    assert record.model == "SomeModel"
    assert not record.synthetic


def test_foreign_xmp_without_source_type_uses_the_software_tag() -> None:
    xmp = (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about=""/></rdf:RDF></x:xmpmeta>'
    )
    info = PngInfo()
    info.add_itxt(XMP_PNG_KEYWORD, xmp)
    info.add_text("Software", "GIMP 2.10")
    buffer = io.BytesIO()
    PILImage.new("RGB", (2, 2)).save(buffer, "PNG", pnginfo=info)
    record = read_provenance(buffer.getvalue())
    assert record == Provenance(None, "GIMP 2.10", None, xmp)
    assert not record.synthetic


def test_png_xmp_after_the_image_data_is_found(face: npt.NDArray[np.uint8]) -> None:
    data = encode(face, "png", provenance=False)
    chunks = png_chunks(data)
    itxt = XMP_PNG_KEYWORD.encode() + b"\x00\x00\x00\x00\x00" + build_xmp(model="late").encode()
    chunk = (
        struct.pack(">I", len(itxt))
        + b"iTXt"
        + itxt
        + struct.pack(">I", zlib.crc32(b"iTXt" + itxt))
    )
    iend = 12  # the last chunk, IEND, is always 12 bytes
    assert chunks[-1][0] == b"IEND"
    late = data[:-iend] + chunk + data[-iend:]
    record = read_provenance(late)
    assert record is not None
    assert record.model == "late"


_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol">
<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
<!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">]>
<x:xmpmeta xmlns:x="adobe:ns:meta/" xmlns:xmp="http://ns.adobe.com/xap/1.0/"
 xmp:CreatorTool="&lol6;"/>"""

_EXTERNAL = """<?xml version="1.0"?>
<!DOCTYPE x [<!ENTITY secret SYSTEM "file:///etc/hostname">]>
<x:xmpmeta xmlns:x="adobe:ns:meta/" xmlns:xmp="http://ns.adobe.com/xap/1.0/"
 xmp:CreatorTool="&secret;"/>"""


@pytest.mark.parametrize("hostile", [_LAUGHS, _EXTERNAL])
def test_entities_are_never_expanded(hostile: str) -> None:
    started = time.perf_counter()
    record = parse_xmp(hostile)
    assert time.perf_counter() - started < 0.5
    assert record.software is None
    assert record.digital_source_type is None
    assert record.raw_xmp == hostile.strip()


@pytest.mark.parametrize("broken", ["", "not xml at all", "<x:xmpmeta", "\x00\x00"])
def test_malformed_xmp_gives_empty_fields(broken: str) -> None:
    record = parse_xmp(broken)
    assert (record.digital_source_type, record.software, record.model) == (None, None, None)


def test_reader_errors_name_the_input(tmp_path: Path) -> None:
    missing = tmp_path / "gone.png"
    with pytest.raises(InputError) as missing_exc:
        read_provenance(missing)
    assert str(missing) in str(missing_exc.value)
    assert missing_exc.value.exit_code == 3
    with pytest.raises(InvalidImageError) as bad_exc:
        read_provenance(b"definitely not an image", name="upload")
    assert "upload" in str(bad_exc.value)
    assert bad_exc.value.exit_code == 3


def test_to_dict_is_json_ready() -> None:
    record = parse_xmp(build_xmp(model="classic"))
    assert record.to_dict() == {
        "digital_source_type": DIGITAL_SOURCE_TYPE,
        "software": software_string(),
        "model": "classic",
        "synthetic": True,
        "kind": "AI-made or AI-altered",
        "raw_xmp": record.raw_xmp,
    }
