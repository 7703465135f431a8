"""Provenance metadata: every changed output says how it was made, and who made it.

Two records, written together:

- an XMP packet (the format platforms and the IPTC standard read) with the
  IPTC digital source type the swapper declares (``compositeWithTrainedAlgorithmicMedia``
  for learned swappers, ``compositeCapture`` for the classic landmark warp),
  ``xmp:CreatorTool`` (``faceswap 0.1.0``) and, when known, the swap model as
  ``Iptc4xmpExt:AISystemUsed``. :func:`faceswap_core.io.encode.encode` embeds it:
  a PNG ``iTXt`` chunk keyed ``XML:com.adobe.xmp``, a JPEG APP1 XMP segment, a
  WebP ``XMP`` chunk. :func:`read_provenance` reads it back from any of the three.
- with a signer configured (``pipeline.c2pa``), a signed C2PA manifest that says
  the same in C2PA's vocabulary (:mod:`faceswap_core.io.credentials`).

A :class:`Mark` carries everything an output says about itself (source type,
model, the inputs as :class:`Ingredient` records, the signer); the pipeline
builds it and the encoders write it.

XMP from other files is untrusted: it is parsed with ``defusedxml``, which
refuses DTDs and entity declarations instead of expanding them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, Protocol
from xml.etree.ElementTree import Element
from xml.sax.saxutils import escape

import attrs
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring
from PIL import Image as PILImage

from faceswap_core.errors import InvalidImageError
from faceswap_core.io.decode import open_image, probe
from faceswap_core.io.hashing import cached_sha256_file, sha256_bytes
from faceswap_core.io.limits import DEFAULT_MAX_BYTES, DEFAULT_MAX_PIXELS
from faceswap_core.io.read import FileBytes
from faceswap_core.version import __version__

SOFTWARE_NAME = "faceswap"

IPTC_SOURCE_TYPE_BASE = "http://cv.iptc.org/newscodes/digitalsourcetype/"

IPTC_SOURCE_TYPES: dict[str, str] = {
    IPTC_SOURCE_TYPE_BASE + code: label
    for code, label in (
        ("digitalCapture", "Digital capture sampled from real life"),
        ("computationalCapture", "Multi-frame computational capture sampled from real life"),
        ("negativeFilm", "Digitised from a transparent negative"),
        ("positiveFilm", "Digitised from a transparent positive"),
        ("print", "Digitised from a non-transparent medium"),
        ("humanEdits", "Human-edited media"),
        ("compositeWithTrainedAlgorithmicMedia", "Edited using Generative AI"),
        ("algorithmicallyEnhanced", "Algorithmically-altered media"),
        ("digitalCreation", "Digital creation"),
        ("dataDrivenMedia", "Data-driven media"),
        ("trainedAlgorithmicMedia", "Created using Generative AI"),
        ("algorithmicMedia", "Pure algorithmic media"),
        ("screenCapture", "Screen capture"),
        ("virtualRecording", "Virtual event recording"),
        ("composite", "Composite of elements"),
        ("compositeCapture", "Composite of captured elements"),
        ("compositeSynthetic", "Composite including generative AI elements"),
    )
}
"""The IPTC digital source type vocabulary (current terms, retired ones left out) and the
IPTC's own label of each, as in its NewsCodes scheme."""

TRAINED_COMPOSITE = IPTC_SOURCE_TYPE_BASE + "compositeWithTrainedAlgorithmicMedia"
"""A captured image edited with a trained (generative) model: learned face swappers."""

CAPTURE_COMPOSITE = IPTC_SOURCE_TYPE_BASE + "compositeCapture"
"""A composite of elements that are all captures of real life: the classic landmark warp,
which moves pixels of the source photo onto the target photo and generates none."""

DIGITAL_SOURCE_TYPE = TRAINED_COMPOSITE
"""The source type of a swapper that declares none (learned swappers are the rule)."""

