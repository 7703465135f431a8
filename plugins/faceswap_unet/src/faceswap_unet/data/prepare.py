"""LFW preparation: detect, align to the 5-point template, split by identity, write a manifest.

Each raw image is decoded, the registered detector (RetinaFace by default)
finds its faces, the one nearest the image centre is aligned with core's
similarity transform to a ``crop_size`` crop, and the crop is written as
PNG. Images with no face are listed in the manifest's ``skipped`` with the
reason. Work is spread over threads (one per usable CPU by default), each
with its own detector: ONNX Runtime and OpenCV release the GIL, and unlike
worker processes, threads never re-import the caller's ``__main__``, so
``faceswap.prepare_lfw`` works from a plain script without a
``if __name__ == "__main__"`` guard. A journal (``.prepare/journal.jsonl``) records
each finished image with its crop's sha256, so an interrupted run resumes
and a rerun skips crops whose checksum still matches. A source with no
usable image (no image file, or none with a face) is an :class:`InputError`
and leaves nothing behind. No torch here.
"""

from __future__ import annotations

import concurrent.futures as futures
import hashlib
import json
import queue
import shutil
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path, PurePosixPath
from typing import Any

import attrs
import numpy as np

from faceswap_core.errors import ConfigError, InputError
from faceswap_core.experiment.env import usable_cpus
from faceswap_core.experiment.manifest import (
    MANIFEST_NAME,
    Label,
    SkippedFile,
    read_manifest,
    update_manifest,
    verify_manifest,
)
from faceswap_core.interfaces import Detector, Face
from faceswap_core.io.atomic import atomic_write_bytes, atomic_write_json
from faceswap_core.io.hashing import sha256_bytes, sha256_file
from faceswap_unet.configs import LfwConfig
from faceswap_unet.data.layout import RawImage, iter_images, kind_of
from faceswap_unet.data.split import split_identities

DATASET_NAME = "lfw"
CROPS = "crops"
ANNOTATIONS = "annotations.json"
INFO = "prepare.json"
JOURNAL = ".prepare/journal.jsonl"
JOURNAL_DIR = ".prepare"
IN_FLIGHT_PER_WORKER = 4

ProgressFn = Callable[[int, int], None]


@attrs.frozen
class CropResult:
    """What became of one raw image."""

    key: str
    identity: str
    crop: str | None
    sha256: str | None
    kps: list[list[float]] | None
    score: float | None
    reason: str | None = None


def nearest_centre(faces: list[Face], shape: tuple[int, ...], min_score: float) -> Face | None:
    """The detected face whose box centre is closest to the image centre."""
    height, width = shape[:2]
    centre = np.array([width / 2.0, height / 2.0])
    candidates = [f for f in faces if f.score >= min_score]
    if not candidates:
        return None

    def distance(face: Face) -> float:
        box = face.bbox
        return float(
            np.linalg.norm(np.array([(box[0] + box[2]) / 2, (box[1] + box[3]) / 2]) - centre)
        )

    return min(candidates, key=distance)


def encode_png(crop: np.ndarray[Any, Any]) -> bytes:
    import cv2

    ok, buffer = cv2.imencode(".png", np.ascontiguousarray(crop[:, :, ::-1]))
    if not ok:
        raise InputError("PNG encoding of an aligned crop failed")
    return bytes(buffer.tobytes())


def align_one(
    detector: Detector, data: bytes, raw: RawImage, config: LfwConfig
) -> tuple[CropResult, bytes | None]:
    """Detect and align one raw image; returns the record and the crop's PNG bytes."""
    from faceswap_core.errors import InvalidImageError
    from faceswap_core.io.decode import decode
    from faceswap_core.vision.align import align

    crop_rel = f"{CROPS}/{raw.identity}/{PurePosixPath(raw.key).name}.png"
    try:
        image = decode(data, name=raw.source)
    except InvalidImageError as exc:
        return CropResult(
            raw.key, raw.identity, None, None, None, None, f"undecodable: {exc}"
        ), None
    face = nearest_centre(detector.detect(image), image.shape, config.min_score)
    if face is None:
        return CropResult(raw.key, raw.identity, None, None, None, None, "no face found"), None
    aligned = align(image, face, config.crop_size, config.template)
    png = encode_png(aligned.crop)
    kps = [[round(float(x), 3), round(float(y), 3)] for x, y in aligned.face.kps]
    record = CropResult(
        raw.key, raw.identity, crop_rel, sha256_bytes(png), kps, round(float(face.score), 4)
    )
    return record, png


# -- detectors -----------------------------------------------------------------------


def build_detector(ref: Mapping[str, Any]) -> Detector:
    """The registered detector named by ``ref``, built with a default context."""
    from faceswap_core.pipeline.context import build_context
    from faceswap_core.plugin.kinds import DETECTOR
    from faceswap_core.plugin.manager import get_plugins

    plugins = get_plugins()
    return plugins.build(
        DETECTOR, dict(ref), context=build_context(plugins), path="$.data.detector"
    )


