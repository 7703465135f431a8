"""Shared fixtures: real sample faces and a fresh, strict plugin manager per test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from faceswap_core import Register, hookimpl
from faceswap_core.interfaces.face import Image
from faceswap_core.plugin.manager import FaceswapPlugins, set_plugins
from faceswap_core.tools.samples import load_sample, sample_path

os.environ.setdefault("FACESWAP_STRICT_PLUGINS", "1")


@pytest.fixture(scope="session")
def t1_image() -> Image:
    return load_sample("t1")


@pytest.fixture(scope="session")
def tom_hanks_image() -> Image:
    return load_sample("tom_hanks")


@pytest.fixture(scope="session")
def astronaut_image() -> Image:
    return load_sample("astronaut")


@pytest.fixture(scope="session")
def t1_path() -> Path:
    return sample_path("t1")


@pytest.fixture(scope="session")
def tom_hanks_path() -> Path:
    return sample_path("tom_hanks")


@pytest.fixture(autouse=True)
def _keep_the_process_wide_plugins() -> Iterator[None]:
    """``make_cli(manager)`` installs ``manager`` process-wide; undo that after each test.

    Otherwise a test that runs the CLI with a core-only manager would leave the
    facade of a later test without plugins.
    """
    previous = set_plugins(None)
    set_plugins(previous)
    yield
    set_plugins(previous)


@pytest.fixture
def fresh_plugins() -> Iterator[FaceswapPlugins]:
    """A newly loaded plugin manager, installed as the process-wide one for the test."""
    manager = FaceswapPlugins(strict=True)
    previous = set_plugins(manager)
    yield manager
    set_plugins(previous)


def png_header_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` x ``height`` with almost no pixel data."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


class CountingDetector:
    """A plugin whose ``counting`` detector records each build (``built``) and builds nothing.

    ``--set pipeline.detector=counting`` makes a command that loads models
    fail loudly, so a test can prove a refusal came before any model loaded.
    """

    def __init__(self) -> None:
        self.built: list[object] = []

    @hookimpl
    def register_detectors(self, register: Register[object]) -> None:
        register("counting", lambda config, context: self.built.append(config))


@pytest.fixture
def counting() -> tuple[FaceswapPlugins, CountingDetector]:
    """All installed plugins plus :class:`CountingDetector`."""
    manager = FaceswapPlugins(strict=True)
    plugin = CountingDetector()
    manager.register(plugin, name="counting")
    return manager, plugin


# -- provenance, read without faceswap's reader ------------------------------------------------

IPTC_EXT = "http://iptc.org/std/Iptc4xmpExt/2008-02-29/"
XMP_JPEG_HEADER = b"http://ns.adobe.com/xap/1.0/\x00"


def xmp_packets(data: bytes) -> list[bytes]:
    """Every XMP packet in PNG, JPEG or WebP bytes, found by walking the container by hand.

    Written from the format specifications (PNG chunks, JPEG APP1 segments,
    RIFF chunks), independently of the writer and of faceswap's own reader.
    """
    packets: list[bytes] = []
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        at = 8
        while at + 8 <= len(data):
            length = int.from_bytes(data[at : at + 4], "big")
            kind, body = data[at + 4 : at + 8], data[at + 8 : at + 8 + length]
            if kind == b"iTXt" and body.startswith(b"XML:com.adobe.xmp\x00"):
                # keyword NUL, compression flag, method, language NUL, translated NUL, text
                rest = body[len(b"XML:com.adobe.xmp\x00") :]
                assert rest[0] == 0, "compressed XMP is not expected"
                rest = rest[2:]
                rest = rest[rest.index(b"\x00") + 1 :]
                packets.append(rest[rest.index(b"\x00") + 1 :])
            at += 12 + length
    elif data.startswith(b"\xff\xd8"):
        at = 2
        while at + 4 <= len(data) and data[at] == 0xFF and data[at + 1] not in (0xDA, 0xD9):
            length = int.from_bytes(data[at + 2 : at + 4], "big")
            body = data[at + 4 : at + 2 + length]
            if data[at + 1] == 0xE1 and body.startswith(XMP_JPEG_HEADER):
                packets.append(body[len(XMP_JPEG_HEADER) :])
            at += 2 + length
    elif data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        at = 12
        while at + 8 <= len(data):
            kind, length = data[at : at + 4], int.from_bytes(data[at + 4 : at + 8], "little")
            if kind == b"XMP ":
                packets.append(data[at + 8 : at + 8 + length])
            at += 8 + length + (length & 1)
    else:
        raise AssertionError(f"not PNG, JPEG or WebP: {data[:12]!r}")
    return packets


def digital_source_types(data: bytes) -> list[str]:
    """IPTC DigitalSourceType values in the file's XMP, parsed with the standard library."""
    from xml.etree import ElementTree

    found = []
    for packet in xmp_packets(data):
        text = packet.decode("utf-8").strip("\x00 \n")
        start, end = text.index("<x:xmpmeta"), text.index("</x:xmpmeta>") + len("</x:xmpmeta>")
        for element in ElementTree.fromstring(text[start:end]).iter():
            value = element.get(f"{{{IPTC_EXT}}}DigitalSourceType")
            if value is not None:
                found.append(value)
    return found
