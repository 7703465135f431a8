"""Pixel boost, paste masks and face enhancers in the real pipeline, on tiny graphs.

Every graph here is built by the test (``tests/quality_graphs.py``) with the
contract's real shapes and a behaviour the test can predict: an identity
swapper, an occluder and a parser that cover the left half of the crop, a
restorer that returns one colour. The promises under test:

- pixel boost puts the sub-crops back exactly (an identity model returns the
  boosted crop bit for bit), running them as one batch when the graph allows;
- pixels a mask zeroes keep the target exactly, whichever masker zeroes them;
- ``enhance_blend`` 0 leaves the swap unchanged, 1 takes the enhancer's face
  under the mask, and the enhancer never writes where the swap did not;
- the enhancer sees only swapped faces, all of a frame's in one call.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import cv2
import numpy as np
import pytest
from click.testing import CliRunner
from tests import quality_graphs as graphs
from tests.integration.conftest import build_white_export

from faceswap_core.cli.main import make_cli
from faceswap_core.config.schema import PasteConfig, PipelineConfig
from faceswap_core.errors import ConfigError, ModelFileError, UnknownComponentError
from faceswap_core.interfaces.face import Image
from faceswap_core.models.store import ModelStore
from faceswap_core.pipeline.image import Pipeline, SwapResult
from faceswap_core.pipeline.settings import QualityOptions
from faceswap_core.pipeline.stream import stream
from faceswap_core.pipeline.timing import StageTimer
from faceswap_core.plugin.manager import FaceswapPlugins
from faceswap_core.testing import only_error_line
from faceswap_core.vision.align import invert, transform_points
from faceswap_core.vision.selection import largest


@pytest.fixture(scope="module")
def plugins() -> FaceswapPlugins:
    return FaceswapPlugins(strict=True)


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("quality-graphs")
    return {
        "identity": graphs.identity_export(folder / "identity.onnx"),
        "identity_b1": graphs.identity_export(folder / "identity_b1.onnx", batch=1),
        "identity_256": graphs.identity_export(folder / "identity_256.onnx", size=256),
        "white": build_white_export(folder / "white.onnx"),
        "occluder": graphs.occluder(folder / "occluder.onnx"),
        "parser": graphs.parser(folder / "parser.onnx"),
        "restorer": graphs.restorer(folder / "restorer.onnx", value=0.2),
        "restorer_256": graphs.restorer(folder / "restorer_256.onnx", size=256, value=0.2),
        "codeformer": graphs.codeformer(folder / "codeformer.onnx"),
    }


def make(
    plugins: FaceswapPlugins,
    swapper: Path,
    *,
    store: ModelStore | None = None,
    **changes: Any,
) -> Pipeline:
    config = attrs.evolve(
        PipelineConfig(swapper={"type": "onnx", "model": str(swapper)}), **changes
    )
    return Pipeline(config, plugins, models=store)


class RunSpy:
    """Records the batch size of every run of a real session (the session still runs)."""

    def __init__(self, session: Any) -> None:
        self.batches: list[int] = []
        self._run = session.run
        session.run = self

    def __call__(self, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        self.batches.append(len(next(iter(feeds.values()))))
        result: dict[str, np.ndarray] = self._run(feeds)
        return result


def crop_coordinates(shape: tuple[int, ...], matrix: np.ndarray) -> np.ndarray:
    """Where every frame pixel lands in the crop (H x W x 2, x then y)."""
    ys, xs = np.mgrid[0 : shape[0], 0 : shape[1]]
    points = np.stack([xs.ravel(), ys.ravel()], axis=1).astype(np.float64)
    return transform_points(points, matrix).reshape(shape[0], shape[1], 2)


def reached(result: SwapResult, shape: tuple[int, ...]) -> np.ndarray:
    """Frame pixels the swap's paste mask reaches (its support warped back, as the paste does)."""
    pasted = result.masks[0]
    size = pasted.mask.shape[0]
    back = cv2.warpAffine(
        pasted.mask.astype(np.float32),
        invert(pasted.matrix),
        (shape[1], shape[0]),
        flags=cv2.INTER_LINEAR,
        borderValue=0.0,
    )
    assert size > 0
    return np.asarray(back > 0)