# -- the journal ---------------------------------------------------------------------


def read_journal(path: Path) -> dict[str, CropResult]:
    """Finished images by key; a torn last line (a crash mid-write) is ignored."""
    done: dict[str, CropResult] = {}
    if not path.is_file():
        return done
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            data = json.loads(line)
            done[data["key"]] = CropResult(**data)
        except (json.JSONDecodeError, KeyError, TypeError):
            continue
    return done


def _still_valid(record: CropResult, out: Path) -> bool:
    if record.crop is None:
        return True
    file = out / record.crop
    return file.is_file() and sha256_file(file) == record.sha256


# -- the dataset ---------------------------------------------------------------------


def labeling_for(
    assignment: Mapping[str, str], plan_seed: int
) -> Callable[[PurePosixPath], Label | None]:
    """Crops are labelled with their identity and split; ``annotations.json`` is ``meta``.

    A crop of an identity the split does not know (added by hand) goes to a
    split chosen from a hash of its name, so it is stable across updates.
    """

    def label(path: PurePosixPath) -> Label | None:
        if path.as_posix() == ANNOTATIONS:
            return Label("meta")
        if len(path.parts) != 3 or path.parts[0] != CROPS or path.suffix != ".png":
            return None
        identity = path.parts[1]
        split = assignment.get(identity)
        if split is None:
            digest = hashlib.sha256(f"{plan_seed}:{identity}".encode()).digest()
            split = "val" if digest[0] < 26 else "test" if digest[0] < 52 else "train"
        return Label(split, identity)

    return label


def prepare_lfw(
    source: Path, out: Path, config: LfwConfig, *, progress: ProgressFn | None = None
) -> dict[str, Any]:
    """Prepare ``source`` (tree, ``.tgz`` or zip) into ``out``; resumable and idempotent.

    :raises InputError: ``source`` holds no image, or no image with a face; then
        nothing is left in ``out`` (a folder this call created is removed).
    """
    kind = kind_of(source)
    keys, source_sha256 = _index(source)
    if not keys:
        raise InputError(
            f"no images in {source}: expected an LFW layout (<Person>/<Person>_0001.jpg), "
            "its .tgz or a Kaggle zip; nothing prepared"
        )
    created = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    try:
        report = _prepare(source, kind, keys, source_sha256, out, config, progress)
    except _NothingUsableError as empty:
        if created:
            shutil.rmtree(out, ignore_errors=True)
        else:
            shutil.rmtree(out / JOURNAL_DIR, ignore_errors=True)
        raise InputError(str(empty)) from None
    return report


class _NothingUsableError(Exception):
    """Every image was processed and none gave a crop."""


def _prepare(
    source: Path,
    kind: str,
    keys: list[str],
    source_sha256: str,
    out: Path,
    config: LfwConfig,
    progress: ProgressFn | None,
) -> dict[str, Any]:
    info_file = out / INFO
    if info_file.is_file():
        previous = json.loads(info_file.read_text(encoding="utf-8"))
        for key in ("crop_size", "template"):
            if previous.get(key) != getattr(config, key):
                raise ConfigError(
                    f"{out} was prepared with {key}={previous.get(key)}, not "
                    f"{getattr(config, key)}; prepare into another folder"
                )
    journal_file = out / JOURNAL
    journal_file.parent.mkdir(parents=True, exist_ok=True)
    done = {k: r for k, r in read_journal(journal_file).items() if _still_valid(r, out)}
    total = len(keys)
    todo = total - sum(1 for k in keys if k in done)
    workers = config.workers or usable_cpus()
    finished = total - todo
    if progress is not None:
        progress(finished, total)
    reused = finished
    with journal_file.open("a", encoding="utf-8") as journal:

        def record(result: CropResult, png: bytes | None) -> None:
            nonlocal finished
            if png is not None and result.crop is not None:
                atomic_write_bytes(out / result.crop, png)
            journal.write(json.dumps(attrs.asdict(result)) + "\n")
            journal.flush()
            done[result.key] = result
            finished += 1
            if progress is not None:
                progress(finished, total)

        pending = ((raw, data) for raw, data in iter_images(source) if raw.key not in done)
        if todo and workers <= 1:
            detector = build_detector(config.detector)
            for raw, data in pending:
                record(*align_one(detector, data, raw, config))
        elif todo:
            _run_pool(pending, workers, config, record)
    results = [done[k] for k in sorted(set(keys))]
    if not any(r.crop is not None for r in results):
        reasons: dict[str, int] = {}
        for r in results:
            reason = (r.reason or "no crop").split(":")[0]
            reasons[reason] = reasons.get(reason, 0) + 1
        listing = ", ".join(f"{reason}: {count}" for reason, count in sorted(reasons.items()))
        raise _NothingUsableError(
            f"no usable image in {source}: {len(results)} image(s), none with a face "
            f"({listing}); nothing prepared"
        )
    report = _finish(source, kind, out, config, results, reused=reused, source_sha256=source_sha256)
    return {**report, "workers": workers if todo else 0}


