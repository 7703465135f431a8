"""The quality options through the command line: flags, config keys, exit codes, the source line.

Pixel boost, masks and enhancers are options of swap, video and eval
(``--pixel-boost``, ``--mask``, ``--areas``, ``--regions``, ``--occluder``,
``--parser``, ``--enhancer``, ``--enhance-blend``, declared once in
``operations/fields.py``) and configuration (``pipeline.pixel_boost``,
``pipeline.paste.mask``, ``pipeline.enhancer``...); a bad value is exit 2 and a
model that breaks its contract exit 5, each as one line, before anything is written.
"""

from __future__ import annotations

import json
from pathlib import Path

import click
import numpy as np
import pytest
from click.testing import CliRunner, Result
from PIL import Image as PILImage
from tests import quality_graphs
from tests.integration.conftest import build_white_export
from tests.video.clips import encode, pan_zoom

from faceswap_core.cli.main import make_cli
from faceswap_core.cli.spec_command import build_from_context
from faceswap_core.eval.evaluator import EvalOptions, resolve_experiment
from faceswap_core.interfaces.face import Image
from faceswap_core.operations import build_spec
from faceswap_core.operations.evaluate import EVAL
from faceswap_core.plugin.manager import FaceswapPlugins


@pytest.fixture(scope="module")
def plugins() -> FaceswapPlugins:
    return FaceswapPlugins(strict=True)


@pytest.fixture(scope="module")
def files(
    tmp_path_factory: pytest.TempPathFactory,
    t1_image: Image,
    astronaut_image: Image,
    tom_hanks_image: Image,
) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("cli-quality")
    paths = {}
    for name, image in (("t1", t1_image), ("astronaut", astronaut_image), ("tom", tom_hanks_image)):
        paths[name] = folder / f"{name}.png"
        PILImage.fromarray(image).save(paths[name])
    paths["white"] = build_white_export(folder / "white.onnx")
    paths["occluder"] = quality_graphs.occluder(folder / "occluder.onnx")
    paths["bad_occluder"] = quality_graphs.occluder(folder / "bad_occluder.onnx", layout="nchw")
    paths["restorer"] = quality_graphs.restorer(folder / "restorer.onnx")
    frames, _ = pan_zoom(
        astronaut_image, (240, 180), 6, centre=(225, 120), travel=(10, 0), scale=0.6, zoom=0.0
    )
    paths["clip"] = encode(folder / "clip.mp4", frames)
    return paths


def faceswap(plugins: FaceswapPlugins, *args: str | Path) -> Result:
    return CliRunner().invoke(make_cli(plugins), [str(arg) for arg in args])


def notices(result: Result) -> list[str]:
    return [line for line in result.stderr.splitlines() if "faces; using the largest" in line]


@pytest.mark.parametrize("command", ["swap", "video"])
def test_every_command_says_which_face_of_a_group_source_it_uses(
    plugins: FaceswapPlugins, files: dict[str, Path], tmp_path: Path, command: str
) -> None:
    target = files["astronaut"] if command == "swap" else files["clip"]
    suffix = ".png" if command == "swap" else ".mp4"
    group = faceswap(
        plugins, command, "-s", files["t1"], "-t", target, "-o", tmp_path / f"a{suffix}"
    )
    assert group.exit_code == 0, group.output
    (line,) = notices(group)
    assert line.startswith(
        f"Warning: source '{files['t1']}' holds 6 faces; using the largest, at x "
    )
    assert line.endswith("crop the source to use another")
    alone = faceswap(
        plugins, command, "-s", files["tom"], "-t", target, "-o", tmp_path / f"b{suffix}"
    )
    assert alone.exit_code == 0, alone.output
    assert notices(alone) == []


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        (
            "pipeline.pixel_boost=300",
            "$.pipeline.pixel_boost: expected one of 'none', 256, 384, 512",
        ),
        ("pipeline.enhance_blend=.nan", "$.pipeline.enhance_blend: must be a finite number"),
        ("pipeline.enhance_blend=1.5", "$.pipeline.enhance_blend: must be between 0.0 and 1.0"),
        ("pipeline.paste.areas=nose", "$.pipeline.paste.areas[0]: expected one of 'upper-face'"),
        ("pipeline.paste.regions=skin,skin", "$.pipeline.paste.regions: lists a name twice"),
        ("pipeline.paste.mask=box,nope", "unknown masker 'nope'. Available: area, auto, box"),
        ("pipeline.enhancer=sharpen", "unknown enhancer 'sharpen'. Available: codeformer"),
    ],
)
def test_bad_quality_settings_are_exit_2_in_one_line(
    plugins: FaceswapPlugins, files: dict[str, Path], tmp_path: Path, setting: str, message: str
) -> None:
    out = tmp_path / "out.png"
    result = faceswap(
        plugins, "swap", "-s", files["tom"], "-t", files["astronaut"], "-o", out, "--set", setting
    )
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1
    assert message in result.stderr
    assert not out.exists()