# -- pixel boost ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("model", "runs"), [("identity", [16]), ("identity_b1", [1] * 16)])
def test_pixel_boost_reassembles_the_crop_bit_for_bit(
    plugins: FaceswapPlugins,
    models: dict[str, Path],
    astronaut_image: Image,
    tom_hanks_image: Image,
    model: str,
    runs: list[int],
) -> None:
    """512 px on a 128 px identity model: 16 sub-crops in one batch (or 16 runs of a batch-1
    graph), put back to exactly the aligned 512 px crop."""
    pipeline = make(plugins, models[model], pixel_boost=512)
    identity = pipeline.prepare_source(tom_hanks_image)
    face = largest(pipeline.detect(astronaut_image))
    assert face is not None
    spy = RunSpy(pipeline.swapper.session)  # type: ignore[attr-defined]
    (rendered,) = pipeline.render_all(astronaut_image, [face], identity, StageTimer())
    assert rendered.aligned.size == 512
    assert rendered.crop.shape == (512, 512, 3)
    np.testing.assert_array_equal(rendered.crop, rendered.aligned.crop)
    assert spy.batches == runs


def test_pixel_boost_crop_is_the_model_crop_at_a_finer_grid(
    plugins: FaceswapPlugins, models: dict[str, Path], astronaut_image: Image
) -> None:
    """The boosted crop frames the face as the model's own crop does, at 4x the pixels."""
    pipeline = make(plugins, models["identity"], pixel_boost=512)
    face = largest(pipeline.detect(astronaut_image))
    assert face is not None
    from faceswap_core.vision.align import align

    small, large = (
        align(astronaut_image, face, 128, "inswapper"),
        align(astronaut_image, face, 512, "inswapper"),
    )
    np.testing.assert_allclose(large.matrix, small.matrix * 4, atol=1e-6)
    shrunk = cv2.resize(large.crop, (128, 128), interpolation=cv2.INTER_AREA).astype(int)
    assert np.abs(shrunk - small.crop.astype(int)).mean() < 6


def test_pixel_boost_needs_a_fixed_size_model_and_a_multiple_of_it(
    plugins: FaceswapPlugins,
    models: dict[str, Path],
    astronaut_image: Image,
    tom_hanks_image: Image,
) -> None:
    classic = Pipeline(PipelineConfig(pixel_boost=256), plugins)
    with pytest.raises(ConfigError, match="needs a fixed-size swap model"):
        classic.swap(astronaut_image, tom_hanks_image)
    odd = make(plugins, models["identity_256"], pixel_boost=384)
    with pytest.raises(ConfigError, match="not a multiple of the model's 256 px"):
        odd.swap(astronaut_image, tom_hanks_image)


# -- masks ---------------------------------------------------------------------------------------


def _left_half_kept(result: SwapResult, target: Image, crop: int) -> None:
    """Frame pixels landing in the crop's left half (with a bilinear margin) keep the target."""
    where = crop_coordinates(target.shape, result.masks[0].matrix)
    inside = (where[..., 1] >= 0) & (where[..., 1] < crop) & (where[..., 0] >= 0)
    left = inside & (where[..., 0] < crop / 2 - 2)
    right = inside & (where[..., 0] > crop / 2 + 12) & (where[..., 0] < crop * 0.8)
    assert left.sum() > 1000
    np.testing.assert_array_equal(result.image[left], target[left])
    assert np.any(result.image[right] != target[right], axis=1).mean() > 0.5


def test_pixels_the_occluder_zeroes_keep_the_target_exactly(
    plugins: FaceswapPlugins,
    models: dict[str, Path],
    astronaut_image: Image,
    tom_hanks_image: Image,
) -> None:
    box_only = make(plugins, models["white"], paste=PasteConfig(mask="box"))
    plain = box_only.swap(astronaut_image, tom_hanks_image)
    paste = PasteConfig(mask="box,occlusion", occluder=str(models["occluder"]))
    occluded = make(plugins, models["white"], paste=paste).swap(astronaut_image, tom_hanks_image)
    _left_half_kept(occluded, astronaut_image, 128)
    # Without the occluder the same pixels are swapped: the occlusion mask kept them.
    where = crop_coordinates(astronaut_image.shape, plain.masks[0].matrix)
    left = (where[..., 0] > 30) & (where[..., 0] < 60) & (where[..., 1] > 40) & (where[..., 1] < 90)
    assert np.any(plain.image[left] != astronaut_image[left], axis=1).mean() > 0.9


