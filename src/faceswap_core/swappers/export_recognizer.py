"""The recognizer an ``onnx`` export was trained with, and the probe faces that test agreement.

A swap model learned to read the embeddings of one recognizer network. Fed
another network's embeddings (a different ArcFace training, or a random
smoke-run recognizer's stand-in) it runs and pastes a meaningless identity
with exit code 0. So ``faceswap export onnx`` writes, beside ``NAME.onnx``:

- ``NAME.recognizer.onnx``: the training recognizer as ONNX, input ``crop``
  (N x 3 x S x S float32 RGB in [0, 1]: the swapper's own aligned crop, as
  training fed it) and output ``embedding`` (N x D, L2-normalised);
- ``NAME.probes.npz``: a few real faces with context (``images`` P x H x W x 3
  uint8, ``boxes`` P x 4, ``kps`` P x 5 x 2) and the training recognizer's
  ``embeddings`` of them (P x D float32).

The swapper graph pins both by SHA-256 in its metadata
(``faceswap.recognizer_sha256``, ``faceswap.probes_sha256``). By default the
``onnx`` swapper embeds the source with the export's own recognizer graph;
a pipeline recognizer named instead (``pipeline.swapper.recognizer``) is
first checked on the probes: each probe's two embeddings must have cosine
similarity >= :data:`AGREEMENT`, or the model is refused (exit code 5).

Both files are untrusted input: hash, size, member names, shapes, dtypes and
finite unit-length embeddings are checked before anything is used, and the
recognizer graph must reproduce the stored embeddings on the probes.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from faceswap_core.errors import ModelFileError
from faceswap_core.interfaces import Face, FloatArray, Image, InferenceSession
from faceswap_core.io.hashing import sha256_file
from faceswap_core.swappers.blobs import to_blob
from faceswap_core.swappers.contract import COMPANION_KEYS, check_declared, check_output
from faceswap_core.vision.align import align

RECOGNIZER_SUFFIX = ".recognizer.onnx"
PROBES_SUFFIX = ".probes.npz"
RECOGNIZER_SHA256, PROBES_SHA256 = COMPANION_KEYS
RECOGNIZER_INPUT = "crop"
RECOGNIZER_OUTPUT = "embedding"

AGREEMENT = 0.99
"""Least cosine similarity between two recognizers' embeddings of each probe face."""

MAX_PROBES = 32
PROBE_SIDE_MIN, PROBE_SIDE_MAX = 32, 512
MAX_PROBE_FILE_BYTES = 32 * 1024 * 1024
"""Limits on the probe file, checked on the zip's own records before any array is read."""

PROBE_ARRAYS: dict[str, str] = {
    "images": "uint8",
    "boxes": "float32",
    "kps": "float32",
    "embeddings": "float32",
}


def companion_paths(model: Path) -> tuple[Path, Path]:
    """``m.onnx`` -> (``m.recognizer.onnx``, ``m.probes.npz``): the files beside an export."""
    return model.with_name(model.stem + RECOGNIZER_SUFFIX), model.with_name(
        model.stem + PROBES_SUFFIX
    )


@attrs.frozen(eq=False)
class Probes:
    """Real faces with context and the training recognizer's embeddings of them."""

    images: np.ndarray[Any, np.dtype[np.uint8]]
    boxes: FloatArray
    kps: FloatArray
    embeddings: FloatArray

    def faces(self) -> list[tuple[Image, Face]]:
        """Each probe image with its face, as a detector would give it."""
        return [
            (np.ascontiguousarray(image), Face(bbox=box, score=1.0, kps=kps))
            for image, box, kps in zip(self.images, self.boxes, self.kps, strict=True)
        ]

    def encode(self) -> bytes:
        """The ``.npz`` bytes (compressed, no pickled objects)."""
        buffer = io.BytesIO()
        np.savez_compressed(
            buffer,
            images=self.images,
            boxes=self.boxes,
            kps=self.kps,
            embeddings=self.embeddings,
        )
        return buffer.getvalue()


