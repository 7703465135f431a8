"""The ``lpips`` metric: the real lpips package, weights read from disk, never downloaded.

ImageNet backbone weights cannot be fetched here, so the numbers are checked
against the lpips package itself on the same (seeded random or test-written)
backbone, and the missing-weights path is checked as users meet it.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import lpips
import numpy as np
import pytest
import torch
import torchvision

from faceswap_core.errors import ModelFileError
from faceswap_core.interfaces import Metric, PairRecord
from faceswap_core.testing import build_component, isolated_plugins
from faceswap_unet.lpips_metric import LpipsConfig, LpipsMetric


@pytest.fixture(scope="module")
def crops() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    a = rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)
    b = np.clip(a.astype(np.int16) + rng.integers(-40, 40, a.shape), 0, 255).astype(np.uint8)
    return a, b


def tensor(image: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(image.astype(np.float32).transpose(2, 0, 1)[None] / 127.5 - 1.0)


def record(a: np.ndarray, b: np.ndarray) -> PairRecord:
    return PairRecord("s1", "self", "x", "x", result_crop=a, target_crop=b)


def test_lpips_is_registered_by_the_plugin() -> None:
    manager = isolated_plugins(load=["faceswap-unet"])
    component = manager.metrics().get("lpips")
    assert component.plugin == "faceswap-unet"
    assert component.config is LpipsConfig
    metric = build_component("metric", {"type": "lpips", "random_backbone": True}, manager=manager)
    assert isinstance(metric, Metric)


def test_random_backbone_matches_the_lpips_package(crops: tuple[np.ndarray, np.ndarray]) -> None:
    a, b = crops
    torch.manual_seed(3)
    metric = LpipsMetric(LpipsConfig(random_backbone=True))
    torch.manual_seed(3)
    with warnings.catch_warnings():  # lpips's own deprecated torchvision call
        warnings.simplefilter("ignore", UserWarning)
        reference = lpips.LPIPS(net="alex", pretrained=True, pnet_rand=True, verbose=False).eval()
    with torch.inference_mode():
        expected = float(reference(tensor(a), tensor(b)).item())
    assert metric.update(record(a, a)) == {"lpips": pytest.approx(0.0, abs=1e-7)}
    assert metric.update(record(a, b))["lpips"] == pytest.approx(expected, rel=1e-5)
    (value,) = metric.results()
    assert value.value == pytest.approx(expected / 2, rel=1e-5)
    assert "random" in value.details["backbone"]


def test_backbone_weights_come_from_the_file(
    tmp_path: Path, crops: tuple[np.ndarray, np.ndarray]
) -> None:
    torch.manual_seed(11)
    features = torchvision.models.alexnet(weights=None).features.state_dict()
    weights = {f"features.{key}": value for key, value in features.items()}
    path = tmp_path / "alexnet-owt-7be5be79.pth"
    torch.save(weights, path)  # torchvision's key names; the classifier LPIPS ignores is left out
    metric = LpipsMetric(LpipsConfig(backbone=str(path)))
    net = metric._model.net
    # lpips slices alexnet.features: layer 0 in slice1, 3 in slice2, 6 in slice3, 10 in slice5
    for slice_name, index in (("slice1", 0), ("slice2", 3), ("slice3", 6), ("slice5", 10)):
        layer = dict(getattr(net, slice_name).named_children())[str(index)]
        assert torch.equal(layer.weight, weights[f"features.{index}.weight"])
    a, b = crops
    assert metric.update(record(a, b))["lpips"] > 0
    assert metric.results()[0].details["backbone"] == str(path)


def test_missing_weights_make_the_metric_unavailable_with_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, crops: tuple[np.ndarray, np.ndarray]
) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    metric = LpipsMetric()
    expected = tmp_path / "torch" / "hub" / "checkpoints" / "alexnet-owt-7be5be79.pth"
    assert metric.update(record(*crops)) == {}
    (value,) = metric.results()
    assert value.value is None
    assert value.unavailable is not None
    assert str(expected) in value.unavailable
    assert "set backbone: PATH" in value.unavailable


def test_a_file_that_is_not_the_backbone_is_a_model_file_error(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.pth"
    garbage.write_bytes(b"not a state dict")
    with pytest.raises(ModelFileError, match="is not torchvision's alexnet"):
        LpipsMetric(LpipsConfig(backbone=str(garbage)))
    other = tmp_path / "squeeze.pth"
    torch.save(torchvision.models.squeezenet1_1(weights=None).state_dict(), other)  # other shapes
    with pytest.raises(ModelFileError, match=r"alexnet-owt-7be5be79\.pth"):
        LpipsMetric(LpipsConfig(backbone=str(other)))
