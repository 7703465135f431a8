"""``faceswap eval``: swap held-out pairs with any swapper and score them.

The run is a work_dir like a training run (``config.yaml``, ``env.json``,
``plugins.json``, ``README.md`` with the rerun command) plus
``metrics.json``, ``metrics.csv``, ``plots/``, ``gallery/`` and a
self-contained ``report.html``. Each pair goes through the same pipeline
``faceswap swap`` uses (detection included, the largest face of each image);
the swapped face is then found again in the result and measured with an
evaluation recognizer and landmarker that the config names. A pair that
cannot be swapped is recorded with its reason, never dropped. With a baseline
the run is gated after every output is written.

With a :class:`~faceswap_core.interfaces.WorkRunner` (``runner=``, e.g. a Ray
cluster) the two costly loops, embedding the gallery images and scoring the
pairs, are sharded over its workers (:class:`EmbedWork`, :class:`ScoreWork`);
this process reads the images, folds the results in the same order as a local
run and writes every file, so the numbers are the same.
"""

from __future__ import annotations

import datetime as _dt
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import attrs

from faceswap_core.config.convert import structure
from faceswap_core.config.loader import load_config
from faceswap_core.config.overrides import apply_overrides
from faceswap_core.config.schema import ComponentRef, EvalConfig, ExperimentConfig
from faceswap_core.errors import (
    ConfigError,
    FaceswapError,
    InputError,
    InvalidImageError,
    ModelFileError,
    NoFaceError,
    RegressionError,
    UnknownComponentError,
)
from faceswap_core.eval import gallery as galleries
from faceswap_core.eval.gate import GateResult, check_regressions, parse_tolerances
from faceswap_core.eval.metrics import GalleryIndex
from faceswap_core.eval.pairs import EvalData, EvalImage, Pair, load_data, sample_pairs
from faceswap_core.eval.plots import write_eval_plots
from faceswap_core.eval.report import write_report
from faceswap_core.eval.results import (
    GALLERY_DIR,
    PAIR_STRIPS_DIR,
    SCHEMA,
    metric_entry,
    metric_values,
    read_metrics_csv,
    read_metrics_json,
    write_metrics_csv,
    write_metrics_json,
)
from faceswap_core.experiment.env import capture_env
from faceswap_core.experiment.loop import POINTER_NAME, read_pointer
from faceswap_core.experiment.run import read_run_record
from faceswap_core.experiment.workdir import (
    DEFAULT_ROOT,
    create_work_dir,
    discard_work_dir,
    resolve_work_dir,
    reveal_work_dir,
)
from faceswap_core.interfaces import Face, FloatArray, Image, Landmarker, Metric, Recognizer
from faceswap_core.interfaces.eval import MetricValue, Need, PairRecord
from faceswap_core.interfaces.jobs import Work, WorkRunner
from faceswap_core.io.atomic import refuse_special
from faceswap_core.io.read import FileBytes, read_file_bytes
from faceswap_core.pipeline.image import Pipeline, SourceIdentity
from faceswap_core.plugin.context import BuildContext
from faceswap_core.plugin.kinds import LANDMARKER, METRIC, RECOGNIZER, SWAPPER
from faceswap_core.plugin.manager import FaceswapPlugins, get_plugins, loaded_distributions
from faceswap_core.vision import align

METRIC_CROP = 112
"""Side of the ArcFace-aligned crops SSIM, PSNR and LPIPS compare."""

MATCH_IOU = 0.3
"""Smallest box overlap for a face in the result to count as the swapped target face."""

Progress = Callable[[int, int], None]

ItemT = TypeVar("ItemT")
ResultT = TypeVar("ResultT")