SYNTHETIC_SOURCE_TYPES: frozenset[str] = frozenset(
    IPTC_SOURCE_TYPE_BASE + code
    for code in (
        "trainedAlgorithmicMedia",
        "compositeWithTrainedAlgorithmicMedia",
        "algorithmicMedia",
        "compositeSynthetic",
    )
)
"""IPTC digital source types that mark algorithmically made or altered media."""

COMPOSITE_SOURCE_TYPES: frozenset[str] = frozenset(
    IPTC_SOURCE_TYPE_BASE + code for code in ("composite", "compositeCapture")
)
"""IPTC digital source types of composites that were not marked as AI-made."""


def check_source_type(value: object, who: str) -> str:
    """``value`` if it is a current IPTC digital source type URI, else a one-line error.

    :param who: names the declaring component in the message (``swapper 'foo' (plugin bar)``).
    :raises ValueError: an unknown or retired term.
    """
    if isinstance(value, str) and value in IPTC_SOURCE_TYPES:
        return value
    codes = ", ".join(uri.removeprefix(IPTC_SOURCE_TYPE_BASE) for uri in IPTC_SOURCE_TYPES)
    raise ValueError(
        f"{who} declares digital_source_type {value!r}, which is not a current IPTC digital "
        f"source type; use {IPTC_SOURCE_TYPE_BASE}<code> with one of: {codes}"
    )