def test_pixels_outside_the_parsed_regions_keep_the_target_exactly(
    plugins: FaceswapPlugins,
    models: dict[str, Path],
    astronaut_image: Image,
    tom_hanks_image: Image,
) -> None:
    paste = PasteConfig(mask=("box", "region"), parser=str(models["parser"]), regions=["skin"])
    result = make(plugins, models["white"], paste=paste).swap(astronaut_image, tom_hanks_image)
    _left_half_kept(result, astronaut_image, 128)
    nose_only = attrs.evolve(paste, regions=["nose"])  # the parser labels no nose: nothing pasted
    kept = make(plugins, models["white"], paste=nose_only).swap(astronaut_image, tom_hanks_image)
    np.testing.assert_array_equal(kept.image, astronaut_image)


def test_the_area_mask_swaps_only_the_mouth(
    plugins: FaceswapPlugins,
    models: dict[str, Path],
    astronaut_image: Image,
    tom_hanks_image: Image,
) -> None:
    paste = PasteConfig(mask="box,area", areas=["mouth"])
    pipeline = make(plugins, models["white"], paste=paste)
    assert pipeline.needs_landmarks
    result = pipeline.swap(astronaut_image, tom_hanks_image)
    face = largest(pipeline.detect(astronaut_image))
    assert face is not None
    mouth = pipeline.landmarker.landmarks(astronaut_image, face)[48:68]
    changed = np.any(result.image != astronaut_image, axis=2)
    ys, xs = np.nonzero(changed)
    assert len(xs) > 50
    low, high = mouth.min(axis=0), mouth.max(axis=0)
    assert low[0] - 2 <= xs.min() <= xs.max() <= high[0] + 2
    assert low[1] - 2 <= ys.min() <= ys.max() <= high[1] + 2


def test_an_unknown_masker_is_refused_before_any_model_loads(plugins: FaceswapPlugins) -> None:
    with pytest.raises(UnknownComponentError, match=r"unknown masker 'nope'.*area, auto, box"):
        Pipeline(PipelineConfig(paste=PasteConfig(mask="box,nope")), plugins)


# -- enhancers -----------------------------------------------------------------------------------


def test_enhance_blend_0_keeps_the_swap_and_1_takes_the_enhancer_under_the_mask(
    plugins: FaceswapPlugins,
    models: dict[str, Path],
    astronaut_image: Image,
    tom_hanks_image: Image,
) -> None:
    restorer = str(models["restorer"])  # a bare file: GFPGAN's contract, on the FFHQ template
    swap = make(plugins, models["white"]).swap(astronaut_image, tom_hanks_image)
    none = make(plugins, models["white"], enhancer=restorer, enhance_blend=0.0)
    np.testing.assert_array_equal(none.swap(astronaut_image, tom_hanks_image).image, swap.image)
    full = make(plugins, models["white"], enhancer=restorer, enhance_blend=1.0)
    result = full.swap(astronaut_image, tom_hanks_image)
    nose = np.rint(result.faces[0].kps[2]).astype(int)
    value = graphs.restored_value(0.2)
    assert tuple(result.image[nose[1], nose[0]]) == (value,) * 3
    # The enhancer's paste stays inside the swap's: elsewhere the target, exactly.
    outside = ~reached(swap, astronaut_image.shape)
    np.testing.assert_array_equal(result.image[outside], astronaut_image[outside])
    assert result.timings["enhance"] > 0
    half = make(plugins, models["white"], enhancer=restorer, enhance_blend=0.5)
    mixed = half.swap(astronaut_image, tom_hanks_image).image[nose[1], nose[0]].astype(int)
    assert np.abs(mixed - (value + 255) / 2).max() <= 1


def test_an_enhancer_on_the_swap_template_enhances_the_swapped_crop_itself(
    plugins: FaceswapPlugins,
    models: dict[str, Path],
    astronaut_image: Image,
    tom_hanks_image: Image,
    tmp_path: Path,
) -> None:
    """GPEN-BFR 256 works on the 128 px template at 256: with pixel boost 256 the swapped crop
    is its input as it is, pasted once under the swap's mask."""
    store = ModelStore(tmp_path / "store")
    store.add_own("my_gpen", models["restorer_256"], kind="enhancer", loader="gpen_bfr_256")
    pipeline = make(
        plugins,
        models["white"],
        store=store,
        pixel_boost=256,
        enhancer="my_gpen",
        enhance_blend=1.0,
    )
    result = pipeline.swap(astronaut_image, tom_hanks_image)
    pasted = result.masks[0]
    assert pasted.mask.shape == (256, 256)
    constant = np.full((256, 256, 3), graphs.restored_value(0.2), np.uint8)
    from faceswap_core.vision.blend import paste_back

    expected = paste_back(astronaut_image, constant, pasted.matrix, pasted.mask)
    np.testing.assert_array_equal(result.image, expected)


