"""Swappers exported by this project, run from ONNX.

The graph must meet the export contract (:mod:`faceswap_core.swappers.contract`):
``target`` (N x 3 x S x S) and ``source`` (N x D) in, ``output`` (N x 3 x S x S)
and optionally ``mask`` (N x 1 x S x S) out, with ``faceswap.*`` metadata saying
S, D, the alignment template and the recognizer. It is checked on load and
every output is checked on each run.

An export of ``faceswap export onnx`` carries the recognizer it was trained
with (``NAME.recognizer.onnx``) and probe faces (``NAME.probes.npz``), pinned
by SHA-256 in its metadata (:mod:`faceswap_core.swappers.export_recognizer`).
The source is then embedded with exactly that network; a pipeline recognizer
named in ``recognizer`` is used only after it agrees with it on the probes.
Graphs without those files (made by other tools) name a pipeline recognizer
in ``faceswap.recognizer``, which embeds the source as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from faceswap_core.errors import ModelFileError
from faceswap_core.interfaces import Face, FloatArray, Image, Recognizer, SwapOutput
from faceswap_core.io.provenance import TRAINED_COMPOSITE
from faceswap_core.plugin.context import BuildContext
from faceswap_core.runtime.batch import run_batched
from faceswap_core.swappers.blobs import from_blobs, load_model, require_embedding, to_blobs
from faceswap_core.swappers.configs import OnnxSwapperConfig
from faceswap_core.swappers.contract import (
    EXPORT_MASK,
    EXPORT_OUTPUT,
    ExportContract,
    check_export,
    check_output,
)
from faceswap_core.swappers.export_recognizer import (
    ExportedRecognizer,
    Probes,
    check_agreement,
    check_sha256,
    companion_paths,
    read_probes,
)

__all__ = ["OnnxSwapper"]


class OnnxSwapper:
    """A faceswap export: metadata says how to feed it; validated on load and on every run."""

    needs_landmarks = False
    digital_source_type = TRAINED_COMPOSITE

    def __init__(self, config: OnnxSwapperConfig, context: BuildContext) -> None:
        self.config = config
        self.session, self.origin = load_model(config.model, config.runtime, context)
        self.model_path: str | None = self.origin  # hashed into a signed manifest
        contract = check_export(self.session, self.origin)
        self.contract = contract
        self.crop_size = contract.crop_size
        self.embedding_dim = contract.embedding_dim
        self.template = contract.template
        self.trained_recognizer = contract.recognizer
        self.has_mask = contract.has_mask
        declared = [*self.session.input_shapes.values(), *self.session.output_shapes.values()]
        # A symbolic first dimension everywhere: the graph runs any batch (video batches frames).
        symbolic = all(shape and not isinstance(shape[0], int) for shape in declared)
        self.max_batch = 0 if symbolic else 1
        self.own: ExportedRecognizer | None = None
        self.probes: Probes | None = None
        self._agreed: set[str] = set()
        if contract.carries_recognizer:
            self.own, self.probes = self._load_own(contract, context)
        # None: the swapper embeds the source itself, with the export's own recognizer.
        self.recognizer: str | None = config.recognizer
        if self.recognizer is None and self.own is None:
            self.recognizer = contract.recognizer

    def _load_own(
        self, contract: ExportContract, context: BuildContext
    ) -> tuple[ExportedRecognizer, Probes]:
        """The export's recognizer graph and probes: hashes, contract, then a probe run."""
        assert contract.recognizer_sha256 is not None
        assert contract.probes_sha256 is not None
        graph, probe_file = companion_paths(Path(self.origin))
        check_sha256(graph, contract.recognizer_sha256, "recognizer graph", self.origin)
        check_sha256(probe_file, contract.probes_sha256, "probe faces", self.origin)
        probes = read_probes(probe_file, dim=contract.embedding_dim, origin=self.origin)
        session, origin = load_model(str(graph), self.config.runtime, context)
        own = ExportedRecognizer(
            session,
            origin,
            crop_size=contract.crop_size,
            template=contract.template,
            embedding_dim=contract.embedding_dim,
        )
        # The graph (on this runtime) must give the embeddings training's network gave.
        check_agreement(
            probes,
            own.embed,
            dim=contract.embedding_dim,
            origin=self.origin,
            trained=contract.recognizer,
            candidate=f"its recognizer graph {graph.name} on this runtime",
            advice="The graph or the runtime computes something else; re-export the model "
            "or run it on onnxruntime",
        )
        return own, probes

    def check_recognizer(self, name: str, recognizer: Recognizer) -> None:
        """Refuse a pipeline recognizer whose embeddings of the probes are not the export's."""
        if self.probes is None or name in self._agreed:
            return
        graph, _ = companion_paths(Path(self.origin))
        check_agreement(
            self.probes,
            recognizer.embed,
            dim=self.embedding_dim,
            origin=self.origin,
            trained=self.trained_recognizer,
            candidate=f"recognizer {name!r}",
            advice=f"Use the export's own recognizer ({graph.name}): remove "
            "pipeline.swapper.recognizer",
        )
        self._agreed.add(name)

    def prepare_source(self, crop: Image, face: Face) -> FloatArray:
        if self.own is not None and self.config.recognizer is None:
            return self.own.embed_crop(crop).reshape(1, -1)
        if self.probes is not None and self.recognizer not in self._agreed:
            raise ModelFileError(
                f"model {self.origin}: recognizer {self.recognizer!r} was not checked against "
                "the export's probe faces; call check_recognizer() first (the pipeline does)"
            )
        embedding = require_embedding(face, "onnx swapper")
        if embedding.shape != (self.embedding_dim,):
            raise ModelFileError(
                f"model {self.origin} expects {self.embedding_dim}-d embeddings from "
                f"{self.trained_recognizer}, got {embedding.shape[0]}-d from "
                f"{self.recognizer}; set faceswap.recognizer right"
            )
        return embedding.reshape(1, -1).astype(np.float32)

    def swap(self, crop: Image, face: Face, source: FloatArray) -> SwapOutput:
        return self.swap_batch([crop], [face], source)[0]

    def swap_batch(
        self, crops: Sequence[Image], faces: Sequence[Face], source: FloatArray
    ) -> list[SwapOutput]:
        """Swap several crops of one source: one run when the graph's batch is dynamic."""
        size, count = self.crop_size, len(crops)
        names = [EXPORT_OUTPUT, EXPORT_MASK] if self.has_mask else [EXPORT_OUTPUT]
        outputs = run_batched(
            self.session,
            {
                "target": to_blobs(crops, size),
                "source": np.repeat(np.asarray(source, np.float32).reshape(1, -1), count, axis=0),
            },
            batched=["target", "source"],
            outputs=names,
        )
        images = check_output(
            self.origin, EXPORT_OUTPUT, outputs[EXPORT_OUTPUT], (count, 3, size, size)
        )
        masks: list[FloatArray | None] = [None] * count
        if self.has_mask:
            raw = check_output(
                self.origin, EXPORT_MASK, outputs[EXPORT_MASK], (count, 1, size, size)
            )
            masks = [np.clip(raw[k].reshape(size, size), 0, 1) for k in range(count)]
        return [
            SwapOutput(image, mask) for image, mask in zip(from_blobs(images), masks, strict=True)
        ]
