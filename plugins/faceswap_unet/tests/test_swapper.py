"""A trained checkpoint swaps through the pipeline (``--model unet``) and fits the ONNX contract."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pytest
import torch

from faceswap_core.io.decode import decode
from faceswap_core.pipeline.context import build_context
from faceswap_core.plugin.manager import FaceswapPlugins
from faceswap_core.swappers.configs import OnnxSwapperConfig
from faceswap_core.swappers.onnx import OnnxSwapper
from faceswap_core.tools.samples import sample_path
from faceswap_unet.inference import load_checkpoint_for_inference, load_for_export

from .conftest import run_faceswap


def test_swap_with_the_unet_model(smoke_run: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    folder, _ = smoke_run
    target = tmp_path / "target.png"
    import cv2
    from skimage import data

    cv2.imwrite(str(target), data.astronaut()[:, :, ::-1])
    out = tmp_path / "out.png"
    done = run_faceswap(
        "swap", "-s", str(sample_path("tom_hanks")), "-t", str(target), "-o", str(out),
        "--model", "unet", "--model-path", str(folder), "--json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.splitlines()[0])  # JSON Lines: one per target, then a summary
    assert report["faces_swapped"] == 1
    before, after = decode(target), decode(out)
    x1, y1, x2, y2 = (int(v) for v in report["faces"][0]["bbox"])
    assert np.abs(after[y1:y2, x1:x2].astype(int) - before[y1:y2, x1:x2]).mean() > 0.5
    assert np.array_equal(after[-50:, -50:], before[-50:, -50:])  # far from the face: untouched


def test_checkpoint_exports_to_the_onnx_swapper_contract(
    smoke_run: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    folder, summary = smoke_run
    module, metadata = load_for_export(folder)
    loaded = load_checkpoint_for_inference(summary["best_checkpoint"])
    size, dim = loaded.crop_size, loaded.embedding_dim
    path = tmp_path / "unet.onnx"
    target = torch.rand(1, 3, size, size)
    source = torch.nn.functional.normalize(torch.randn(1, dim), dim=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module, (target, source), str(path), input_names=["target", "source"],
            output_names=["output", "mask"], opset_version=17, dynamo=False,
            dynamic_axes={n: {0: "N"} for n in ("target", "source", "output", "mask")},
        )  # fmt: skip
    model = onnx.load(str(path))
    onnx.helper.set_model_props(model, metadata)
    onnx.save(model, str(path))
    swapper = OnnxSwapper(
        OnnxSwapperConfig(model=str(path)), build_context(FaceswapPlugins(strict=True))
    )
    assert (swapper.crop_size, swapper.embedding_dim, swapper.template) == (size, dim, "arcface")
    assert swapper.has_mask
    crop = (target[0].permute(1, 2, 0).numpy() * 255).astype(np.uint8)
    from faceswap_core.interfaces import Face

    face = Face(
        bbox=[0, 0, size, size], score=1.0, kps=np.zeros((5, 2)), embedding=source[0].numpy()
    )
    result = swapper.swap(crop, face, swapper.prepare_source(crop, face))
    with torch.no_grad():
        expected, mask = module(
            torch.from_numpy(crop.transpose(2, 0, 1)[None]).float() / 255, source
        )
    reference = (expected[0].permute(1, 2, 0).numpy() * 255 + 0.5).astype(np.uint8)
    assert np.abs(result.image.astype(int) - reference).max() <= 1
    assert result.mask is not None
    assert np.allclose(result.mask, mask[0, 0].numpy(), atol=1e-4)


def test_a_folder_that_is_not_a_checkpoint_is_a_model_file_error(tmp_path: Path) -> None:
    from faceswap_core.errors import ModelFileError

    with pytest.raises(ModelFileError, match="no faceswap-unet checkpoint"):
        load_checkpoint_for_inference(tmp_path)


def _ring_change(
    before: np.ndarray, after: np.ndarray, matrix: np.ndarray, size: int, inset: float
) -> float:
    """Mean |after - before| at frame pixels on the square ``inset`` crop pixels inside the
    crop's border (outside the crop nothing changes, so near the border this is the step)."""
    from faceswap_core.vision.align import invert, transform_points

    side = np.linspace(inset, size - inset, 200)
    low, high = np.full_like(side, inset), np.full_like(side, size - inset)
    square = np.concatenate(
        [np.stack(pair, axis=1) for pair in ((side, low), (side, high), (low, side), (high, side))]
    )
    points = np.round(transform_points(square.astype(np.float32), invert(matrix))).astype(int)
    height, width = before.shape[:2]
    inside = (points[:, 0] >= 0) & (points[:, 0] < width)
    inside &= (points[:, 1] >= 0) & (points[:, 1] < height)
    x, y = points[inside, 0], points[inside, 1]
    return float(np.abs(after[y, x].astype(int) - before[y, x].astype(int)).mean())