def test_codeformer_gets_its_fidelity_weight(
    plugins: FaceswapPlugins,
    models: dict[str, Path],
    astronaut_image: Image,
    tom_hanks_image: Image,
    tmp_path: Path,
) -> None:
    store = ModelStore(tmp_path / "store")
    store.add_own("my_codeformer", models["codeformer"], kind="enhancer", loader="codeformer")
    centre = []
    for weight in (0.25, 0.75):
        pipeline = make(
            plugins,
            models["white"],
            store=store,
            enhancer="my_codeformer",
            enhance_blend=1.0,
            enhance_weight=weight,
        )
        result = pipeline.swap(astronaut_image, tom_hanks_image)
        nose = np.rint(result.faces[0].kps[2]).astype(int)
        centre.append(int(result.image[nose[1], nose[0], 0]))
    assert centre == [graphs.restored_value(0.25), graphs.restored_value(0.75)]


def test_the_enhancer_sees_only_swapped_faces_all_in_one_call(
    plugins: FaceswapPlugins, models: dict[str, Path], t1_image: Image, tom_hanks_image: Image
) -> None:
    pipeline = make(plugins, models["white"], enhancer=str(models["restorer"]))
    enhancer = pipeline.enhancer
    spy = RunSpy(enhancer.session)  # type: ignore[union-attr]
    everyone = pipeline.swap(t1_image, tom_hanks_image)
    assert len(everyone.swapped) == 6
    assert spy.batches == [6]
    one = pipeline.swap(t1_image, tom_hanks_image, faces="largest")
    assert len(one.swapped) == 1
    assert spy.batches == [6, 1]


def test_the_video_path_enhances_each_frame_through_its_blended_mask(
    plugins: FaceswapPlugins,
    models: dict[str, Path],
    astronaut_image: Image,
    tom_hanks_image: Image,
) -> None:
    restorer = str(models["restorer"])
    pipeline = make(plugins, models["white"], enhancer=restorer, enhance_blend=1.0)
    single = pipeline.swap(astronaut_image, tom_hanks_image)
    frames = list(stream([astronaut_image] * 3, tom_hanks_image, pipeline=pipeline))
    assert all(frame.timings.get("enhance", 0) > 0 for frame in frames)
    np.testing.assert_array_equal(frames[0].image, single.image)  # no history yet
    outside = ~reached(single, astronaut_image.shape)
    for frame in frames:
        np.testing.assert_array_equal(frame.image[outside], astronaut_image[outside])


# -- the enhancer text (NAME|PATH) ---------------------------------------------------------------


def test_pipeline_enhancer_names_a_component_a_model_or_a_file(
    plugins: FaceswapPlugins, models: dict[str, Path], tmp_path: Path
) -> None:
    store = ModelStore(tmp_path / "store")
    with pytest.raises(UnknownComponentError, match=r"unknown enhancer 'sharpen'.*codeformer"):
        make(plugins, models["white"], store=store, enhancer="sharpen")
    with pytest.raises(ModelFileError, match=r"missing\.onnx is not a file"):
        make(plugins, models["white"], store=store, enhancer=str(tmp_path / "missing.onnx"))
    with pytest.raises(ConfigError, match="model 'inswapper_128' is a swapper, not an enhancer"):
        make(plugins, models["white"], store=store, enhancer="inswapper_128")
    # A catalog name that is not downloaded: the store says where the file goes (exit 5).
    pipeline = make(plugins, models["white"], store=store, enhancer="gfpgan_1.4")
    with pytest.raises(ModelFileError, match=r"gfpgan_1\.4"):
        _ = pipeline.enhancer


# -- contracts -----------------------------------------------------------------------------------


Builder = Callable[[Path], Path]