def _index(source: Path) -> tuple[list[str], str]:
    """The image keys of ``source`` and one sha256 over every (key, image sha256)."""
    pairs = sorted((raw.key, sha256_bytes(data)) for raw, data in iter_images(source))
    digest = hashlib.sha256()
    for key, sha in pairs:
        digest.update(f"{key}\t{sha}\n".encode())
    return [key for key, _ in pairs], digest.hexdigest()


def _run_pool(
    pending: Iterator[tuple[RawImage, bytes]],
    workers: int,
    config: LfwConfig,
    record: Callable[[CropResult, bytes | None], None],
) -> None:
    """Align on ``workers`` threads, each image with a detector from a pool of ``workers``."""
    detectors: queue.SimpleQueue[Detector] = queue.SimpleQueue()
    for _ in range(workers):  # built here, one after another: no concurrent plugin loading
        detectors.put(build_detector(config.detector))

    def work(raw: RawImage, data: bytes) -> tuple[CropResult, bytes | None]:
        detector = detectors.get()
        try:
            return align_one(detector, data, raw, config)
        finally:
            detectors.put(detector)

    with futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="lfw") as pool:
        running: set[futures.Future[tuple[CropResult, bytes | None]]] = set()
        for raw, data in pending:
            running.add(pool.submit(work, raw, data))
            if len(running) >= workers * IN_FLIGHT_PER_WORKER:
                finished, running = futures.wait(running, return_when=futures.FIRST_COMPLETED)
                for item in finished:
                    record(*item.result())
        for item in futures.as_completed(running):
            record(*item.result())


def _finish(
    source: Path,
    kind: str,
    out: Path,
    config: LfwConfig,
    results: list[CropResult],
    *,
    reused: int,
    source_sha256: str,
) -> dict[str, Any]:
    crops = [r for r in results if r.crop is not None]
    plan = split_identities(
        {r.identity for r in crops},
        val_fraction=config.val_fraction,
        test_fraction=config.test_fraction,
        seed=config.seed,
    )
    annotations = {
        r.crop: {"identity": r.identity, "key": r.key, "kps": r.kps, "score": r.score}
        for r in crops
        if r.crop is not None
    }
    atomic_write_json(out / ANNOTATIONS, dict(sorted(annotations.items())), indent=None)
    skipped = [SkippedFile(r.key, r.reason or "no crop") for r in results if r.crop is None]
    manifest, diff = update_manifest(
        out,
        labeling_for(plan.assignment, config.seed),
        name=DATASET_NAME,
        skipped=skipped,
        note=f"prepared from {source}",
    )
    info = {
        "dataset": DATASET_NAME,
        "source": str(source),
        "source_kind": kind,
        "source_images": len(results),
        "source_sha256": source_sha256,
        "crop_size": config.crop_size,
        "template": config.template,
        "detector": dict(config.detector),
        "seed": config.seed,
        "val_fraction": config.val_fraction,
        "test_fraction": config.test_fraction,
        "assignment": plan.assignment,
        "warnings": plan.warnings,
    }
    atomic_write_json(out / INFO, info)
    return {
        "out": str(out),
        "version": manifest.version,
        "images": len(results),
        "crops": len(crops),
        "no_face": len(skipped),
        "reused": reused,
        "identities": plan.counts(),
        "images_per_split": manifest.splits(),
        "added": len(diff.added),
        "removed": len(diff.removed),
        "changed": len(diff.changed),
        "warnings": plan.warnings,
    }


def update_lfw(root: Path) -> dict[str, Any]:
    """Re-verify ``root`` against its manifest, then record changes with a version bump."""
    manifest_file = root / MANIFEST_NAME
    old = read_manifest(manifest_file)
    info = read_info(root)
    labeling = labeling_for(info.get("assignment", {}), int(info.get("seed", 0)))
    report = verify_manifest(old, root, labeling)
    _refresh_annotations(root)
    new, diff = update_manifest(root, labeling, note="faceswap data update")
    return {
        "root": str(root),
        "verify": report.summary(),
        "version_before": old.version,
        "version": new.version,
        "added": diff.added,
        "removed": diff.removed,
        "changed": diff.changed,
    }


def _refresh_annotations(root: Path) -> None:
    """Drop annotations of crops that are gone, so the manifest's meta entry stays truthful."""
    file = root / ANNOTATIONS
    if not file.is_file():
        return
    data = json.loads(file.read_text(encoding="utf-8"))
    kept = {path: value for path, value in data.items() if (root / path).is_file()}
    if kept != data:
        atomic_write_json(file, kept, indent=None)


def read_info(root: Path) -> dict[str, Any]:
    file = root / INFO
    if not file.is_file():
        return {}
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"cannot read {file}: {exc}") from None
    return data if isinstance(data, dict) else {}


__all__ = [
    "ANNOTATIONS",
    "CROPS",
    "DATASET_NAME",
    "INFO",
    "CropResult",
    "align_one",
    "labeling_for",
    "nearest_centre",
    "prepare_lfw",
    "read_info",
    "update_lfw",
]