def test_the_unet_mask_leaves_no_seam_at_the_crop_border(tmp_path: Path) -> None:
    """The U-Net's own mask is about 0.5 up to its crop's edge; pasted as is, the frame
    changes as much one pixel inside the crop's footprint as in the face (a square seam)."""
    from faceswap_core.config.schema import PipelineConfig
    from faceswap_core.pipeline.image import Pipeline
    from faceswap_core.tools.samples import load_sample
    from faceswap_unet.testing import random_checkpoint

    checkpoint = random_checkpoint(tmp_path / "step-00000000.ckpt", seed=3)
    pipeline = Pipeline(
        PipelineConfig(swapper={"type": "unet", "model": str(checkpoint)}),
        FaceswapPlugins(strict=True),
    )
    size = pipeline.swapper.crop_size
    source = load_sample("tom_hanks")
    for name in ("astronaut", "tom_hanks"):
        target = load_sample(name)
        result = pipeline.swap(target, source)
        (pasted,) = result.masks
        frame_per_crop = np.sqrt(abs(np.linalg.det(pasted.matrix[:, :2]))) ** -1
        edge = _ring_change(target, result.image, pasted.matrix, size, 0.5 + 1 / frame_per_crop)
        face = _ring_change(target, result.image, pasted.matrix, size, size / 4)
        assert face > 5  # the face did change ...
        assert edge < 0.25 * face  # ... and one frame pixel inside the border it barely does


def test_pixel_boost_runs_the_unet_on_its_sub_crops_in_one_batch(tmp_path: Path) -> None:
    """``swap_batch`` gives each crop what ``swap`` gives it alone; with pixel boost 256 the
    64 px checkpoint swaps 16 sub-crops in one forward pass and the crop is put back at 256."""
    from faceswap_core.config.schema import PipelineConfig
    from faceswap_core.pipeline.image import Pipeline
    from faceswap_core.pipeline.timing import StageTimer
    from faceswap_core.tools.samples import load_sample
    from faceswap_core.vision.selection import largest
    from faceswap_unet.testing import random_checkpoint

    checkpoint = random_checkpoint(tmp_path / "step-00000000.ckpt", seed=5)
    config = PipelineConfig(swapper={"type": "unet", "model": str(checkpoint)}, pixel_boost=256)
    pipeline = Pipeline(config, FaceswapPlugins(strict=True))
    swapper = pipeline.swapper
    identity = pipeline.prepare_source(load_sample("tom_hanks"))
    target = load_sample("astronaut")
    face = largest(pipeline.detect(target))
    assert face is not None
    crops = [np.ascontiguousarray(target[k * 64 : (k + 1) * 64, 200:264]) for k in range(4)]
    together = swapper.swap_batch(crops, [face] * 4, identity.prepared)
    for crop, batched in zip(crops, together, strict=True):
        alone = swapper.swap(crop, face, identity.prepared)
        assert np.abs(alone.image.astype(int) - batched.image.astype(int)).max() <= 1
        np.testing.assert_allclose(alone.mask, batched.mask, atol=1e-5)
    calls: list[int] = []
    forward = swapper.loaded.generator.forward

    def counted(target_batch: torch.Tensor, *args: Any) -> Any:
        calls.append(int(target_batch.shape[0]))
        return forward(target_batch, *args)

    swapper.loaded.generator.forward = counted
    (rendered,) = pipeline.render_all(target, [face], identity, StageTimer())
    assert calls == [16]
    assert rendered.crop.shape == (256, 256, 3)
    assert rendered.mask.shape == (256, 256)