@attrs.frozen
class EvalOptions:
    """What to evaluate; mirrors ``faceswap eval``'s options (and ``faceswap.evaluate``).

    :ivar model: swapper type; with ``model_path`` alone the ``onnx`` swapper.
    :ivar run: a training run folder: its best checkpoint, loaded by the swapper the run
        records (``unet`` for faceswap-unet runs), in the run's ``config.yaml`` pipeline.
    :ivar tolerance: ``METRIC=DELTA`` strings (or a mapping) for the baseline gate.
    :ivar overrides: ``--set KEY=VALUE`` config overrides.
    """

    config: str | Path | None = None
    model: str | None = None
    model_path: str | None = None
    run: str | Path | None = None
    data: str | Path | None = None
    pairs: str | Path | None = None
    videos: str | Path | None = None
    out: str | Path | None = None
    baseline: str | Path | None = None
    tolerance: Sequence[str] | Mapping[str, float] = ()
    overrides: Sequence[str] = ()

    def command(self) -> list[str]:
        """The ``faceswap eval`` command line that reruns this evaluation."""
        argv = ["faceswap", "eval"]
        for flag, value in (
            ("--config", self.config),
            ("--model", self.model),
            ("--model-path", self.model_path),
            ("--run", self.run),
            ("--data", self.data),
            ("--pairs", self.pairs),
            ("--videos", self.videos),
            ("--out", self.out),
            ("--baseline", self.baseline),
        ):
            if value is not None:
                argv += [flag, os.fspath(value)]
        tolerances = (
            [f"{k}={v}" for k, v in self.tolerance.items()]
            if isinstance(self.tolerance, Mapping)
            else list(self.tolerance)
        )
        for item in tolerances:
            argv += ["--tolerance", item]
        for item in self.overrides:
            argv += ["--set", item]
        return argv


@attrs.frozen(eq=False)
class EvalResult:
    """Where the outputs are, the values, the full ``metrics.json`` and the gate."""

    out: Path
    metrics: dict[str, float | None]
    document: dict[str, Any]
    gate: GateResult | None

    def summary(self) -> dict[str, Any]:
        """The ``--json`` line: ``{"out", "metrics"}`` (and the gate when there is one)."""
        data: dict[str, Any] = {"out": str(self.out), "metrics": self.metrics}
        if self.gate is not None:
            data["gate"] = self.gate.to_dict()
        return data


# -- configuration -----------------------------------------------------------------------------


def checkpoint_field(swapper_type: str, plugins: FaceswapPlugins) -> str | None:
    """The field of a swapper's config that takes a checkpoint, if it has one.

    It is the field marked ``metadata={"checkpoint": True}`` (the ``unet``
    swapper's ``model``), else a field named ``checkpoint``.
    """
    component = plugins.registry(SWAPPER).get(swapper_type)
    fields = attrs.fields(component.config) if component.config is not None else ()
    marked = [str(f.name) for f in fields if f.metadata.get("checkpoint")]
    if marked:
        return marked[0]
    return "checkpoint" if any(f.name == "checkpoint" for f in fields) else None


def run_swapper(
    run: Path, configured: ComponentRef, plugins: FaceswapPlugins
) -> tuple[ComponentRef, str | None]:
    """The swapper that evaluates a training run, and the checkpoint it loads.

    The run's ``status.json`` names the swapper that loads its checkpoints
    (the runner's own); it gets the best checkpoint (else the last). A run
    without checkpoints is evaluated with its configured pipeline swapper. A
    run with checkpoints but no swapper that takes them is refused rather than
    silently evaluated without its weights.
    """
    pointer = read_pointer(run / "checkpoints")
    recorded = (read_run_record(run).get("swapper") or {}).get("type")
    if pointer is None:
        if recorded:
            raise InputError(
                f"{run} has no checkpoint to evaluate (checkpoints/{POINTER_NAME} is missing): "
                "the run ended before its first checkpoint; train it further or pick another run"
            )
        return configured, configured.get("checkpoint")
    swapper: ComponentRef = {"type": recorded} if recorded else dict(configured)
    state = pointer.get("state") or {}
    path = str(run / "checkpoints" / (state.get("best_checkpoint") or pointer["checkpoint"]))
    field = checkpoint_field(str(swapper.get("type")), plugins)
    if field is None:
        raise InputError(
            f"{run} holds checkpoints, but its swapper {swapper.get('type')!r} takes none, so "
            "they would not be evaluated (the run does not record which swapper loads them); "
            f"name the model: --model unet --model-path {path}"
        )
    if swapper.get(field):
        return swapper, str(swapper[field])
    return {**swapper, field: path}, path