def source_type_kind(value: str | None) -> str:
    """How ``faceswap inspect`` words a source type: AI-made, a composite, or neither."""
    if value in SYNTHETIC_SOURCE_TYPES:
        return "AI-made or AI-altered"
    if value in COMPOSITE_SOURCE_TYPES:
        return "a composite, not marked as AI-made"
    return "not marked as AI-made"


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

    @property
    def kind(self) -> str:
        """The source type in words (see :func:`source_type_kind`)."""
        return source_type_kind(self.digital_source_type)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields (for ``faceswap inspect --json`` and the REST API)."""
        return {
            "digital_source_type": self.digital_source_type,
            "software": self.software,
            "model": self.model,
            "synthetic": self.synthetic,
            "kind": self.kind,
            "raw_xmp": self.raw_xmp,
        }


def software_string() -> str:
    """``faceswap <version>``, written as CreatorTool and as the Software tag."""
    return f"{SOFTWARE_NAME} {__version__}"


VIDEO_MIME_TYPES: dict[str, str] = {
    ".mp4": "video/mp4",
    ".m4v": "video/x-m4v",
    ".mov": "video/quicktime",
    ".mkv": "video/x-matroska",
    ".webm": "video/webm",
    ".avi": "video/x-msvideo",
}
"""MIME types of video containers, by suffix (ingredients and signing)."""

Relationship = Literal["parentOf", "componentOf"]


@attrs.frozen
class Ingredient:
    """One input of an edit as a manifest records it: its role, a neutral title, format, hash.

    Titles are fixed words (``target image``, ``source face``), never file names, so
    no local path or name reaches a manifest.

    :ivar relationship: ``parentOf`` (the target the output was made from) or
        ``componentOf`` (the source face put into it).
    :ivar format: the input's MIME type, when it came as a file or bytes.
    :ivar sha256: hex SHA-256 of the input's bytes, when it came as a file or bytes.
    :ivar asset: the parent's file or bytes, handed to the C2PA SDK so the
        parent's own Content Credentials, if any, join the chain. Never set for a
        component: a source face is recorded by its hash only.
    """

    relationship: Relationship
    title: str
    format: str | None = None
    sha256: str | None = None
    asset: bytes | Path | None = attrs.field(default=None, repr=False)


def describe_input(
    source: Any, relationship: Relationship, title: str, *, keep_asset: bool = False
) -> Ingredient:
    """An :class:`Ingredient` for a path, encoded bytes, or an in-memory image.

    A file or bytes gets its SHA-256 and MIME type (from the header; videos from the
    suffix); an array or PIL image has no encoded form to hash, so it gets neither.

    :param keep_asset: keep the file or bytes for the SDK (the parent only).
    """
    if isinstance(source, FileBytes):  # read where it lives; hash the bytes the worker got
        source = source.read()
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        mime = VIDEO_MIME_TYPES.get(path.suffix.lower()) or _image_mime(path)
        digest = cached_sha256_file(path)
        return Ingredient(relationship, title, mime, digest, path if keep_asset else None)
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        return Ingredient(
            relationship,
            title,
            _image_mime(data),
            sha256_bytes(data),
            data if keep_asset else None,
        )
    return Ingredient(relationship, title)


def _image_mime(source: Path | bytes) -> str | None:
    try:
        found = probe(source).format
    except Exception:  # a header the decoder cannot read has no format to record
        return None
    return None if found is None else PILImage.MIME.get(found)


class Signer(Protocol):
    """Signs encoded outputs with a manifest made from a :class:`Mark` (a C2PA signer)."""

    def sign_bytes(self, data: bytes, mime: str, mark: Mark) -> bytes:
        """``data`` with a signed manifest embedded."""
        ...

    def sign_file(self, path: Path, mime: str, mark: Mark) -> None:
        """Embed a signed manifest into the file at ``path`` (replaced in place)."""
        ...

    def check_format(self, mime: str, label: str) -> None:
        """Raise when outputs of type ``mime`` cannot carry a manifest."""
        ...


@attrs.frozen(eq=False)
class Mark:
    """What a changed output says about how it was made.

    The XMP mark uses ``digital_source_type`` and ``model``; with a ``signer`` the
    output is also signed with a C2PA manifest holding all of it.

    :ivar digital_source_type: the IPTC term the swapper declares.
    :ivar model: the swap model's name (the swapper type: ``classic``, ``inswapper``...).
    :ivar model_sha256: SHA-256 of the swap model's weights file, when it has one.
    :ivar ingredients: the target (``parentOf``) and the source face (``componentOf``).
    :ivar signer: signs the output; ``None`` writes the XMP mark only.
    """

    digital_source_type: str = DIGITAL_SOURCE_TYPE
    model: str | None = None
    model_sha256: str | None = None
    ingredients: tuple[Ingredient, ...] = ()
    signer: Signer | None = None

    def xmp(self) -> str:
        """The XMP packet of this mark."""
        return build_xmp(model=self.model, digital_source_type=self.digital_source_type)


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


def video_tags(
    *, model: str | None = None, digital_source_type: str = DIGITAL_SOURCE_TYPE
) -> dict[str, str]:
    """Container metadata for a swapped video: the same XMP packet as images, and a comment.

    FFmpeg writes no XMP box into MP4, so the packet goes into a metadata tag
    (``xmp``; Matroska upper-cases it) that :func:`provenance_from_tags` and
    exiftool read back; the ``comment`` tag says the same in words for players.
    """
    software = software_string()
    code = digital_source_type.removeprefix(IPTC_SOURCE_TYPE_BASE)
    what = "AI-altered video" if digital_source_type in SYNTHETIC_SOURCE_TYPES else "Altered video"
    return {
        VIDEO_XMP_TAG: build_xmp(
            software=software, model=model, digital_source_type=digital_source_type
        ),
        VIDEO_COMMENT_TAG: f"{what} (IPTC digital source type {code}), made with {software}",
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
    "CAPTURE_COMPOSITE",
    "COMPOSITE_SOURCE_TYPES",
    "DIGITAL_SOURCE_TYPE",
    "IPTC_SOURCE_TYPES",
    "IPTC_SOURCE_TYPE_BASE",
    "SOFTWARE_NAME",
    "SYNTHETIC_SOURCE_TYPES",
    "TRAINED_COMPOSITE",
    "VIDEO_MIME_TYPES",
    "VIDEO_XMP_TAG",
    "XMP_PNG_KEYWORD",
    "Ingredient",
    "Mark",
    "Provenance",
    "Relationship",
    "Signer",
    "build_xmp",
    "check_source_type",
    "describe_input",
    "extract_xmp",
    "parse_xmp",
    "provenance_from_tags",
    "read_provenance",
    "software_string",
    "source_type_kind",
    "video_tags",
]
