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