def resolve_experiment(
    options: EvalOptions, plugins: FaceswapPlugins, given: ExperimentConfig | None = None
) -> tuple[ExperimentConfig, Path | None, dict[str, Any]]:
    """The experiment config to evaluate, its file, and the ``model`` section of the report.

    ``--config`` gives the eval settings (and the pipeline); ``--run`` takes the
    pipeline of a training run's ``config.yaml``; ``--model``/``--model-path``
    replace the swapper last.
    """
    overrides = tuple(options.overrides)
    run = Path(options.run) if options.run is not None else None
    config_path = Path(options.config) if options.config is not None else None
    if given is not None:
        experiment = given
    elif config_path is not None:
        experiment, _ = load_config(config_path, overrides=overrides)
    elif run is not None:
        experiment, _ = _run_config(run, overrides)
    else:
        experiment = structure(apply_overrides({}, overrides, ExperimentConfig), ExperimentConfig)
    checkpoint = None
    named = options.model is not None or options.model_path is not None
    if run is not None:
        run_experiment, _ = _run_config(run, ())
        swapper = run_experiment.pipeline.swapper
        if not named:
            swapper, checkpoint = run_swapper(run, swapper, plugins)
        pipeline = attrs.evolve(run_experiment.pipeline, swapper=swapper)
        experiment = attrs.evolve(experiment, pipeline=pipeline)
    if named:
        swapper = {"type": options.model or "onnx"}
        if options.model_path is not None:
            swapper["model"] = options.model_path
        experiment = attrs.evolve(
            experiment, pipeline=attrs.evolve(experiment.pipeline, swapper=swapper)
        )
    model = {
        "swapper": dict(experiment.pipeline.swapper),
        "run": None if run is None else str(run),
        "checkpoint": checkpoint,
    }
    return experiment, config_path, model


def _run_config(run: Path, overrides: Iterable[str]) -> tuple[ExperimentConfig, dict[str, Any]]:
    file = run / "config.yaml"
    if not file.is_file():
        raise InputError(
            f"{run} has no config.yaml: --run takes a training run folder "
            f"(work_dirs/<experiment>-<timestamp>)"
        )
    return load_config(file, overrides=tuple(overrides), check_plugins=False)


# -- components --------------------------------------------------------------------------------


def build_metrics(
    refs: Sequence[ComponentRef], plugins: FaceswapPlugins, context: BuildContext
) -> tuple[list[Metric], dict[str, str]]:
    """The configured metrics, and ``{name: reason}`` for those whose plugin is missing.

    A name no installed or known distribution provides is a typo and an error.
    """
    metrics: list[Metric] = []
    skipped: dict[str, str] = {}
    for index, ref in enumerate(refs):
        path = f"$.eval.metrics[{index}]"
        try:
            metrics.append(plugins.build(METRIC, ref, context=context, path=path))
        except UnknownComponentError as exc:
            if exc.hint is None:
                raise
            skipped[exc.name] = f"metric {exc.name!r} is not available: {exc.hint}"
    names = [metric.name for metric in metrics]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ConfigError(f"$.eval.metrics lists {', '.join(duplicates)} more than once")
    return metrics, skipped


def build_recognizer(
    ref: ComponentRef | None, plugins: FaceswapPlugins, context: BuildContext
) -> tuple[Recognizer, dict[str, Any]]:
    """The evaluation recognizer; unset is ``arcface`` when its pack is present, else dlib."""
    path = "$.eval.recognizer"
    if ref is not None:
        recognizer = plugins.build(RECOGNIZER, ref, context=context, path=path)
        name, chosen = str(ref.get("type")), "configured (eval.recognizer)"
    else:
        try:
            recognizer = plugins.build(RECOGNIZER, "arcface", context=context, path=path)
            name, chosen = "arcface", "default: the ArcFace pack is present"
        except (ModelFileError, UnknownComponentError) as exc:
            recognizer = plugins.build(RECOGNIZER, "dlib", context=context, path=path)
            name, chosen = "dlib", f"default: ArcFace unavailable ({exc})"
    return recognizer, {"name": name, "chosen": chosen, **_model_info(recognizer)}


def _model_info(component: object) -> dict[str, Any]:
    info = getattr(component, "model_info", None)
    if info is None:
        return {}
    return {"model": info.name, "file": info.file, "license": info.license}


# -- scoring one pair ----------------------------------------------------------------------------


def _iou(a: Face, b: Face) -> float:
    x1, y1 = max(a.bbox[0], b.bbox[0]), max(a.bbox[1], b.bbox[1])
    x2, y2 = min(a.bbox[2], b.bbox[2]), min(a.bbox[3], b.bbox[3])
    inter = max(float(x2 - x1), 0.0) * max(float(y2 - y1), 0.0)
    union = a.area + b.area - inter
    return inter / union if union > 0 else 0.0


