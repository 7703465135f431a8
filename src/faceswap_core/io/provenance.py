"""Provenance metadata: every output image says it is an AI composite, and who made it.

The record is an XMP packet (the format platforms and the IPTC standard read)
with the IPTC digital source type ``compositeWithTrainedAlgorithmicMedia``,
``xmp:CreatorTool`` (``faceswap 0.1.0``) and, when known, the swap model as
``Iptc4xmpExt:AISystemUsed``. :func:`faceswap_core.io.encode.encode` embeds it:
a PNG ``iTXt`` chunk keyed ``XML:com.adobe.xmp``, a JPEG APP1 XMP segment, a
WebP ``XMP`` chunk. :func:`read_provenance` reads it back from any of the three.

XMP from other files is untrusted: it is parsed with ``defusedxml``, which
refuses DTDs and entity declarations instead of expanding them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from xml.etree.ElementTree import Element
from xml.sax.saxutils import escape

import attrs
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

from faceswap_core.errors import InvalidImageError
from faceswap_core.io.decode import open_image
from faceswap_core.io.limits import DEFAULT_MAX_BYTES, DEFAULT_MAX_PIXELS
from faceswap_core.version import __version__

if TYPE_CHECKING:
    from PIL import Image as PILImage

SOFTWARE_NAME = "faceswap"

DIGITAL_SOURCE_TYPE = (
    "http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia"
)
"""IPTC code for an edit that combines a captured image with trained-model output."""

SYNTHETIC_SOURCE_TYPES: frozenset[str] = frozenset(
    "http://cv.iptc.org/newscodes/digitalsourcetype/" + code
    for code in (
        "trainedAlgorithmicMedia",
        "compositeWithTrainedAlgorithmicMedia",
        "algorithmicMedia",
        "compositeSynthetic",
    )
)
"""IPTC digital source types that mark algorithmically made or altered media."""

XMP_PNG_KEYWORD = "XML:com.adobe.xmp"
"""Keyword of the PNG ``iTXt`` chunk that holds XMP."""

NS_X = "adobe:ns:meta/"
NS_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
NS_XMP = "http://ns.adobe.com/xap/1.0/"
NS_IPTC_EXT = "http://iptc.org/std/Iptc4xmpExt/2008-02-29/"

_PNG_SOFTWARE_KEY = "Software"
_EXIF_SOFTWARE = 0x0131


@attrs.frozen
class Provenance:
    """Provenance read from an image's XMP.

    :ivar digital_source_type: IPTC digital source type URI, if present.
    :ivar software: the tool that wrote the image (``xmp:CreatorTool``, else the
        file's Software tag).
    :ivar model: the AI system / swap model (``Iptc4xmpExt:AISystemUsed``).
    :ivar raw_xmp: the XMP packet as found.
    """

    digital_source_type: str | None
    software: str | None
    model: str | None = None
    raw_xmp: str = ""

    @property
    def synthetic(self) -> bool:
        """Whether the source type marks the image as made or altered by an algorithm."""
        return self.digital_source_type in SYNTHETIC_SOURCE_TYPES

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields (for ``faceswap inspect --json`` and the REST API)."""
        return {
            "digital_source_type": self.digital_source_type,
            "software": self.software,
            "model": self.model,
            "synthetic": self.synthetic,
            "raw_xmp": self.raw_xmp,
        }


def software_string() -> str:
    """``faceswap <version>``, written as CreatorTool and as the Software tag."""
    return f"{SOFTWARE_NAME} {__version__}"


def _attr(value: str) -> str:
    return escape(value, {'"': "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})


def build_xmp(
    *,
    software: str | None = None,
    model: str | None = None,
    digital_source_type: str = DIGITAL_SOURCE_TYPE,
) -> str:
    """An XMP packet with the provenance fields (values are XML-escaped)."""
    fields = [
        f'Iptc4xmpExt:DigitalSourceType="{_attr(digital_source_type)}"',
        f'xmp:CreatorTool="{_attr(software or software_string())}"',
    ]
    if model:
        fields.append(f'Iptc4xmpExt:AISystemUsed="{_attr(model)}"')
    attributes = "\n    ".join(fields)
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        f'<x:xmpmeta xmlns:x="{NS_X}">\n'
        f' <rdf:RDF xmlns:rdf="{NS_RDF}">\n'
        '  <rdf:Description rdf:about=""\n'
        f'    xmlns:xmp="{NS_XMP}"\n'
        f'    xmlns:Iptc4xmpExt="{NS_IPTC_EXT}"\n'
        f"    {attributes}/>\n"
        " </rdf:RDF>\n"
        "</x:xmpmeta>\n"
        '<?xpacket end="w"?>'
    )


def _first_text(element: Element) -> str | None:
    resource = element.get(f"{{{NS_RDF}}}resource")
    if resource and resource.strip():
        return resource.strip()
    for text in element.itertext():  # rdf:Alt / rdf:Seq: the first non-empty item
        if text.strip():
            return text.strip()
    return None


def _find(root: Element, namespace: str, local: str) -> str | None:
    """A property written either as an attribute or as an element, anywhere in the tree."""
    qualified = f"{{{namespace}}}{local}"
    for element in root.iter():
        value = element.get(qualified)
        if value is not None and value.strip():
            return value.strip()
        if element.tag == qualified:
            found = _first_text(element)
            if found:
                return found
    return None


def parse_xmp(xmp: str | bytes, *, software: str | None = None) -> Provenance:
    """The provenance fields of an XMP packet; malformed or unsafe XMP yields empty fields.

    :param software: fallback when the packet has no ``xmp:CreatorTool``.
    """
    text = xmp.decode("utf-8", errors="replace") if isinstance(xmp, bytes) else xmp
    text = text.strip().strip("\x00").strip()
    try:
        root = fromstring(text.encode("utf-8"), forbid_dtd=True)
    except (ParseError, DefusedXmlException, ValueError):
        return Provenance(None, software, None, text)
    return Provenance(
        digital_source_type=_find(root, NS_IPTC_EXT, "DigitalSourceType"),
        software=_find(root, NS_XMP, "CreatorTool") or software,
        model=_find(root, NS_IPTC_EXT, "AISystemUsed"),
        raw_xmp=text,
    )


def _as_text(value: Any) -> str | None:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return value if isinstance(value, str) else None


def _software_tag(image: PILImage.Image) -> str | None:
    text = _as_text(image.info.get(_PNG_SOFTWARE_KEY))
    if text:
        return text.strip() or None
    try:
        tag = image.getexif().get(_EXIF_SOFTWARE)
    except Exception:  # a broken EXIF block is ignored like a missing one
        return None
    text = _as_text(tag)
    if text is None:
        return None
    return text.strip().strip("\x00") or None


def extract_xmp(image: PILImage.Image) -> str | None:
    """The raw XMP packet of an opened PIL image (PNG iTXt, JPEG APP1, WebP chunk)."""
    for key in ("xmp", XMP_PNG_KEYWORD):
        text = _as_text(image.info.get(key))
        if text:
            return text
    return None


VIDEO_XMP_TAG = "xmp"
"""Container metadata key that carries the XMP packet in videos (MP4/MOV ``mdta``, Matroska tag)."""

VIDEO_COMMENT_TAG = "comment"


def video_tags(*, model: str | None = None) -> dict[str, str]:
    """Container metadata for a swapped video: the same XMP packet as images, and a comment.

    FFmpeg writes no XMP box into MP4, so the packet goes into a metadata tag
    (``xmp``; Matroska upper-cases it) that :func:`provenance_from_tags` and
    exiftool read back; the ``comment`` tag says the same in words for players.
    """
    software = software_string()
    return {
        VIDEO_XMP_TAG: build_xmp(software=software, model=model),
        VIDEO_COMMENT_TAG: (
            f"AI-altered video (IPTC digital source type compositeWithTrainedAlgorithmicMedia), "
            f"made with {software}"
        ),
    }


def provenance_from_tags(tags: Mapping[str, str]) -> Provenance | None:
    """Provenance from a video's container metadata (keys compared case-insensitively)."""
    lowered = {str(key).lower(): value for key, value in tags.items()}
    xmp = lowered.get(VIDEO_XMP_TAG)
    if not xmp:
        return None
    return parse_xmp(xmp, software=lowered.get("encoder"))


def read_provenance(
    source: str | os.PathLike[str] | bytes | bytearray | memoryview | PILImage.Image,
    *,
    name: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Provenance | None:
    """Provenance of an encoded image, or ``None`` when it carries no XMP at all.

    PNG text chunks placed after the image data are read too (that decodes the
    pixels, so only for images within the default pixel limit).

    :raises InvalidImageError: the bytes are not a readable image.
    :raises InputError: a path that is missing, a folder, or unreadable.
    """
    with open_image(source, name=name, max_bytes=max_bytes) as image:
        xmp = extract_xmp(image)
        width, height = image.size
        if xmp is None and image.format == "PNG" and width * height <= DEFAULT_MAX_PIXELS:
            try:
                image.load()  # iTXt after IDAT is only read with the pixels
            except Exception as exc:
                raise InvalidImageError(
                    f"cannot read {name or 'image'} metadata: corrupt PNG ({exc})"
                ) from None
            xmp = extract_xmp(image)
        if xmp is None:
            return None
        return parse_xmp(xmp, software=_software_tag(image))


__all__ = [
    "DIGITAL_SOURCE_TYPE",
    "SOFTWARE_NAME",
    "SYNTHETIC_SOURCE_TYPES",
    "VIDEO_XMP_TAG",
    "XMP_PNG_KEYWORD",
    "Provenance",
    "build_xmp",
    "extract_xmp",
    "parse_xmp",
    "provenance_from_tags",
    "read_provenance",
    "software_string",
    "video_tags",
]