WRONG_CONTRACTS: list[tuple[str, str, Builder, str]] = [
    ("occlusion", "occluder", lambda p: graphs.occluder(p, layout="nchw"),
     r"expected \[\*, \*, \*, 3\]"),
    ("occlusion", "occluder", lambda p: graphs.occluder(p, out_channels=2),
     r"expected \[\*, 256, 256, 1\]"),
    ("region", "parser", lambda p: graphs.parser(p, classes=18), r"expected \[\*, 19, 512, 512\]"),
    ("region", "parser", lambda p: graphs.occluder(p), r"expected \[\*, 3, \*, \*\]"),
    ("gfpgan", "enhancer", lambda p: graphs.restorer(p, size=256), r"expected \[\*, 3, 512, 512\]"),
    ("gfpgan", "enhancer", lambda p: graphs.restorer(p, out_size=256),
     r"output 'output'.*is \[N, 3, 256, 256\]"),
    ("gfpgan", "enhancer", lambda p: graphs.codeformer(p),
     r"it takes a weight: use the codeformer enhancer"),
    ("codeformer", "enhancer", lambda p: graphs.restorer(p),
     r"without a weight input it is not CodeFormer"),
    ("gpen_bfr_256", "enhancer", lambda p: graphs.restorer(p), r"expected \[\*, 3, 256, 256\]"),
]  # fmt: skip


@pytest.fixture
def components(plugins: FaceswapPlugins) -> Callable[[str, str, Path], Any]:
    from faceswap_core.pipeline.context import build_context

    context = build_context(plugins)

    def build(kind: str, name: str, path: Path) -> Any:
        masker = kind in ("occluder", "parser")
        return plugins.build(
            "masker" if masker else "enhancer", {"type": name, "model": str(path)}, context=context
        )

    return build


@pytest.mark.parametrize(("name", "kind", "builder", "message"), WRONG_CONTRACTS)
def test_a_graph_that_breaks_its_contract_is_refused_on_load(
    components: Callable[[str, str, Path], Any],
    tmp_path: Path,
    name: str,
    kind: str,
    builder: Builder,
    message: str,
) -> None:
    path = builder(tmp_path / f"{kind}.onnx")
    with pytest.raises(ModelFileError, match=message) as info:
        components(kind, name, path)
    assert str(path) in str(info.value)
    assert info.value.exit_code == 5
    assert "\n" not in str(info.value)


# -- the docs' pictures --------------------------------------------------------------------------


def test_pixel_boost_gives_back_detail_a_128_px_model_loses() -> None:
    """The docs' picture: a 190 px face through a 128 px identity model loses sharpness;
    pixel boost 512 keeps most of the target's (inner-face Laplacian variance)."""
    from faceswap_core.tools import pictures

    picture, sharpness = pictures.pixel_boost_picture()
    assert picture.shape == (pictures.BOOST_PANEL, 3 * pictures.BOOST_PANEL + 2 * pictures.GAP, 3)
    target, plain, boosted = (sharpness[k] for k in ("target", "model 128 px", "pixel boost 512"))
    assert plain < 0.6 * target
    assert boosted > 1.3 * plain


def test_masks_picture_shows_each_mask_on_the_same_crop() -> None:
    from faceswap_core.tools import pictures

    picture = pictures.masks_picture()
    side, gap, count = pictures.MASK_CROP, pictures.GAP, len(pictures.MASKS_SHOWN)
    assert picture.shape == (side, count * side + (count - 1) * gap, 3)
    panels = [picture[:, k * (side + gap) : k * (side + gap) + side] for k in range(count)]
    brightness = [float(panel.mean()) for panel in panels]
    assert brightness[0] > brightness[1] > brightness[-1]  # box > hull > mouth only
    assert pictures.main(["/tmp/never-written.png", "nope"]) == 2


def test_bench_reports_the_cost_of_pixel_boost_and_the_enhancer_per_face(
    plugins: FaceswapPlugins, models: dict[str, Path], tmp_path: Path
) -> None:
    from faceswap_core.tools.bench import BenchOptions, run_bench

    config = tmp_path / "quality.yaml"
    config.write_text(
        "pipeline:\n"
        f"  swapper: {{type: onnx, model: {models['identity']}}}\n"
        "  pixel_boost: 256\n"
        f"  enhancer: {models['restorer']}\n"
    )
    options = BenchOptions(width=320, height=240, repeat=2, warmup=1, config=str(config))
    record = run_bench(options, plugins=plugins)
    quality = record["quality"]
    assert quality["pixel_boost"] == 256
    assert quality["enhancer"] == str(models["restorer"])
    assert quality["per_face_ms"]["swap"] > 0
    assert quality["per_face_ms"]["enhance"] > 0
    assert record["stages"]["enhance"]["p50_ms"] > 0