def match_face(found: Sequence[Face], face: Face, threshold: float = MATCH_IOU) -> Face | None:
    """The face in ``found`` overlapping ``face`` most, if it overlaps at least ``threshold``."""
    best = max(found, key=lambda candidate: _iou(candidate, face), default=None)
    return best if best is not None and _iou(best, face) >= threshold else None


@attrs.frozen(eq=False)
class Scored:
    record: PairRecord
    row: dict[str, Any]
    strip: list[Image] | None


@attrs.frozen(eq=False)
class Embedded:
    """One gallery image's embedding (``None``: no face), or why it could not be read."""

    key: str
    label: str
    embedding: FloatArray | None
    unreadable: str | None = None


class PairScorer:
    """Runs one pair through the pipeline and measures what the metrics need."""

    def __init__(
        self,
        pipeline: Pipeline,
        needs: frozenset[Need],
        recognizer: Recognizer | None,
        landmarker: Landmarker | None,
    ) -> None:
        self.pipeline = pipeline
        self.needs = needs
        self.recognizer = recognizer
        self.landmarker = landmarker
        self.embeddings: dict[str, tuple[str, FloatArray]] = {}
        self.unreadable: dict[str, str] = {}
        self.inputs: dict[str, FileBytes] = {}  # images read by another process, by key

    def load(self, image: EvalImage) -> Image:
        source = self.inputs.get(image.key, image.path)
        return self.pipeline.decode(source, name=image.key)

    def embed_one(self, image: EvalImage) -> Embedded:
        """The embedding of one image's largest face, or why the image is unreadable."""
        assert self.recognizer is not None
        try:
            pixels = self.load(image)
        except (InvalidImageError, InputError) as exc:
            return Embedded(image.key, image.label, None, str(exc))
        faces = self.pipeline.detector.detect(pixels)
        face = max(faces, key=lambda f: f.area, default=None)
        embedding = None if face is None else self.recognizer.embed(pixels, face)
        return Embedded(image.key, image.label, embedding)

    def add(self, embedded: Embedded) -> None:
        """Fold one image's embedding in (in the images' order: the gallery sums depend on it)."""
        if embedded.unreadable is not None:
            self.unreadable[embedded.key] = embedded.unreadable
        elif embedded.embedding is not None:
            self.embeddings[embedded.key] = (embedded.label, embedded.embedding)

    def embed_images(self, images: Sequence[EvalImage], progress: Progress | None = None) -> None:
        """Embeddings of every image's largest face (the gallery and the pairs' sources)."""
        for index, image in enumerate(images):
            embedded = self.embed_one(image)
            self.add(embedded)
            if embedded.unreadable is None and progress is not None:
                progress(index + 1, len(images))

    def _row(self, pair: Pair, status: str, error: str = "") -> dict[str, Any]:
        return {
            "pair_id": pair.pair_id,
            "kind": pair.kind,
            "source": pair.source.key,
            "target": pair.target.key,
            "source_label": pair.source.label,
            "target_label": pair.target.label,
            "status": status,
            "error": error,
        }

    def _failed(self, pair: Pair, failure: str, error: str = "") -> Scored:
        record = PairRecord(pair.pair_id, pair.kind, pair.source.label, pair.target.label, failure)
        return Scored(record, self._row(pair, failure, error), None)

    def score(self, pair: Pair, gallery: GalleryIndex | None) -> Scored:
        try:
            started = time.perf_counter()
            target = self.load(pair.target)
            decode_ms = (time.perf_counter() - started) * 1000.0
            source = self.load(pair.source)
        except (InvalidImageError, InputError) as exc:
            return self._failed(pair, "unreadable_image", str(exc))
        try:
            identity = self.pipeline.prepare_source(source, announce=False)
        except NoFaceError as exc:
            return self._failed(pair, "no_face_source", str(exc))
        try:
            result = self.pipeline.swap(target, identity, faces="largest")
        except FaceswapError:
            raise  # a configuration or model problem fails every pair: stop and say so
        except Exception as exc:  # one pair's swap failing must not end the evaluation
            return self._failed(pair, "swap_failed", f"{type(exc).__name__}: {exc}")
        if not result.swapped:
            return self._failed(pair, "no_face_target", "no face found in the target")
        target_face = result.faces[result.swapped[0]]
        result_face = match_face(self.pipeline.detector.detect(result.image), target_face)
        if result_face is None:
            return self._failed(pair, "no_face_result", "no face found where the target face was")
        record = self._record(pair, target, result.image, target_face, result_face, gallery)
        record = attrs.evolve(record, timings_ms={"decode": decode_ms, **result.timings})
        strip = self._strip(source, identity, target, result.image, target_face)
        return Scored(record, self._row(pair, "ok"), strip)

    def _record(
        self,
        pair: Pair,
        target: Image,
        result: Image,
        target_face: Face,
        result_face: Face,
        gallery: GalleryIndex | None,
    ) -> PairRecord:
        fields: dict[str, Any] = {"image_size": (int(target.shape[0]), int(target.shape[1]))}
        if "embeddings" in self.needs:
            assert self.recognizer is not None
            fields["result_embedding"] = self.recognizer.embed(result, result_face)
            fields["source_embedding"] = self._embedding(pair.source.key)
            fields["target_embedding"] = self._embedding(pair.target.key)
            if gallery is not None:
                fields["gallery"] = gallery.without((pair.source.key, pair.target.key))
        if "landmarks" in self.needs:
            assert self.landmarker is not None
            fields["result_landmarks"] = self.landmarker.landmarks(result, result_face)
            fields["target_landmarks"] = self.landmarker.landmarks(target, target_face)
        if "crops" in self.needs:
            fields["target_crop"] = align.align(target, target_face, METRIC_CROP, "arcface").crop
            fields["result_crop"] = align.align(result, target_face, METRIC_CROP, "arcface").crop
        return PairRecord(
            pair.pair_id, pair.kind, pair.source.label, pair.target.label, None, **fields
        )

    def _embedding(self, key: str) -> FloatArray | None:
        found = self.embeddings.get(key)
        return None if found is None else found[1]

    def _strip(
        self,
        source: Image,
        identity: SourceIdentity,
        target: Image,
        result: Image,
        target_face: Face,
    ) -> list[Image]:
        return [
            align.align(source, identity.face, galleries.DISPLAY_CROP, "classic").crop,
            align.align(target, target_face, galleries.DISPLAY_CROP, "classic").crop,
            align.align(result, target_face, galleries.DISPLAY_CROP, "classic").crop,
        ]


