"""``faceswap export onnx``: a trained U-Net as an ONNX graph for core's ``onnx`` swapper.

A deployment runs the swapper without torch, so the graph must compute what
the checkpoint computes and meet the contract core checks on load. The
exporter therefore:

1. reads the checkpoint (safetensors and JSON only, never a pickle) and wraps
   the generator in the contract module of :func:`faceswap_unet.inference.load_for_export`
   (``target``, ``source`` -> ``output``, ``mask``), in half precision behind
   float32 inputs and outputs with ``--fp16``;
2. exports it with ``torch.onnx.export`` (torch's dynamo exporter by default,
   the TorchScript tracer for opsets below 18), with a symbolic batch ``N`` or
   a fixed ``--static --batch B``, and writes the ``faceswap.*`` metadata;
3. checks it with ``onnx.checker`` (full check, with shape inference) and with
   core's export contract, loaded in ONNX Runtime as the pipeline would;
4. runs the same inputs (real faces shipped by installed packages, seeded
   noise, seeded unit-length embeddings) through the fp32 torch module and
   through ONNX Runtime, at batch 1 and 4 for a dynamic batch or at the static
   batch, and compares every output.

The export carries the recognizer the model was trained with: the
checkpoint's frozen recognizer is exported too (``NAME.recognizer.onnx``,
validated against torch the same way) with a few real probe faces and its
embeddings of them (``NAME.probes.npz``); the swapper graph pins both by
SHA-256 (:mod:`faceswap_unet.recognizer_export` says why two graphs).

Only when every difference is within the tolerance are the graphs, the
probes and ``NAME.export.json`` (the record: differences, exporter, opset,
torch / onnx / ONNX Runtime versions, checkpoint, the companion files and
their SHA-256) written, each atomically; otherwise nothing is written and
the command exits 5.
"""

from __future__ import annotations

import contextlib
import copy
import json
import logging
import os
import shlex
import tempfile
import warnings
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from faceswap_core import ExportReport
from faceswap_core.errors import ConfigError, ModelFileError
from faceswap_core.export.verify import VerificationError, compare_outputs
from faceswap_core.io.atomic import atomic_path, refuse_special
from faceswap_core.io.hashing import sha256_bytes
from faceswap_core.plugin.context import BuildContext
from faceswap_core.runtime.onnxruntime import OnnxRuntime
from faceswap_core.swappers.configs import CROP_SIZE_MAX, CROP_SIZE_MIN
from faceswap_core.swappers.contract import (
    EXPORT_INPUTS,
    MAX_EMBEDDING_DIM,
    check_export,
    metadata_int,
)
from faceswap_core.swappers.export_recognizer import (
    PROBES_SHA256,
    RECOGNIZER_SHA256,
    ExportedRecognizer,
    check_agreement,
    companion_paths,
)
from faceswap_core.tools.samples import load_sample
from faceswap_core.vision.align import fixed_templates
from faceswap_unet.configs import FP32_ATOL, OnnxExportConfig
from faceswap_unet.inference import ExportModule, LoadedCheckpoint, load_checkpoint_for_inference
from faceswap_unet.model.recognizer import FrozenRecognizer
from faceswap_unet.recognizer_export import (
    RecognizerFiles,
    RecognizerModule,
    embed,
    probe_set,
    probes_of,
    validate_recognizer,
)

OUTPUT_NAMES: tuple[str, ...] = ExportModule.output_names
DYNAMIC_BATCH = "N"
DYNAMIC_VALIDATION_BATCHES: tuple[int, ...] = (1, 4)
"""A dynamic-batch graph is validated at these batches (torch traces it at 2)."""

VALIDATION_FACES: tuple[str, ...] = ("astronaut", "tom_hanks", "t1")
"""Real images the validation batches start with (resized to the crop), then seeded noise."""

DYNAMO_MIN_OPSET = 18
TORCHSCRIPT_MAX_OPSET = 20
RECORD_SUFFIX = ".export.json"


