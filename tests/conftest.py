"""Shared fixtures: real sample faces and a fresh, strict plugin manager per test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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


# -- a tiny face dataset for evaluation tests ----------------------------------------------------


def _people() -> dict[str, Image]:
    """Eight real people from installed packages: t1's six faces, the astronaut, Tom Hanks."""
    import cv2

    from faceswap_core.pipeline.image import Pipeline
    from faceswap_core.vision.crop import crop_around

    detector = Pipeline().detector
    t1 = load_sample("t1")
    faces = sorted(detector.detect(t1), key=lambda face: float(face.bbox[0]))
    people = {
        f"t1_person{index + 1}": crop_around(t1, face, 0.5) for index, face in enumerate(faces)
    }
    astronaut = load_sample("astronaut")
    (face,) = detector.detect(astronaut)
    people["astronaut"] = crop_around(astronaut, face, 0.5)
    hanks = load_sample("tom_hanks")  # 112 px: doubled, like a photo at LFW's scale
    people["tom_hanks"] = cv2.resize(hanks, (224, 224), interpolation=cv2.INTER_CUBIC)
    return people


def _variants(image: Image) -> list[Image]:
    """The photo, its mirror image, and a rotated, shrunk, brighter copy: three images each."""
    import cv2
    import numpy as np

    height, width = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), 6, 0.92)
    turned = cv2.warpAffine(image, matrix, (width, height), borderMode=cv2.BORDER_REFLECT_101)
    brighter = np.clip(turned.astype(np.int16) + 12, 0, 255).astype(np.uint8)
    return [image, np.ascontiguousarray(image[:, ::-1]), brighter]


@pytest.fixture(scope="session")
def tiny_faces() -> dict[str, list[Image]]:
    """``{person: [three images]}`` of eight people."""
    return {name: _variants(image) for name, image in _people().items()}


@pytest.fixture(scope="session")
def tiny_lfw(tmp_path_factory: pytest.TempPathFactory, tiny_faces: dict[str, list[Image]]) -> Path:
    """The tiny dataset in LFW layout: ``<Person>/<Person>_000N.jpg``."""
    from PIL import Image as PILImage

    root = tmp_path_factory.mktemp("tiny_lfw")
    for name, images in tiny_faces.items():
        (root / name).mkdir()
        for index, image in enumerate(images):
            PILImage.fromarray(image).save(root / name / f"{name}_{index:04d}.jpg", quality=92)
    return root


PREPARED_TRAIN = ("t1_person1", "t1_person2")
"""Identities the prepared tiny dataset puts in its ``train`` split; the rest are ``test``."""


@pytest.fixture(scope="session")
def tiny_prepared(
    tmp_path_factory: pytest.TempPathFactory, tiny_faces: dict[str, list[Image]]
) -> Path:
    """The tiny dataset prepared like ``faceswap data lfw prepare``: 112 px aligned crops,
    split by identity, with core's manifest (path, sha256, split, label)."""
    from PIL import Image as PILImage

    from faceswap_core.experiment.manifest import Label, build_manifest, write_manifest
    from faceswap_core.pipeline.image import Pipeline
    from faceswap_core.vision import align

    detector = Pipeline().detector
    root = tmp_path_factory.mktemp("tiny_prepared")
    for name, images in tiny_faces.items():
        (root / "aligned" / name).mkdir(parents=True)
        for index, image in enumerate(images):
            face = max(detector.detect(image), key=lambda f: f.area)
            crop = align.align(image, face, 112, "arcface").crop
            PILImage.fromarray(crop).save(root / "aligned" / name / f"{index:04d}.png")

    def labeling(relative: Any) -> Any:
        person = relative.parts[1]
        return Label(split="train" if person in PREPARED_TRAIN else "test", label=person)

    write_manifest(build_manifest(root, labeling, name="tiny"), root / "manifest.json")
    return root


# -- two evaluations of the tiny dataset, shared by the eval, report, MOS and browser tests ------

EVAL_PAIRS = ("eval.cross_pairs=8", "eval.self_pairs=4")


class UnchangedSwapper:
    """A baseline that returns the target as it was: its own crop and an all-zero paste mask."""

    crop_size = 112
    template = "arcface"
    recognizer = None
    needs_landmarks = False

    def prepare_source(self, crop: Image, face: Any) -> None:
        return None

    def swap(self, crop: Image, face: Any, source: Any) -> Any:
        import numpy as np

        from faceswap_core.interfaces.swap import SwapOutput

        return SwapOutput(crop, np.zeros(crop.shape[:2], np.float32))


class UnchangedPlugin:
    """Registers the ``unchanged`` swapper (a plugin that lives only in the tests)."""

    @staticmethod
    def _build(config: None, context: Any) -> UnchangedSwapper:
        return UnchangedSwapper()

    @hookimpl
    def register_swappers(self, register: Any) -> None:
        register("unchanged", self._build)


@pytest.fixture(scope="session")
def eval_runs(tmp_path_factory: pytest.TempPathFactory, tiny_lfw: Path) -> dict[str, Any]:
    """``faceswap eval`` of ``classic`` (the CLI, in-process) and of the unchanged-target
    baseline gated against it (``faceswap.evaluate``), on the tiny LFW-layout dataset.

    LPIPS's backbone weights are looked up in an empty torch hub folder, so the
    run shows how a missing file is reported, whatever this machine caches.
    """
    import json

    from click.testing import CliRunner

    import faceswap
    from faceswap_core.cli.main import make_cli
    from faceswap_core.errors import RegressionError
    from faceswap_core.testing import use_plugins

    root = tmp_path_factory.mktemp("eval_runs")
    previous = os.environ.get("TORCH_HOME")
    os.environ["TORCH_HOME"] = str(root / "torch_home")
    try:
        manager = FaceswapPlugins(strict=True)
        manager.register(UnchangedPlugin(), name="unchanged-baseline")
        classic = root / "classic"
        args = ["eval", "--data", str(tiny_lfw), "-o", str(classic), "--json"]
        for override in EVAL_PAIRS:
            args += ["--set", override]
        cli = CliRunner().invoke(make_cli(manager), args, catch_exceptions=False)
        unchanged = root / "unchanged"
        with use_plugins(manager):
            try:
                faceswap.evaluate(
                    data=tiny_lfw,
                    model="unchanged",
                    output=unchanged,
                    baseline=classic,
                    overrides=EVAL_PAIRS,
                )
                gate_error = None
            except RegressionError as exc:
                gate_error = exc
    finally:
        if previous is None:
            os.environ.pop("TORCH_HOME", None)
        else:
            os.environ["TORCH_HOME"] = previous
    return {
        "classic": classic,
        "unchanged": unchanged,
        "cli": cli,
        "cli_json": (
            json.loads(cli.stdout.strip().splitlines()[-1])["summary"]
            if cli.exit_code == 0
            else None
        ),
        "gate_error": gate_error,
        "data": tiny_lfw,
    }


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