# -- building the scorer (here and on every worker) -------------------------------------------


@attrs.frozen(eq=False)
class ScorerParts:
    """The pipeline, recognizer and landmarker an evaluation scores with, and their report."""

    pipeline: Pipeline
    recognizer: Recognizer | None
    recognizer_info: dict[str, Any] | None
    landmarker: Landmarker | None
    landmarker_ref: ComponentRef


def scoring_pipeline(experiment: ExperimentConfig, manager: FaceswapPlugins) -> Pipeline:
    """The pipeline pairs are swapped with: the experiment's, on the largest face."""
    return Pipeline(attrs.evolve(experiment.pipeline, faces="largest"), manager)


def build_scorer_parts(
    experiment: ExperimentConfig,
    needs: frozenset[Need],
    manager: FaceswapPlugins,
    pipeline: Pipeline | None = None,
) -> ScorerParts:
    """Build what scoring needs and load every model now (a missing file fails here)."""
    settings = experiment.eval
    pipeline = pipeline or scoring_pipeline(experiment, manager)
    recognizer, recognizer_info = (
        build_recognizer(settings.recognizer, manager, pipeline.context)
        if "embeddings" in needs
        else (None, None)
    )
    landmarker = None
    landmarker_ref = settings.landmarker or experiment.pipeline.landmarker
    if "landmarks" in needs:
        landmarker = (
            pipeline.landmarker  # the pipeline's own: loaded once
            if landmarker_ref == experiment.pipeline.landmarker
            else manager.build(
                LANDMARKER, landmarker_ref, context=pipeline.context, path="$.eval.landmarker"
            )
        )
    _ = (pipeline.detector, pipeline.swapper, pipeline.swap_recognizer())
    if pipeline.swapper.needs_landmarks:
        _ = pipeline.landmarker
    return ScorerParts(pipeline, recognizer, recognizer_info, landmarker, landmarker_ref)