def test_bench_takes_the_quality_options_as_swap_does(
    models: dict[str, Path], tmp_path: Path
) -> None:
    """``--pixel-boost`` and ``--enhancer`` on ``faceswap bench`` (swap's declaration): the image
    record gives their cost per face, the video record their settings and the enhance stage;
    a mask rule is refused with swap's line."""
    cli = make_cli(FaceswapPlugins(strict=True))
    common = [
        "bench", "--model-path", str(models["identity"]), "--pixel-boost", "256",
        "--enhancer", str(models["restorer"]), "--size", "320x240", "--json",
    ]  # fmt: skip
    image = CliRunner().invoke(cli, [*common, "--repeat", "2", "--warmup", "1"])
    assert image.exit_code == 0, image.output
    quality = json.loads(image.stdout.splitlines()[-1])["summary"]["quality"]
    assert (quality["pixel_boost"], quality["enhancer"]) == (256, str(models["restorer"]))
    assert quality["per_face_ms"]["enhance"] > 0
    video = CliRunner().invoke(cli, [*common, "--video", "--frames", "10", "--detect-every", "5"])
    assert video.exit_code == 0, video.output
    record = json.loads(video.stdout.splitlines()[-1])["summary"]
    assert record["quality"]["pixel_boost"] == 256
    assert record["quality"]["enhancer"] == str(models["restorer"])
    assert record["stream"]["stages_mean"]["enhance"] > 0
    assert all(run["stages_mean"]["enhance"] > 0 for run in record["runs"])
    refused = CliRunner().invoke(cli, ["bench", "--mask", "box", "--areas", "mouth"])
    assert refused.exit_code == 2
    assert only_error_line(refused) == "Error: --areas applies to the area mask; add area to --mask"


# -- the options on every surface: one pipeline setting each ---------------------------------------


def test_options_imply_their_mask_and_apply_on_the_config() -> None:
    base = PipelineConfig()
    applied = QualityOptions(
        pixel_boost=256, areas=("mouth",), occluder="xseg_2", enhancer="gfpgan_1.4"
    ).apply(base)
    assert applied.pixel_boost == 256
    assert tuple(applied.paste.mask) == ("auto", "area", "occlusion")
    assert applied.paste.areas == ["mouth"]
    assert applied.paste.occluder == "xseg_2"
    assert applied.enhancer == "gfpgan_1.4"
    given = QualityOptions(mask=("box", "region"), regions=("skin", "nose")).apply(base)
    assert tuple(given.paste.mask) == ("box", "region")
    assert given.paste.regions == ["skin", "nose"]
    assert QualityOptions(enhancer="none").apply(applied).enhancer is None
    assert QualityOptions().apply(base) is base


def test_with_config_shares_the_loaded_models_and_builds_only_new_maskers(
    plugins: FaceswapPlugins, models: dict[str, Path], astronaut_image: Image
) -> None:
    pipeline = make(plugins, models["white"], enhancer=str(models["restorer"]))
    pipeline.load_quality()
    swapper, enhancer, (box,) = pipeline.swapper, pipeline.enhancer, pipeline.maskers
    options = QualityOptions(mask=("auto", "area"), areas=("mouth",), enhance_blend=0.0)
    derived = pipeline.with_config(options.apply(pipeline.config))
    assert derived.swapper is swapper
    assert derived.enhancer is enhancer
    assert derived.maskers[0][1] is box[1]  # the same ``auto`` masker object
    assert [name for name, _ in derived.maskers] == ["auto", "area"]
    assert pipeline.config.paste.mask == ("auto",)  # the pooled pipeline keeps its settings
    mouth_only = derived.swap(astronaut_image, astronaut_image)
    whole = pipeline.swap(astronaut_image, astronaut_image)
    changed = np.any(mouth_only.image != astronaut_image, axis=2)
    assert changed.any()
    assert not (changed & ~np.any(whole.image != astronaut_image, axis=2)).any()
    with pytest.raises(ValueError, match="with_config changes only"):
        pipeline.with_config(attrs.evolve(pipeline.config, faces="largest"))
