"""``faceswap export tensorrt``: an ONNX graph to a TensorRT engine file.

Everything that can be checked without a GPU is checked first (the ONNX
file, the shapes against its inputs, the output path), and the equivalent
``trtexec`` command is computed, so on a machine without TensorRT the error
already tells the user how to build the engine on the target device.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from faceswap_core import ExportReport
from faceswap_core.errors import ConfigError, ModelFileError, RuntimeUnavailableError
from faceswap_core.export.shapes import graph_inputs
from faceswap_core.io.atomic import atomic_write_bytes, atomic_write_text, refuse_special
from faceswap_trt.builder import engine_for
from faceswap_trt.cache import EngineCache, sidecar_path
from faceswap_trt.config import TensorRTExportConfig
from faceswap_trt.device import Availability, probe
from faceswap_trt.profile import Profile, resolve_profile
from faceswap_trt.trtexec import trtexec_command


class TensorRTExporter:
    """Builds (or takes from the cache) the engine of one ONNX graph and writes it to ``out``."""

    def __init__(
        self, config: TensorRTExportConfig, cache_root: Path, device: Availability | None = None
    ) -> None:
        self.config = config
        self.cache = EngineCache(
            Path(config.cache_dir).expanduser() if config.cache_dir else cache_root
        )
        self._device = device

    def plan(self) -> tuple[Path, Path | None, Profile, str]:
        """Check the inputs and return (onnx, out, profile, trtexec command); no GPU needed."""
        config = self.config
        onnx = Path(config.onnx).expanduser()
        if not onnx.is_file():
            raise ModelFileError(f"model file missing: {onnx}; pass the ONNX graph with --onnx")
        out = Path(config.output).expanduser() if config.output else None
        if out is not None:
            if out.is_dir():
                raise ConfigError(f"-o/--output {out} is a folder; give the engine file name")
            refuse_special(out)  # a device, FIFO, socket or symlink: never, even with --overwrite
            refuse_special(sidecar_path(out))
            if os.path.lexists(out) and not config.overwrite:
                raise ConfigError(f"{out} exists; pass --overwrite to replace it")
        profile = resolve_profile(
            graph_inputs(onnx),
            min_shape=config.min_shape,
            opt_shape=config.opt_shape,
            max_shape=config.max_shape,
            max_batch=config.max_batch,
        )
        timing = Path(config.timing_cache).expanduser() if config.timing_cache else None
        command = trtexec_command(
            onnx,
            out or onnx.with_suffix(".engine"),
            precision=config.precision,
            workspace_mb=config.workspace,
            profile=profile,
            timing_cache=timing,
        )
        return onnx, out, profile, command

    def export(self) -> ExportReport:
        onnx, out, profile, command = self.plan()
        device = self._device if self._device is not None else probe()
        if not device.ok:
            raise RuntimeUnavailableError(
                f"cannot build a TensorRT engine here: {device.reason}. "
                f"On the target device run: {command}"
            )
        timing = Path(self.config.timing_cache).expanduser() if self.config.timing_cache else None
        built = engine_for(
            onnx,
            self.cache,
            device,
            precision=self.config.precision,
            workspace_mb=self.config.workspace,
            profile=profile,
            timing_cache=timing,
        )
        written = built.engine.path
        if out is not None:
            replace = self.config.overwrite
            atomic_write_bytes(out, built.engine.path.read_bytes(), replace=replace)
            record = {"key": built.engine.facts, "metadata": built.engine.metadata}
            atomic_write_text(
                sidecar_path(out),
                json.dumps(record, indent=2, sort_keys=True) + "\n",
                replace=True,  # the engine's own sidecar: it follows the engine
            )
            written = out
        return ExportReport(
            out=written,
            summary={
                "onnx": str(onnx),
                "precision": built.precision,
                "cache_key": built.engine.key,
                "cache_hit": built.cache_hit,
                "cached_engine": str(built.engine.path),
                "build_s": built.build_s,
                "trt_version": device.trt_version,
                "gpu": device.gpu,
                "trtexec": command,
            },
            notes=(f"Equivalent trtexec command: {command}",),
        )


__all__ = ["TensorRTExporter"]