@attrs.frozen(eq=False)
class EmbedTask:
    """One gallery image as a worker gets it: the image and its bytes."""

    image: EvalImage
    data: FileBytes


@attrs.frozen(eq=False)
class PairTask:
    """One pair as a worker gets it: the pair and its two images' bytes."""

    pair: Pair
    source: FileBytes
    target: FileBytes


@attrs.frozen(eq=False)
class EmbedWork:
    """Embeds gallery images on a worker (picklable; the models load once per worker)."""

    experiment: ExperimentConfig
    needs: frozenset[Need]
    plugins: tuple[str, ...] | None = None

    def scorer(self) -> PairScorer:
        parts = build_scorer_parts(self.experiment, self.needs, FaceswapPlugins(only=self.plugins))
        return PairScorer(parts.pipeline, self.needs, parts.recognizer, parts.landmarker)

    def start(self) -> Callable[[EmbedTask], Embedded]:
        scorer = self.scorer()

        def embed(task: EmbedTask) -> Embedded:
            scorer.inputs = {task.image.key: task.data}
            return scorer.embed_one(task.image)

        return embed


@attrs.frozen(eq=False)
class ScoreWork(EmbedWork):
    """Scores pairs on a worker, with the gallery the driver folded from :class:`EmbedWork`."""

    embeddings: Mapping[str, tuple[str, FloatArray]] = attrs.field(factory=dict)

    def start(self) -> Callable[[PairTask], Scored]:  # type: ignore[override]
        scorer = self.scorer()
        scorer.embeddings = dict(self.embeddings)
        gallery = GalleryIndex(scorer.embeddings) if scorer.recognizer is not None else None

        def score(task: PairTask) -> Scored:
            scorer.inputs = {task.pair.source.key: task.source, task.pair.target.key: task.target}
            return scorer.score(task.pair, gallery)

        return score


def _mapped(
    runner: WorkRunner | None, work: Work[ItemT, ResultT], items: Iterable[ItemT]
) -> Iterator[ResultT]:
    if runner is None:  # this process, as the local runner does it (eval imports no runner)
        run = work.start()
        return (run(item) for item in items)
    return runner.map(work, items)


# -- the run -----------------------------------------------------------------------------------


def _check_out(out: Path) -> None:
    refuse_special(out, what="output folder")  # a symlink (dangling too), FIFO or device
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ConfigError(
            f"output folder {out} exists and is not empty; eval never writes over a run: "
            f"pass a new --out"
        )


def _metric_routes(metric: Metric, record: PairRecord) -> bool:
    if record.kind not in metric.pairs:
        return False
    return record.ok or "failures" in metric.needs


def _gallery_order(rows: Sequence[Mapping[str, Any]]) -> tuple[str | None, dict[str, float]]:
    for name in ("identity_cos_source", "ssim", "psnr"):
        values = {
            str(row["pair_id"]): float(row[name])
            for row in rows
            if row.get("status") == "ok" and isinstance(row.get(name), int | float)
        }
        if values:
            return name, values
    return None, {str(row["pair_id"]): 0.0 for row in rows if row.get("status") == "ok"}


def evaluate(
    options: EvalOptions,
    *,
    plugins: FaceswapPlugins | None = None,
    progress: Progress | None = None,
    env_factory: Callable[[], dict[str, Any]] = capture_env,
    work_root: str | os.PathLike[str] = DEFAULT_ROOT,
    runner: WorkRunner | None = None,
    experiment: ExperimentConfig | None = None,
) -> EvalResult:
    """Run an evaluation and write its folder; see the module docstring.

    :param runner: where the pairs are scored (a cluster's workers); ``None``
        scores them in this process. The results are the same.
    :param experiment: an already resolved config to evaluate instead of
        ``options.config`` / ``options.run`` (``--model`` still applies).
    :raises RegressionError: with a baseline, when a metric regressed beyond
        tolerance (after every output is written).
    """
    with tempfile.TemporaryDirectory(prefix="faceswap-eval-frames-") as frames:
        return _evaluate(
            options, plugins, progress, env_factory, work_root, Path(frames), runner, experiment
        )


def evaluate_config(
    config: ExperimentConfig, work_dir: str | os.PathLike[str], *, runner: WorkRunner | None
) -> dict[str, Any]:
    """The eval job of a :class:`~faceswap_core.interfaces.Runner`: ``config.eval`` into
    ``work_dir``; returns the ``--json`` summary."""
    return evaluate(EvalOptions(out=Path(work_dir)), runner=runner, experiment=config).summary()