def test_quality_options_swap_a_face(
    plugins: FaceswapPlugins, files: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "out.png"
    result = faceswap(
        plugins, "swap", "-s", files["tom"], "-t", files["astronaut"], "-o", out, "--json",
        "--model", "onnx", "--model-path", files["white"],
        "--pixel-boost", "256", "--mask", "box", "--mask", "occlusion",
        "--occluder", files["occluder"], "--enhancer", files["restorer"],
        "--enhance-blend", "0.5",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert out.is_file()
    assert '"faces_swapped": 1' in result.stdout
    assert '"enhance"' in result.stdout
    assert '"mask"' in result.stdout
    # The same settings as config keys give the same picture.
    again = tmp_path / "again.png"
    result = faceswap(
        plugins, "swap", "-s", files["tom"], "-t", files["astronaut"], "-o", again,
        "--model", "onnx", "--model-path", files["white"],
        "--set", "pipeline.pixel_boost=256",
        "--set", "pipeline.paste.mask=box,occlusion",
        "--set", f"pipeline.paste.occluder={files['occluder']}",
        "--set", f"pipeline.enhancer={files['restorer']}",
        "--set", "pipeline.enhance_blend=0.5",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert np.array_equal(np.asarray(PILImage.open(out)), np.asarray(PILImage.open(again)))


def test_video_takes_the_enhancer_and_times_it(
    plugins: FaceswapPlugins, files: dict[str, Path], tmp_path: Path
) -> None:
    stages = {}
    for name, extra in (("plain", []), ("enhanced", ["--enhancer", str(files["restorer"])])):
        result = faceswap(
            plugins, "video", "-s", files["tom"], "-t", files["clip"], "-o",
            tmp_path / f"{name}.mp4", "--json", "--model", "onnx", "--model-path", files["white"],
            *extra,
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        report = json.loads(result.stdout.splitlines()[0])
        stages[name] = report["stages_mean"].get("enhance", 0.0)
    assert stages["enhanced"] > 0.0 == stages["plain"]


def test_eval_takes_the_options_and_its_rerun_command_keeps_them(tmp_path: Path) -> None:
    given = {
        "pixel_boost": 384, "mask": ("box,area",), "areas": ("mouth", "lower-face"),
        "enhancer": "gfpgan_1.4", "enhance_blend": 0.25,
    }  # fmt: skip
    options = EvalOptions.of(build_spec(EVAL, given, "cli"))
    argv = options.command()
    assert argv[:2] == ["faceswap", "eval"]
    command = make_cli(FaceswapPlugins(strict=True)).get_command(
        click.Context(click.Group()), "eval"
    )
    assert command is not None
    with command.make_context("eval", argv[2:]) as ctx:
        rerun = EvalOptions.of(build_from_context(ctx, EVAL))
    assert rerun.quality == options.quality
    experiment, _, _ = resolve_experiment(options, FaceswapPlugins(strict=True))
    pipeline = experiment.pipeline
    assert (pipeline.pixel_boost, tuple(pipeline.paste.mask)) == (384, ("box", "area"))
    assert (pipeline.paste.areas, pipeline.enhancer) == (["mouth", "lower-face"], "gfpgan_1.4")
    assert pipeline.enhance_blend == 0.25


def test_a_mask_model_that_breaks_its_contract_is_exit_5_before_any_output(
    plugins: FaceswapPlugins, files: dict[str, Path], tmp_path: Path
) -> None:
    """The mask and enhancer models load with the source, before the first target."""
    out = tmp_path / "swapped"
    result = faceswap(
        plugins, "swap", "-s", files["tom"], "-t", files["astronaut"], "-t", files["t1"],
        "-o", out, "--model", "onnx", "--model-path", files["white"],
        "--set", "pipeline.paste.mask=box,occlusion",
        "--set", f"pipeline.paste.occluder={files['bad_occluder']}",
    )  # fmt: skip
    assert result.exit_code == 5, result.output
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"Error: model {files['bad_occluder']}: input 'input' of an XSeg")
    assert not out.exists() or list(out.iterdir()) == []


def test_components_lists_the_maskers_and_enhancers(plugins: FaceswapPlugins) -> None:
    maskers = faceswap(plugins, "components", "masker")
    assert maskers.exit_code == 0
    names = {line.split()[0] for line in maskers.stdout.splitlines()[1:]}
    assert names == {"area", "auto", "box", "hull", "model", "occlusion", "region"}
    enhancers = faceswap(plugins, "components", "enhancer")
    names = {line.split()[0] for line in enhancers.stdout.splitlines()[1:]}
    assert names == {"codeformer", "gfpgan", "gpen_bfr_256", "gpen_bfr_512"}