def check_sha256(path: Path, expected: str, what: str, origin: str) -> None:
    """The file exists and has the SHA-256 the swapper graph pins."""
    if not path.is_file():
        raise ModelFileError(
            f"model {origin}: its {what} {path} is missing; keep the files faceswap export "
            f"wrote together ({path.name} beside {Path(origin).name})"
        )
    actual = sha256_file(path)
    if actual != expected:
        raise ModelFileError(
            f"model {origin}: {path} has sha256 {actual[:16]}…, the model pins {expected[:16]}…;"
            " the file was changed or belongs to another export"
        )


def read_probes(path: Path, *, dim: int, origin: str) -> Probes:
    """The probe file, checked (its hash is checked first by :func:`check_sha256`)."""
    label = f"model {origin}: probe file {path.name}"
    if path.stat().st_size > MAX_PROBE_FILE_BYTES:
        raise ModelFileError(f"{label} is larger than {MAX_PROBE_FILE_BYTES} bytes")
    try:
        with zipfile.ZipFile(path) as archive:
            members = {info.filename: info.file_size for info in archive.infolist()}
    except (OSError, zipfile.BadZipFile) as exc:
        raise ModelFileError(f"{label} is not an .npz archive: {exc}") from None
    expected = {f"{name}.npy" for name in PROBE_ARRAYS}
    if set(members) != expected:
        raise ModelFileError(f"{label} holds {sorted(members)}, expected {sorted(expected)}")
    if sum(members.values()) > MAX_PROBE_FILE_BYTES:
        raise ModelFileError(f"{label} expands beyond {MAX_PROBE_FILE_BYTES} bytes")
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {name: np.asarray(data[name]) for name in PROBE_ARRAYS}
    except (OSError, ValueError) as exc:
        raise ModelFileError(f"{label} cannot be read: {exc}") from None
    for name, dtype in PROBE_ARRAYS.items():
        if arrays[name].dtype != np.dtype(dtype):
            raise ModelFileError(f"{label}: {name} is {arrays[name].dtype}, expected {dtype}")
    images = arrays["images"]
    count = images.shape[0] if images.ndim == 4 else 0
    if images.ndim != 4 or images.shape[3] != 3 or not 1 <= count <= MAX_PROBES:
        raise ModelFileError(
            f"{label}: images are {list(images.shape)}, expected P x H x W x 3 with "
            f"1 <= P <= {MAX_PROBES}"
        )
    if not all(PROBE_SIDE_MIN <= side <= PROBE_SIDE_MAX for side in images.shape[1:3]):
        raise ModelFileError(
            f"{label}: images are {images.shape[2]}x{images.shape[1]}, expected sides "
            f"{PROBE_SIDE_MIN}..{PROBE_SIDE_MAX}"
        )
    shapes = {"boxes": (count, 4), "kps": (count, 5, 2), "embeddings": (count, dim)}
    for name, shape in shapes.items():
        if arrays[name].shape != shape:
            raise ModelFileError(
                f"{label}: {name} is {list(arrays[name].shape)}, expected {list(shape)}"
            )
        if not np.isfinite(arrays[name]).all():
            raise ModelFileError(f"{label}: {name} holds NaN or infinite values")
    norms = np.linalg.norm(arrays["embeddings"], axis=1)
    if not np.allclose(norms, 1.0, atol=1e-3):
        raise ModelFileError(f"{label}: embeddings are not unit length")
    return Probes(images, arrays["boxes"], arrays["kps"], arrays["embeddings"])


def cosines(a: FloatArray, b: FloatArray) -> FloatArray:
    """Row-wise cosine similarity of two P x D arrays."""
    a = a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-12)
    b = b / np.maximum(np.linalg.norm(b, axis=1, keepdims=True), 1e-12)
    return np.asarray((a * b).sum(axis=1), np.float32)


