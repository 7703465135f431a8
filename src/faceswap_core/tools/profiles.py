"""Edge deployment profiles: what a target device must sustain, checked on a bench record.

A profile fixes the workload (frame size, batch, runtime and precision) and
the budgets (frames per second, GPU memory). ``faceswap bench --profile
jetson`` runs the bench with the profile's workload and checks each budget
against the measured numbers. A budget only means something on the runtime
it was set for: when the profile's runtime fell back (no TensorRT or no CUDA
GPU here), the same pipeline still runs, on ONNX Runtime CPU, and the GPU
criteria are reported as not checked rather than passed or failed.

The ``jetson`` numbers: 720p at 30 FPS is the live-video bar; 1.5 GB of GPU
memory leaves room for the camera and display pipelines on an 8 GB Orin
Nano, whose memory the CPU and GPU share. Peers reach 20-25 FPS with
inswapper on TensorRT under JetPack 6 (insightface issue 2670).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from faceswap_core.errors import ConfigError


@attrs.frozen
class EdgeProfile:
    """A target device's workload and budgets.

    :ivar runtime: the pipeline runtime the budgets assume (``{type: NAME, ...}``).
    :ivar gpu_memory_budget_mb: most GPU memory the process may hold (MiB).
    :ivar target_fps: frames per second the whole pipeline must sustain.
    """

    name: str
    summary: str
    width: int
    height: int
    batch: int
    runtime: Mapping[str, Any]
    precision: str
    gpu_memory_budget_mb: float
    target_fps: float

    @property
    def size(self) -> str:
        return f"{self.width}x{self.height}"


PROFILES: dict[str, EdgeProfile] = {
    "jetson": EdgeProfile(
        name="jetson",
        summary="NVIDIA Jetson (Orin): 720p, batch 1, TensorRT FP16, 1.5 GB GPU memory, 30 FPS",
        width=1280,
        height=720,
        batch=1,
        runtime={"type": "tensorrt", "precision": "fp16", "max_batch": 1},
        precision="fp16",
        gpu_memory_budget_mb=1536.0,
        target_fps=30.0,
    ),
}
"""Every profile ``faceswap bench --profile NAME`` knows."""


def profile_named(name: str) -> EdgeProfile:
    """The profile called ``name``; an unknown name lists the known ones."""
    try:
        return PROFILES[name]
    except KeyError:
        raise ConfigError(
            f"unknown bench profile {name!r}; profiles: {', '.join(sorted(PROFILES))}"
        ) from None


@attrs.frozen
class Criterion:
    """One budget of a profile, checked (``passed`` true/false) or not (``None``, with why)."""

    name: str
    target: str
    measured: str | None
    passed: bool | None
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)

    def line(self) -> str:
        verdict = {True: "PASS", False: "FAIL", None: "NOT CHECKED"}[self.passed]
        measured = f"measured {self.measured}" if self.measured is not None else "not measured"
        note = f" ({self.note})" if self.note else ""
        return f"{verdict:<11} {self.name}: target {self.target}, {measured}{note}"


def on_profile_runtime(profile: EdgeProfile, runtime: Mapping[str, Any]) -> tuple[bool, str]:
    """Whether the bench ran on the runtime and precision the profile assumes, and if not why."""
    wanted = str(profile.runtime.get("type"))
    if runtime.get("runtime") != wanted:
        return False, f"ran on {runtime.get('runtime')}, the profile assumes {wanted}"
    if runtime.get("fallback"):
        reason = runtime.get("reason") or "it fell back"
        used = runtime.get("fallback_runtime") or "another runtime"
        return False, f"{wanted} fell back to {used} on this machine: {reason}"
    precisions = {runtime.get("precision")} | {
        engine.get("precision") for engine in (runtime.get("engines") or {}).values()
    }
    precisions.discard(None)
    if precisions - {profile.precision}:
        found = ", ".join(sorted(str(p) for p in precisions))
        return False, f"ran at {found}, the profile assumes {profile.precision}"
    return True, ""


def check_profile(profile: EdgeProfile, record: Mapping[str, Any]) -> list[Criterion]:
    """Each budget of ``profile`` against a bench ``record`` (:mod:`faceswap_core.tools.bench`)."""
    runtime = record.get("runtime") or {}
    on_target, why = on_profile_runtime(profile, runtime)
    fps = record.get("fps")
    gpu = record.get("gpu") or {}
    peak = gpu.get("peak_memory_mb")
    ran = (
        f"{runtime.get('fallback_runtime')} (fallback from {runtime.get('runtime')})"
        if runtime.get("fallback")
        else f"{runtime.get('runtime')} {runtime.get('precision') or ''}".strip()
    )
    criteria = [
        Criterion(
            "runtime",
            f"{profile.runtime.get('type')} {profile.precision}",
            ran,
            True if on_target else None,
            "" if on_target else f"{why}; the GPU criteria cannot be checked here",
        )
    ]
    measured_fps = float(fps) if isinstance(fps, int | float) else None
    fps_text = f"{measured_fps:.1f} FPS" if measured_fps is not None else None
    if on_target and measured_fps is not None:
        criteria.append(
            Criterion(
                "fps",
                f">= {profile.target_fps:g} FPS",
                fps_text,
                measured_fps >= profile.target_fps,
            )
        )
    else:
        criteria.append(
            Criterion(
                "fps",
                f">= {profile.target_fps:g} FPS",
                fps_text,
                None,
                f"measured on {runtime.get('fallback_runtime') or runtime.get('runtime')} "
                f"({record.get('device')}); the target is for {profile.runtime.get('type')} "
                "on the GPU",
            )
        )
    budget = f"<= {profile.gpu_memory_budget_mb:g} MB"
    if peak is None:
        criteria.append(Criterion("gpu_memory", budget, None, None, "no CUDA GPU to measure"))
    elif not on_target:
        criteria.append(Criterion("gpu_memory", budget, f"{peak:g} MB", None, why))
    else:
        criteria.append(
            Criterion("gpu_memory", budget, f"{peak:g} MB", peak <= profile.gpu_memory_budget_mb)
        )
    return criteria


def verdict(criteria: list[Criterion]) -> bool | None:
    """False if any checked criterion failed, True if all passed and all were checked, else None."""
    if any(c.passed is False for c in criteria):
        return False
    if all(c.passed is True for c in criteria):
        return True
    return None


__all__ = ["PROFILES", "Criterion", "EdgeProfile", "check_profile", "profile_named", "verdict"]