def record_path(out: Path) -> Path:
    """``swapper.onnx`` -> ``swapper.export.json``: the validation record beside the graph."""
    return out.with_name(out.stem + RECORD_SUFFIX)


class Float16Module(nn.Module):
    """Half-precision weights and arithmetic behind the contract's float32 inputs and outputs."""

    def __init__(self, module: ExportModule) -> None:
        super().__init__()
        self.inner = copy.deepcopy(module).half()

    def forward(
        self, target: torch.Tensor, source: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        output, mask = self.inner(target.half(), source.half())
        return output.float(), mask.float()


def validation_inputs(
    size: int, dim: int, batch: int, rng: np.random.Generator
) -> dict[str, np.ndarray[Any, Any]]:
    """``batch`` crops (sample faces first, then uniform noise) and unit-length embeddings."""
    import cv2

    crops = []
    for index in range(batch):
        if index < len(VALIDATION_FACES):
            image = load_sample(VALIDATION_FACES[index])
            side = min(image.shape[:2])
            top, left = (image.shape[0] - side) // 2, (image.shape[1] - side) // 2
            square = image[top : top + side, left : left + side]
            crop = cv2.resize(square, (size, size), interpolation=cv2.INTER_AREA)
            crops.append(crop.astype(np.float32) / 255.0)
        else:
            crops.append(rng.random((size, size, 3), dtype=np.float32))
    target = np.ascontiguousarray(np.stack(crops).transpose(0, 3, 1, 2))
    source = rng.standard_normal((batch, dim)).astype(np.float32)
    source /= np.linalg.norm(source, axis=1, keepdims=True)
    return {"target": target, "source": source}


@contextlib.contextmanager
def _quiet_torch_export() -> Iterator[None]:
    """torch's exporters warn about their own internals (deprecations, tracer notes)."""
    loggers = [logging.getLogger(name) for name in ("torch.onnx", "torch.export", "torch._dynamo")]
    levels = [logger.level for logger in loggers]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for logger in loggers:
            logger.setLevel(logging.ERROR)
        try:
            yield
        finally:
            for logger, level in zip(loggers, levels, strict=True):
                logger.setLevel(level)


def torch_export(
    module: nn.Module,
    example: tuple[torch.Tensor, ...],
    *,
    opset: int,
    exporter: str,
    dynamic_batch: bool,
    names: tuple[tuple[str, ...], tuple[str, ...]] = (EXPORT_INPUTS, OUTPUT_NAMES),
) -> Any:
    """``torch.onnx.export`` to an in-memory ``onnx.ModelProto``.

    :param names: the graph's input and output names (the swapper contract's by default).
    """
    import onnx

    inputs, outputs = list(names[0]), list(names[1])
    with _quiet_torch_export():
        if exporter == "dynamo":
            batch = torch.export.Dim(DYNAMIC_BATCH, min=1, max=4096)
            shapes = {name: {0: batch} for name in inputs} if dynamic_batch else None
            program = torch.onnx.export(
                module,
                example,
                dynamo=True,
                opset_version=opset,
                input_names=inputs,
                output_names=outputs,
                dynamic_shapes=shapes,
                external_data=False,
                verbose=False,
            )
            assert program is not None
            return program.model_proto
        axes = {name: {0: DYNAMIC_BATCH} for name in (*inputs, *outputs)}
        with tempfile.TemporaryDirectory(prefix="faceswap-export-") as folder:
            path = Path(folder) / "model.onnx"
            torch.onnx.export(
                module,
                example,
                str(path),
                dynamo=False,
                opset_version=opset,
                input_names=inputs,
                output_names=outputs,
                dynamic_axes=axes if dynamic_batch else None,
                do_constant_folding=True,
            )
            return onnx.load(str(path))


def default_opset(proto: Any) -> int:
    """The opset of the default (``ai.onnx``) domain a graph imports."""
    for item in proto.opset_import:
        if item.domain in ("", "ai.onnx"):
            return int(item.version)
    raise ModelFileError("the exported graph imports no ai.onnx opset")


def checked_metadata(loaded: LoadedCheckpoint) -> tuple[dict[str, str], int, int]:
    """The checkpoint's contract metadata, checked before anything is traced or allocated.

    ``state.json`` is untrusted: a crop size outside the contract's range, one
    the U-Net's down-sampling cannot divide, or an unknown template is a
    :class:`ModelFileError` naming the checkpoint.
    """
    origin = f"{loaded.path}/state.json"
    try:
        metadata = {key: str(value) for key, value in loaded.metadata().items()}
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelFileError(f"{origin} is malformed: {exc}") from None
    size = metadata_int(origin, metadata, "faceswap.crop_size", CROP_SIZE_MIN, CROP_SIZE_MAX)
    dim = metadata_int(origin, metadata, "faceswap.embedding_dim", 1, MAX_EMBEDDING_DIM)
    known = fixed_templates()
    if metadata["faceswap.template"] not in known:
        raise ModelFileError(
            f"model {origin}: unknown template {metadata['faceswap.template']!r}; "
            f"known: {', '.join(known)}"
        )
    stride = 2**loaded.generator.config.depth
    if size % stride:
        raise ModelFileError(
            f"model {origin}: crop size {size} is not a multiple of 2 ** depth = {stride}"
        )
    return metadata, size, dim


def _versions() -> dict[str, str]:
    return {
        name: version(dist)
        for name, dist in (
            ("faceswap_unet", "faceswap-unet"),
            ("torch", "torch"),
            ("onnx", "onnx"),
            ("onnxruntime", "onnxruntime"),
        )
    }


class UnetOnnxExporter:
    """Writes a checkpoint's U-Net as a validated ONNX graph (module docstring)."""

    def __init__(self, config: OnnxExportConfig, context: BuildContext | None = None) -> None:
        self.config = config
        self.context = context

    # -- what to export --------------------------------------------------------------------

    def _mode(self) -> tuple[bool, int]:
        """(dynamic batch, the batch torch traces with)."""
        config = self.config
        if config.static and config.dynamic_batch:
            raise ConfigError("--static and --dynamic-batch contradict each other; pick one")
        static = config.static or config.dynamic_batch is False
        if not static and config.batch is not None:
            raise ConfigError(
                "--batch fixes the batch of a --static export; a dynamic-batch export takes any "
                "batch (add --static, or drop --batch)"
            )
        if static:
            return False, config.batch or 1
        # torch.export specialises sizes 0 and 1: a dynamic batch is traced at 2.
        return True, 2

    def _source(self) -> Path:
        config = self.config
        given = [
            (f, v) for f, v in (("--run", config.run), ("--checkpoint", config.checkpoint)) if v
        ]
        if len(given) != 1:
            both = ", not both" if given else ""
            raise ConfigError(
                "give the model to export with --run RUN_DIR (its best checkpoint, else its "
                f"last) or --checkpoint CKPT_DIR{both}"
            )
        flag, value = given[0]
        path = Path(value).expanduser()
        if not path.exists():
            what = "run folder" if flag == "--run" else "checkpoint"
            raise ModelFileError(f"{flag} {path}: no such {what}")
        return path

    def _check_out(self, out: Path) -> Path:
        if out.is_dir():
            raise ConfigError(f"--out {out} is a folder; give the ONNX file name")
        record = record_path(out)
        for path in (out, record, *companion_paths(out)):
            refuse_special(path)  # a device, FIFO, socket or symlink: never, even with --overwrite
        if not self.config.overwrite:
            for existing in (out, record, *companion_paths(out)):
                if os.path.lexists(existing):
                    raise ConfigError(f"{existing} exists; pass --overwrite to replace it")
        return record

    def _check_opset(self) -> None:
        import onnx

        config = self.config
        newest = onnx.defs.onnx_opset_version()
        if config.exporter == "dynamo" and not DYNAMO_MIN_OPSET <= config.opset <= newest:
            raise ConfigError(
                f"--opset {config.opset}: the dynamo exporter writes opsets {DYNAMO_MIN_OPSET} to "
                f"{newest}; for older opsets add --exporter torchscript"
            )
        if config.exporter == "torchscript" and config.opset > TORCHSCRIPT_MAX_OPSET:
            raise ConfigError(
                f"--opset {config.opset}: the torchscript exporter writes opsets up to "
                f"{TORCHSCRIPT_MAX_OPSET}; use --exporter dynamo"
            )

    # -- export ----------------------------------------------------------------------------

    def export(self) -> ExportReport:
        config = self.config
        out = Path(config.output).expanduser()
        record = self._check_out(out)
        recognizer_out, probes_out = companion_paths(out)
        dynamic, trace_batch = self._mode()
        self._check_opset()
        source = self._source()
        loaded = load_checkpoint_for_inference(source)
        metadata, size, dim = checked_metadata(loaded)
        trained = self._trained_recognizer(loaded)
        rng = np.random.default_rng(config.seed)
        own = self._export_recognizer(trained, metadata, size, dim, rng)
        reference = ExportModule(loaded.generator).eval()
        module: nn.Module = Float16Module(reference).eval() if config.fp16 else reference
        example = validation_inputs(size, dim, trace_batch, rng)
        proto = torch_export(
            module,
            (torch.from_numpy(example["target"]), torch.from_numpy(example["source"])),
            opset=config.opset,
            exporter=config.exporter,
            dynamic_batch=dynamic,
        )
        opset = default_opset(proto)
        if opset != config.opset:
            raise ConfigError(
                f"torch wrote opset {opset} instead of --opset {config.opset}; "
                "use --exporter torchscript for opsets below 18"
            )
        pins = {RECOGNIZER_SHA256: own.sha256, PROBES_SHA256: own.probes_sha256}
        data = self._finish(proto, {**metadata, **pins}, loaded.state, dynamic, trace_batch)
        batches = DYNAMIC_VALIDATION_BATCHES if dynamic else (trace_batch,)
        session_batch = None if dynamic else trace_batch
        replace = self.config.overwrite
        with (
            atomic_path(record, replace=replace) as record_temp,
            atomic_path(out, replace=replace) as temp,
            atomic_path(recognizer_out, replace=replace) as recognizer_temp,
            atomic_path(probes_out, replace=replace) as probes_temp,
        ):
            temp.write_bytes(data)
            recognizer_temp.write_bytes(own.graph)
            probes_temp.write_bytes(own.probe_bytes)
            # ONNX Runtime CPU is the reference runtime, whatever the pipeline's runtime is.
            session = OnnxRuntime().load(temp)
            check_export(session, str(out), batch=session_batch)
            checks = self._validate(session, reference, size, dim, batches, rng)
            self._check_deployed_recognizer(recognizer_temp, own, out, metadata, size, dim)
            summary = self._summary(out, data, opset, dynamic, trace_batch, loaded, checks)
            summary.update(own.record(recognizer_out.name, probes_out.name))
            record_temp.write_text(
                json.dumps(
                    {"out": str(out), **summary, "metadata": {**metadata, **pins}},
                    indent=2,
                    sort_keys=True,
                )
                + "\n",
                encoding="utf-8",
            )
        return ExportReport(
            out=out, summary=summary, notes=self._notes(out, metadata, dynamic, own)
        )

    # -- the recognizer the model was trained with -----------------------------------------

    @staticmethod
    def _trained_recognizer(loaded: LoadedCheckpoint) -> FrozenRecognizer:
        """The checkpoint's recognizer network: an export without it is not deployable."""
        if loaded.recognizer is None:
            weights = (loaded.state.get("recognizer") or {}).get("weights")
            raise ModelFileError(
                f"{loaded.path}: the recognizer this model was trained with is not here (its "
                f"weights {weights!r} are missing) and the checkpoint holds none; an export "
                "carries that recognizer: put its backbone.pth back at that path"
            )
        return loaded.recognizer.eval()

    def _export_recognizer(
        self,
        trained: FrozenRecognizer,
        metadata: dict[str, str],
        size: int,
        dim: int,
        rng: np.random.Generator,
    ) -> RecognizerFiles:
        """The recognizer graph and the probe file as bytes, validated against torch."""
        import onnx

        config = self.config
        module = RecognizerModule(trained).eval()
        probes = probe_set(self.context, size, metadata["faceswap.template"])
        proto = torch_export(
            module,
            # torch.export specialises a batch of 1: trace a dynamic batch at 2.
            (torch.from_numpy(np.concatenate([probes.crops, probes.crops])[:2]),),
            opset=config.opset,
            exporter=config.exporter,
            dynamic_batch=True,
            names=(RecognizerModule.input_names, RecognizerModule.output_names),
        )
        onnx.helper.set_model_props(
            proto,
            {
                **metadata,
                "faceswap.kind": "recognizer",
                "faceswap.exporter": f"faceswap-unet {version('faceswap-unet')}",
            },
        )
        proto.producer_name = "faceswap-unet"
        proto.producer_version = version("faceswap-unet")
        proto.doc_string = "faceswap U-Net's training recognizer: crop -> embedding"
        graph = self._checked_bytes(proto, "recognizer")
        session = OnnxRuntime().load(graph)
        atol = FP32_ATOL if config.atol is None else config.atol
        checks = validate_recognizer(session.run, module, probes.crops, rng, atol)
        if not checks["max_abs_diff"] <= atol:
            raise VerificationError(
                f"the recognizer's ONNX export differs from torch by {checks['max_abs_diff']:.3g} "
                f"(max abs) > atol {atol:g}; nothing written"
            )
        stored = probes_of(probes, embed(module, probes.crops))
        return RecognizerFiles(graph, stored, stored.encode(), atol=atol, **checks)

    def _check_deployed_recognizer(
        self,
        graph: Path,
        own: RecognizerFiles,
        out: Path,
        metadata: dict[str, str],
        size: int,
        dim: int,
    ) -> None:
        """The written graph, as the ``onnx`` swapper runs it, reproduces the probe embeddings."""
        session = OnnxRuntime().load(graph)
        deployed = ExportedRecognizer(
            session, str(graph), crop_size=size, template=metadata["faceswap.template"],
            embedding_dim=dim,
        )  # fmt: skip
        check_agreement(
            own.probes,
            deployed.embed,
            dim=dim,
            origin=str(out),
            trained=metadata["faceswap.recognizer"],
            candidate="the exported recognizer graph",
            advice="The recognizer does not export faithfully; nothing written",
        )

    def _checked_bytes(self, proto: Any, what: str) -> bytes:
        """``onnx.checker`` (full check, shape inference included), then the serialised graph."""
        import onnx

        try:
            onnx.checker.check_model(proto, full_check=True)
        except onnx.checker.ValidationError as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ModelFileError(f"the exported {what} graph fails onnx.checker: {first}") from None
        return bytes(proto.SerializeToString())

    def _finish(
        self,
        proto: Any,
        metadata: dict[str, str],
        state: dict[str, Any],
        dynamic: bool,
        batch: int,
    ) -> bytes:
        """Metadata on the graph, then the full ONNX check (shape inference included)."""
        import onnx

        config = self.config
        props = {
            **metadata,
            "faceswap.exporter": f"faceswap-unet {version('faceswap-unet')}",
            "faceswap.precision": config.precision,
            "faceswap.batch": DYNAMIC_BATCH if dynamic else str(batch),
            "faceswap.checkpoint_sha256": str(state.get("model_sha256", "")),
        }
        onnx.helper.set_model_props(proto, props)
        proto.producer_name = "faceswap-unet"
        proto.producer_version = version("faceswap-unet")
        proto.doc_string = "faceswap U-Net swapper: target, source -> output, mask"
        return self._checked_bytes(proto, "swapper")

    def _validate(
        self,
        session: Any,
        reference: ExportModule,
        size: int,
        dim: int,
        batches: tuple[int, ...],
        rng: np.random.Generator,
    ) -> dict[str, Any]:
        """Torch fp32 vs ONNX Runtime on the same inputs; raises when beyond the tolerance."""
        atol = self.config.tolerance
        runs = []
        worst, total, count = 0.0, 0.0, 0
        for batch in batches:
            feeds = validation_inputs(size, dim, batch, rng)
            with torch.no_grad():
                expected = reference(
                    torch.from_numpy(feeds["target"]), torch.from_numpy(feeds["source"])
                )
            want = {name: value.numpy() for name, value in zip(OUTPUT_NAMES, expected, strict=True)}
            diffs = compare_outputs(want, session.run(feeds), atol=atol)
            runs.append({"batch": batch, "outputs": [diff.to_dict() for diff in diffs]})
            for diff, name in zip(diffs, OUTPUT_NAMES, strict=True):
                worst = max(worst, diff.max_abs_diff)
                elements = int(np.prod(want[name].shape))
                total += diff.mean_abs_diff * elements
                count += elements
        mean = total / max(count, 1)
        if not worst <= atol:
            raise VerificationError(
                f"ONNX export differs from the torch model by {worst:.3g} (max abs, mean "
                f"{mean:.3g}) > atol {atol:g}; nothing written"
            )
        return {"max_abs_diff": worst, "mean_abs_diff": mean, "atol": atol, "validation": runs}

    def _summary(
        self,
        out: Path,
        data: bytes,
        opset: int,
        dynamic: bool,
        batch: int,
        loaded: Any,
        checks: dict[str, Any],
    ) -> dict[str, Any]:
        config = self.config
        return {
            **checks,
            "opset": opset,
            "exporter": f"torch.onnx ({config.exporter})",
            "precision": config.precision,
            "batch": DYNAMIC_BATCH if dynamic else batch,
            "crop_size": loaded.crop_size,
            "embedding_dim": loaded.embedding_dim,
            "recognizer": loaded.recognizer_name,
            "checkpoint": str(loaded.path),
            "checkpoint_step": loaded.state.get("step"),
            "sha256": sha256_bytes(data),
            "record": str(record_path(out)),
            "versions": _versions(),
        }

    def _notes(
        self, out: Path, metadata: dict[str, str], dynamic: bool, own: RecognizerFiles
    ) -> tuple[str, ...]:
        recognizer_out, probes_out = companion_paths(out)
        notes = [
            f"Recognizer: {metadata['faceswap.recognizer']} "
            f"({metadata['faceswap.embedding_dim']}-d), exported to {recognizer_out} "
            f"(max abs diff {own.max_abs_diff:.2g}) with {own.probes.images.shape[0]} probe "
            f"faces in {probes_out}; keep the four files together",
            "Swap with: faceswap swap -s SOURCE -t TARGET -o OUT --model onnx --model-path "
            + shlex.quote(str(out)),
        ]
        if not dynamic and self.config.batch not in (None, 1):
            notes.append(
                "The onnx swapper runs batch 1; this fixed-batch graph is for runtimes that "
                "batch (static TensorRT engines, NPU compilers)"
            )
        return tuple(notes)


__all__ = [
    "DYNAMIC_VALIDATION_BATCHES",
    "Float16Module",
    "UnetOnnxExporter",
    "checked_metadata",
    "default_opset",
    "record_path",
    "torch_export",
    "validation_inputs",
]
