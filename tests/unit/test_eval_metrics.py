"""Each core metric on inputs whose answer is worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from faceswap_core.errors import UnknownComponentError
from faceswap_core.eval.evaluator import build_metrics
from faceswap_core.eval.metrics import (
    PSNR_CAP_DB,
    FailuresMetric,
    IdentityMetric,
    LatencyMetric,
    PsnrMetric,
    SsimMetric,
)
from faceswap_core.eval.retrieval import GalleryIndex, retrieval_rank
from faceswap_core.interfaces import Metric, PairRecord
from faceswap_core.pipeline.context import build_context
from faceswap_core.plugin.manager import FaceswapPlugins
from faceswap_core.testing import build_component, isolated_plugins


def unit(*values: float) -> np.ndarray:
    vector = np.array(values, dtype=np.float32)
    return vector / np.linalg.norm(vector)


GALLERY = {"ann": unit(1, 0, 0), "bob": unit(0, 1, 0), "cid": unit(0, 0, 1)}


def record(**fields: object) -> PairRecord:
    base: dict[str, object] = {
        "pair_id": "c1",
        "kind": "cross",
        "source_label": "ann",
        "target_label": "bob",
    }
    base.update(fields)
    return PairRecord(**base)  # type: ignore[arg-type]


def test_retrieval_rank_by_hand() -> None:
    probe = unit(0.2, 0.9, 0.4)  # cosines: ann 0.2, bob 0.9, cid 0.4 (over one norm)
    assert retrieval_rank(probe, GALLERY, "bob") == 1
    assert retrieval_rank(probe, GALLERY, "cid") == 2
    assert retrieval_rank(probe, GALLERY, "ann") == 3


def test_a_tie_is_not_a_hit() -> None:
    assert retrieval_rank(unit(1, 1, 0), GALLERY, "ann") == 2


def test_identity_top1_top5_and_cosines_by_hand() -> None:
    metric = IdentityMetric()
    hit = metric.update(
        record(
            result_embedding=unit(3, 4, 0),  # cos to ann 0.6, to bob 0.8
            source_embedding=unit(1, 0, 0),
            target_embedding=unit(0, 1, 0),
            gallery={"ann": unit(1, 0, 0), "bob": unit(0, 0, 1)},
        )
    )
    miss = metric.update(
        record(
            result_embedding=unit(0, 1, 0),
            source_embedding=unit(1, 0, 0),
            target_embedding=unit(0, 1, 0),
            gallery=GALLERY,
        )
    )
    assert hit == pytest.approx(
        {"identity_cos_source": 0.6, "identity_cos_target": 0.8, "identity_rank": 1}
    )
    assert miss["identity_rank"] == 3  # bob first, then cid: its tie with ann counts against
    values = {value.name: value.value for value in metric.results()}
    assert values == pytest.approx(
        {
            "identity_top1": 0.5,
            "identity_top5": 1.0,
            "identity_cos_source": 0.3,  # (0.6 + 0) / 2
            "identity_cos_target": 0.9,  # (0.8 + 1) / 2
        }
    )


def test_identity_without_the_source_in_the_gallery_is_counted_unscored() -> None:
    metric = IdentityMetric()
    metric.update(record(result_embedding=unit(1, 0, 0), gallery={"bob": unit(0, 1, 0)}))
    top1 = next(value for value in metric.results() if value.name == "identity_top1")
    assert top1.value is None
    assert top1.details == {"unscored_pairs": 1}


def test_gallery_leaves_out_the_pairs_own_images() -> None:
    index = GalleryIndex(
        {
            "ann/1.jpg": ("ann", unit(1, 0, 0)),
            "ann/2.jpg": ("ann", unit(0, 1, 0)),
            "bob/1.jpg": ("bob", unit(0, 0, 1)),
        }
    )
    full = index.without([])
    assert full["ann"] == pytest.approx(unit(1, 1, 0))  # mean of both, normalised
    gallery = index.without(["ann/1.jpg", "bob/1.jpg"])
    assert set(gallery) == {"ann"}  # bob's only image is the target: no gallery entry
    assert gallery["ann"] == pytest.approx(unit(0, 1, 0))


def crops(value_a: int, value_b: int) -> tuple[np.ndarray, np.ndarray]:
    return np.full((32, 32, 3), value_a, np.uint8), np.full((32, 32, 3), value_b, np.uint8)


def test_psnr_of_a_constant_offset_by_hand() -> None:
    result, target = crops(110, 100)  # MSE = 100
    metric = PsnrMetric()
    values = metric.update(record(kind="self", result_crop=result, target_crop=target))
    assert values["psnr"] == pytest.approx(10 * math.log10(255**2 / 100))  # 28.1308 dB
    assert metric.update(record(kind="self", result_crop=target, target_crop=target)) == {
        "psnr": PSNR_CAP_DB
    }


def test_ssim_of_constant_images_by_hand() -> None:
    # constant images: SSIM = (2 mx my + C1) / (mx^2 + my^2 + C1), C1 = (0.01 * 255)^2
    result, target = crops(100, 110)
    c1 = (0.01 * 255) ** 2
    expected = (2 * 100 * 110 + c1) / (100**2 + 110**2 + c1)
    metric = SsimMetric()
    assert metric.update(record(kind="self", result_crop=result, target_crop=target))[
        "ssim"
    ] == pytest.approx(expected, rel=1e-6)
    assert metric.update(record(kind="self", result_crop=target, target_crop=target))[
        "ssim"
    ] == pytest.approx(1.0)
    assert metric.results()[0].value == pytest.approx((expected + 1.0) / 2, rel=1e-6)


def test_crops_of_different_shapes_are_an_error() -> None:
    with pytest.raises(ValueError, match="differ in shape"):
        SsimMetric().update(
            record(
                kind="self",
                result_crop=np.zeros((8, 8, 3), np.uint8),
                target_crop=np.zeros((9, 9, 3), np.uint8),
            )
        )


def test_latency_sums_stages_and_fps_is_its_inverse() -> None:
    metric = LatencyMetric()
    metric.update(record(timings_ms={"detect": 30.0, "swap": 10.0}))
    metric.update(record(timings_ms={"detect": 50.0, "swap": 10.0}))
    fps, latency = metric.results()
    assert latency.value == pytest.approx(50.0)  # (40 + 60) / 2
    assert fps.value == pytest.approx(20.0)  # 1000 / 50
    assert fps.details["stages"]["detect"]["mean_ms"] == pytest.approx(40.0)
    assert fps.details["threads"] >= 1
    assert fps.gate_by_default is False


def test_failures_are_counted_by_reason() -> None:
    metric = FailuresMetric()
    for failure in (None, "no_face_source", "no_face_result", "no_face_source"):
        metric.update(record(failure=failure))
    (value,) = metric.results()
    assert value.value == 3
    assert value.count == 4
    assert value.details["no_face_source"] == 2
    assert value.details["no_face_result"] == 1
    assert value.details["swap_failed"] == 0


def test_core_metrics_register_through_the_hook(faceswap_plugins: FaceswapPlugins) -> None:
    names = {"identity", "pose_error", "expression_error", "ssim", "psnr", "latency", "failures"}
    assert names <= set(faceswap_plugins.metrics().names())
    for name in names:
        component = faceswap_plugins.metrics().get(name)
        assert component.plugin == "faceswap-core"
        assert isinstance(build_component("metric", name), Metric)


def test_lpips_is_skipped_with_the_install_hint_without_faceswap_unet() -> None:
    manager = isolated_plugins()  # core only: faceswap-unet not loaded
    metrics, skipped = build_metrics(
        [{"type": "ssim"}, {"type": "lpips"}], manager, build_context(manager)
    )
    assert [metric.name for metric in metrics] == ["ssim"]
    # installed here but not loaded; where it is not installed the hint is a pip command
    assert skipped["lpips"].startswith("metric 'lpips' is not available: ")
    assert "faceswap-unet" in skipped["lpips"]


def test_a_metric_nobody_provides_is_an_error() -> None:
    manager = isolated_plugins()
    with pytest.raises(UnknownComponentError, match="ssimm"):
        build_metrics([{"type": "ssimm"}], manager, build_context(manager))
