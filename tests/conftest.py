"""Shared fixtures: real sample faces and a fresh, strict plugin manager per test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

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


@pytest.fixture
def fresh_plugins() -> Iterator[FaceswapPlugins]:
    """A newly loaded plugin manager, installed as the process-wide one for the test."""
    manager = FaceswapPlugins(strict=True)
    previous = set_plugins(manager)
    yield manager
    set_plugins(previous)