def _read(path: Path, key: str, max_bytes: int) -> FileBytes:
    return read_file_bytes(path, key, max_bytes)


def _evaluate(
    options: EvalOptions,
    plugins: FaceswapPlugins | None,
    progress: Progress | None,
    env_factory: Callable[[], dict[str, Any]],
    work_root: str | os.PathLike[str],
    frames_dir: Path,
    runner: WorkRunner | None = None,
    given: ExperimentConfig | None = None,
) -> EvalResult:
    manager = plugins if plugins is not None else get_plugins()
    experiment, config_path, model = resolve_experiment(options, manager, given)
    settings: EvalConfig = experiment.eval
    tolerances = parse_tolerances(options.tolerance)
    baseline = read_metrics_json(options.baseline) if options.baseline is not None else None
    if tolerances and baseline is None:
        raise ConfigError("--tolerance needs --baseline RUN_DIR to compare against")
    out = Path(options.out) if options.out is not None else None
    if out is not None:
        _check_out(out)
    data = load_data(
        data=options.data or settings.data,
        pairs=options.pairs or settings.pairs,
        videos=options.videos or settings.videos,
        split=settings.split,
        per_identity=settings.max_images_per_identity,
        frames_per_video=settings.frames_per_video,
        frames_dir=frames_dir,
    )
    pairs = sample_pairs(
        data, cross=settings.cross_pairs, same=settings.self_pairs, seed=experiment.seed
    )
    if not pairs:
        raise ConfigError("no pairs to evaluate: eval.cross_pairs and eval.self_pairs are both 0")
    pipeline = scoring_pipeline(experiment, manager)
    metrics, skipped = build_metrics(settings.metrics, manager, pipeline.context)
    needs: frozenset[Need] = frozenset().union(*(metric.needs for metric in metrics))
    # Build the models now: a missing model file fails here, before any output exists.
    parts = build_scorer_parts(experiment, needs, manager, pipeline)
    pipeline, recognizer, landmarker = parts.pipeline, parts.recognizer, parts.landmarker
    recognizer_info, landmarker_ref = parts.recognizer_info, parts.landmarker_ref
    if out is None:
        out = resolve_work_dir(
            cli_work_dir=None,
            config_work_dir=experiment.work_dir,
            name=f"eval-{experiment.pipeline.swapper.get('type')}",
            now=_dt.datetime.now(),
            root=work_root,
        )
    # The folder is built hidden and appears complete at the end, or not at all.
    folder = create_work_dir(
        experiment,
        argv=options.command(),
        config_path=config_path,
        work_dir=out,
        plugins=manager,
        env_factory=env_factory,
        publish=False,
    )
    log = folder.logger(command="eval")
    try:
        log.info(
            "eval_start",
            dataset=data.describe(),
            pairs=len(pairs),
            metrics=[m.name for m in metrics],
        )
        scorer = PairScorer(pipeline, needs, recognizer, landmarker)
        gallery = None
        limit = pipeline.config.limits.max_bytes
        shipped = None if runner is None else loaded_distributions(manager)
        if recognizer is not None and runner is None:
            scorer.embed_images(data.images)
        elif recognizer is not None:
            assert runner is not None
            embed_work = EmbedWork(experiment, needs, shipped)
            tasks = (EmbedTask(i, _read(i.path, i.key, limit)) for i in data.images)
            for embedded in _mapped(runner, embed_work, tasks):
                scorer.add(embedded)
        if recognizer is not None:
            gallery = GalleryIndex(scorer.embeddings)
        strips_dir = folder.path / PAIR_STRIPS_DIR
        rows: list[dict[str, Any]] = []
        if runner is None:
            results: Iterator[Scored] = (scorer.score(pair, gallery) for pair in pairs)
        else:
            score_work = ScoreWork(experiment, needs, shipped, scorer.embeddings)
            results = _mapped(
                runner,
                score_work,
                (
                    PairTask(
                        pair,
                        _read(pair.source.path, pair.source.key, limit),
                        _read(pair.target.path, pair.target.key, limit),
                    )
                    for pair in pairs
                ),
            )
        for index, (pair, scored) in enumerate(zip(pairs, results, strict=True)):
            row = scored.row
            if not scored.record.ok:
                log.warning(
                    "pair_failed", pair=pair.pair_id, reason=row["status"], error=row["error"]
                )
            for metric in metrics:
                if _metric_routes(metric, scored.record):
                    row.update(metric.update(scored.record))
            rows.append(row)
            if scored.strip is not None:
                galleries.write_strip(strips_dir, pair.pair_id, scored.strip)
            if progress is not None:
                progress(index + 1, len(pairs))
        values = [value for metric in metrics for value in metric.results()]
        document = _document(
            experiment=experiment,
            model=model,
            data=data,
            pairs=pairs,
            rows=rows,
            values=values,
            skipped=skipped,
            recognizer=recognizer_info,
            landmarker=(
                {"name": str(landmarker_ref.get("type")), **_model_info(landmarker)}
                if landmarker is not None
                else None
            ),
            unreadable=scorer.unreadable,
        )
        write_metrics_csv(folder.path, rows)
        write_eval_plots(folder.path, read_metrics_csv(folder.path))
        by, order = _gallery_order(rows)
        groups = galleries.select(order, settings.gallery_rows)
        galleries.write_grids(strips_dir, folder.path / GALLERY_DIR, groups)
        document["gallery"] = {"by": by, **groups}
        gate = None
        if baseline is not None:
            gate = check_regressions(
                document["metrics"],
                baseline["metrics"],
                tolerances,
                baseline_name=str(options.baseline),
            )
            document["gate"] = gate.to_dict()
        write_metrics_json(folder.path, document)
        write_report(folder.path)
        log.info("eval_end", metrics=metric_values(document), gate=document["gate"])
        log.close()
        folder = reveal_work_dir(folder)
    except BaseException:
        log.close()
        discard_work_dir(folder)
        raise
    result = EvalResult(folder.path, metric_values(document), document, gate)
    if gate is not None and not gate.passed:
        raise RegressionError(
            gate.message(),
            [regression.describe() for regression in gate.regressions],
            result=result.summary(),
        )
    return result


