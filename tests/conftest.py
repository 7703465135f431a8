"""Shared fixtures: real sample faces and a fresh, strict plugin manager per test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from faceswap_core import hookimpl
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
        args = ["eval", "--data", str(tiny_lfw), "--out", str(classic), "--json"]
        for override in EVAL_PAIRS:
            args += ["--set", override]
        cli = CliRunner().invoke(make_cli(manager), args, catch_exceptions=False)
        unchanged = root / "unchanged"
        with use_plugins(manager):
            try:
                faceswap.evaluate(
                    data=tiny_lfw,
                    model="unchanged",
                    out=unchanged,
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
        "cli_json": json.loads(cli.stdout.strip().splitlines()[-1]) if cli.exit_code == 0 else None,
        "gate_error": gate_error,
        "data": tiny_lfw,
    }