class ExportedRecognizer:
    """The training recognizer of an export, run on the swapper's own aligned crop."""

    def __init__(
        self,
        session: InferenceSession,
        origin: str,
        *,
        crop_size: int,
        template: str,
        embedding_dim: int,
    ) -> None:
        self.session = session
        self.origin = origin
        self.crop_size = crop_size
        self.template = template
        self.embedding_dim = embedding_dim
        inputs, outputs = tuple(session.input_names), tuple(session.output_names)
        if inputs != (RECOGNIZER_INPUT,) or outputs != (RECOGNIZER_OUTPUT,):
            raise ModelFileError(
                f"model {origin}: a recognizer graph has input {RECOGNIZER_INPUT!r} and output "
                f"{RECOGNIZER_OUTPUT!r}, got {list(inputs)} and {list(outputs)}"
            )
        size = crop_size
        check_declared(
            origin, f"input {RECOGNIZER_INPUT!r}", session.input_shapes[RECOGNIZER_INPUT],
            (None, 3, size, size),
        )  # fmt: skip
        check_declared(
            origin, f"output {RECOGNIZER_OUTPUT!r}", session.output_shapes[RECOGNIZER_OUTPUT],
            (None, embedding_dim),
        )  # fmt: skip

    def embed_crop(self, crop: Image) -> FloatArray:
        """The L2-normalised embedding of one aligned crop."""
        outputs = self.session.run({RECOGNIZER_INPUT: to_blob(crop, self.crop_size)})
        value = check_output(
            self.origin, RECOGNIZER_OUTPUT, outputs[RECOGNIZER_OUTPUT], (1, self.embedding_dim)
        )[0]
        norm = float(np.linalg.norm(value))
        if norm == 0.0:
            raise ModelFileError(f"model {self.origin}: the recognizer gave a zero embedding")
        return np.asarray(value / np.float32(norm), np.float32)

    def embed(self, image: Image, face: Face) -> FloatArray:
        """Align ``face`` as the swapper does, then embed the crop."""
        return self.embed_crop(align(image, face, self.crop_size, self.template).crop)


def check_agreement(
    probes: Probes,
    embed: Callable[[Image, Face], FloatArray],
    *,
    dim: int,
    origin: str,
    trained: str,
    candidate: str,
    advice: str,
) -> float:
    """Raise unless ``embed`` gives each probe the stored embedding (cosine >= AGREEMENT).

    :returns: the lowest cosine similarity over the probes.
    """
    rows = []
    for image, face in probes.faces():
        vector = np.asarray(embed(image, face), np.float32).reshape(-1)
        if vector.shape != (dim,):
            raise ModelFileError(
                f"model {origin} takes {dim}-d embeddings of recognizer {trained!r}; "
                f"{candidate} gives {vector.shape[0]}-d ones. {advice}"
            )
        rows.append(vector)
    similarity = cosines(np.stack(rows), probes.embeddings)
    worst = int(np.argmin(similarity))
    if not similarity[worst] >= AGREEMENT:
        raise ModelFileError(
            f"model {origin} was trained with recognizer {trained!r}; {candidate} gives other "
            f"embeddings of its probe faces (cosine {float(similarity[worst]):.3f} < {AGREEMENT} "
            f"on probe {worst + 1} of {len(rows)}). {advice}"
        )
    return float(similarity[worst])


__all__ = [
    "AGREEMENT",
    "PROBES_SHA256",
    "PROBES_SUFFIX",
    "RECOGNIZER_INPUT",
    "RECOGNIZER_OUTPUT",
    "RECOGNIZER_SHA256",
    "RECOGNIZER_SUFFIX",
    "ExportedRecognizer",
    "Probes",
    "check_agreement",
    "check_sha256",
    "companion_paths",
    "cosines",
    "read_probes",
]