def _document(
    *,
    experiment: ExperimentConfig,
    model: dict[str, Any],
    data: EvalData,
    pairs: Sequence[Pair],
    rows: Sequence[Mapping[str, Any]],
    values: Sequence[MetricValue],
    skipped: Mapping[str, str],
    recognizer: dict[str, Any] | None,
    landmarker: dict[str, Any] | None,
    unreadable: Mapping[str, str],
) -> dict[str, Any]:
    settings = experiment.eval
    counts = {kind: sum(1 for pair in pairs if pair.kind == kind) for kind in ("cross", "self")}
    ok = sum(1 for row in rows if row["status"] == "ok")
    entries: dict[str, Any] = {
        "pairs": metric_entry(
            MetricValue(
                "pairs",
                float(len(pairs)),
                "pairs",
                "pairs evaluated (cross-identity and self), failed ones included",
                count=len(pairs),
                details={**counts, "ok": ok},
            )
        )
    }
    for value in values:
        entries[value.name] = metric_entry(value)
    for name, reason in skipped.items():
        entries[name] = {
            "value": None,
            "unit": None,
            "definition": f"metric component {name!r} (not run)",
            "higher_is_better": None,
            "count": 0,
            "gate_by_default": False,
            "unavailable": reason,
        }
    dataset = data.describe()
    if unreadable:
        dataset["unreadable"] = dict(unreadable)
    return {
        "schema": SCHEMA,
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "name": experiment.name,
        "model": model,
        "dataset": dataset,
        "recognizer": recognizer,
        "landmarker": landmarker,
        "pairs": {
            **counts,
            "seed": experiment.seed,
            "requested": {"cross": settings.cross_pairs, "self": settings.self_pairs},
        },
        "metrics": entries,
        "gate": None,
    }


__all__ = [
    "EmbedTask",
    "EmbedWork",
    "Embedded",
    "EvalOptions",
    "EvalResult",
    "GalleryIndex",
    "PairScorer",
    "PairTask",
    "ScoreWork",
    "Scored",
    "ScorerParts",
    "build_metrics",
    "build_recognizer",
    "build_scorer_parts",
    "checkpoint_field",
    "evaluate",
    "evaluate_config",
    "match_face",
    "resolve_experiment",
    "run_swapper",
    "scoring_pipeline",
]
