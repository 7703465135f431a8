"""Optimisation profiles from shapes, and the trtexec command line printed for them."""

from __future__ import annotations

from pathlib import Path

import pytest

from faceswap_core.errors import ConfigError
from faceswap_core.export.shapes import GraphInput, graph_inputs
from faceswap_trt.profile import resolve_profile
from faceswap_trt.trtexec import trtexec_args, trtexec_command


def test_a_dynamic_batch_gets_one_to_max_batch(conv_onnx: Path) -> None:
    profile = resolve_profile(graph_inputs(conv_onnx), max_batch=8)
    (item,) = profile.inputs
    assert (item.min, item.opt, item.max) == ((1, 3, 32, 32), (1, 3, 32, 32), (8, 3, 32, 32))
    assert profile.dynamic


def test_trtexec_line_for_fp16_with_a_profile(conv_onnx: Path) -> None:
    profile = resolve_profile(
        graph_inputs(conv_onnx),
        min_shape=["input:1x3x32x32"],
        opt_shape=["input:4x3x32x32"],
        max_shape=["input:16x3x32x32"],
    )
    args = trtexec_args(
        Path("/m/swap.onnx"),
        Path("/m/swap.engine"),
        precision="fp16",
        workspace_mb=2048,
        profile=profile,
        timing_cache=Path("/m/timing.cache"),
    )
    assert args == [
        "trtexec",
        "--onnx=/m/swap.onnx",
        "--saveEngine=/m/swap.engine",
        "--fp16",
        "--memPoolSize=workspace:2048M",
        "--minShapes=input:1x3x32x32",
        "--optShapes=input:4x3x32x32",
        "--maxShapes=input:16x3x32x32",
        "--timingCacheFile=/m/timing.cache",
    ]


def test_trtexec_line_for_a_static_fp32_graph_quotes_paths(tmp_path: Path) -> None:
    inputs = [GraphInput("target", (1, 3, 112, 112), __import__("numpy").dtype("float32"))]
    profile = resolve_profile(inputs)
    assert not profile.dynamic
    command = trtexec_command(
        Path("/my models/a.onnx"),
        Path("/out/a.engine"),
        precision="fp32",
        workspace_mb=512,
        profile=profile,
    )
    assert command == (
        "trtexec '--onnx=/my models/a.onnx' --saveEngine=/out/a.engine --memPoolSize=workspace:512M"
    )


def test_several_inputs_are_listed_in_graph_order() -> None:
    import numpy as np

    inputs = [
        GraphInput("target", ("N", 3, 128, 128), np.dtype("float32")),
        GraphInput("source", ("N", 512), np.dtype("float32")),
    ]
    flags = resolve_profile(inputs, max_batch=4).flags()
    assert flags == {
        "minShapes": "target:1x3x128x128,source:1x512",
        "optShapes": "target:1x3x128x128,source:1x512",
        "maxShapes": "target:4x3x128x128,source:4x512",
    }


def test_profile_errors_say_what_to_give() -> None:
    import numpy as np

    image = [GraphInput("input", ("N", 3, "H", "W"), np.dtype("float32"))]
    with pytest.raises(ConfigError, match="give --opt-shape input:DIMS"):
        resolve_profile(image)
    with pytest.raises(ConfigError, match="min <= opt <= max"):
        resolve_profile(image, min_shape=["input:1x3x64x64"], opt_shape=["input:1x3x32x32"])
    with pytest.raises(ConfigError, match="--opt-shape / --max-shape do not"):
        resolve_profile(image, min_shape=["input:1x3x64x64"])
    only_opt = resolve_profile(image, opt_shape=["input:1x3x384x640"])
    assert only_opt.inputs[0].min == only_opt.inputs[0].max == (1, 3, 384, 640)
    assert not only_opt.dynamic
    ignored = resolve_profile(image, opt_shape=["input:1x3x8x8", "other:1"], ignore_unknown=True)
    assert ignored.inputs[0].opt == (1, 3, 8, 8)
    with pytest.raises(ConfigError, match="the graph has no input 'other'"):
        resolve_profile(image, opt_shape=["input:1x3x8x8", "other:1"])
