"""The ``trtexec`` command line equivalent to a build, for people who prefer NVIDIA's tool.

JetPack images ship ``trtexec`` (``/usr/src/tensorrt/bin/trtexec``) even where
the TensorRT Python wheel is missing, so ``faceswap export tensorrt`` prints
this line always, and puts it in its error when it cannot build here. Flags
follow TensorRT 10 (``--memPoolSize=workspace:<MiB>M`` replaced ``--workspace``).
"""

from __future__ import annotations

import shlex
from pathlib import Path

from faceswap_trt.profile import Profile


def trtexec_args(
    onnx: Path,
    engine: Path,
    *,
    precision: str,
    workspace_mb: int,
    profile: Profile,
    timing_cache: Path | None = None,
) -> list[str]:
    """``trtexec`` and its arguments, in a stable order."""
    args = ["trtexec", f"--onnx={onnx}", f"--saveEngine={engine}"]
    if precision == "fp16":
        args.append("--fp16")
    args.append(f"--memPoolSize=workspace:{workspace_mb}M")
    for flag, value in profile.flags().items():
        args.append(f"--{flag}={value}")
    if timing_cache is not None:
        args.append(f"--timingCacheFile={timing_cache}")
    return args


def trtexec_command(
    onnx: Path,
    engine: Path,
    *,
    precision: str,
    workspace_mb: int,
    profile: Profile,
    timing_cache: Path | None = None,
) -> str:
    """:func:`trtexec_args` quoted for a POSIX shell (paths with spaces stay one argument)."""
    return shlex.join(
        trtexec_args(
            onnx,
            engine,
            precision=precision,
            workspace_mb=workspace_mb,
            profile=profile,
            timing_cache=timing_cache,
        )
    )


__all__ = ["trtexec_args", "trtexec_command"]
