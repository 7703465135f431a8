"""``faceswap eval``: swap held-out pairs with any swapper and score them.

The run is a work_dir like a training run (``config.yaml``, ``env.json``,
``plugins.json``, ``README.md`` with the rerun command) plus
``metrics.json``, ``metrics.csv``, ``plots/``, contact sheets (``gallery/``) and a
self-contained ``report.html``. Each pair goes through the same pipeline
``faceswap swap`` uses (detection included, the largest face of each image);
the swapped face is then found again in the result and measured with an
evaluation recognizer and landmarker that the config names. A pair that
cannot be swapped is recorded with its reason, never dropped. With a baseline
the run is gated after every output is written.

The rooms of an evaluation: :mod:`.pairs` (what to swap),
:mod:`.retrieval` (the identity gallery), :mod:`.scoring` (one pair through
the pipeline, measured), :mod:`.workers` (the embedding and scoring loops on
any :class:`~faceswap_core.interfaces.WorkRunner`, e.g. a Ray cluster, with
the same numbers as a local run) and this module, which resolves what to
evaluate and writes the run folder.
"""

from __future__ import annotations

import datetime as _dt
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from faceswap_core.config.convert import structure
from faceswap_core.config.loader import load_config
from faceswap_core.config.overrides import apply_overrides
from faceswap_core.config.schema import ComponentRef, EvalConfig, ExperimentConfig
from faceswap_core.errors import (
    ConfigError,
    InputError,
    RegressionError,
    UnknownComponentError,
)
from faceswap_core.eval import contact_sheets as sheets
from faceswap_core.eval.gate import GateResult, check_regressions, parse_tolerances
from faceswap_core.eval.pairs import EvalData, Pair, load_data, sample_pairs
from faceswap_core.eval.plots import write_eval_plots
from faceswap_core.eval.report import write_report
from faceswap_core.eval.results import (
    CONTACT_SHEETS_DIR,
    PAIR_STRIPS_DIR,
    SCHEMA,
    metric_entry,
    metric_values,
    read_metrics_csv,
    read_metrics_json,
    write_metrics_csv,
    write_metrics_json,
)
from faceswap_core.eval.scoring import (
    PairScorer,
    Progress,
    Scored,
    build_scorer_parts,
    model_info,
    scoring_pipeline,
)
from faceswap_core.eval.workers import EmbedTask, EmbedWork, PairTask, ScoreWork, map_work
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
from faceswap_core.interfaces import Metric
from faceswap_core.interfaces.eval import MetricValue, Need, PairRecord
from faceswap_core.interfaces.jobs import WorkRunner
from faceswap_core.io.atomic import refuse_special
from faceswap_core.io.read import FileBytes, read_file_bytes
from faceswap_core.pipeline.settings import QualityOptions
from faceswap_core.plugin.context import BuildContext
from faceswap_core.plugin.kinds import METRIC, SWAPPER
from faceswap_core.plugin.manager import FaceswapPlugins, get_plugins, loaded_distributions
from faceswap_core.runtime.choice import with_runtime


@attrs.frozen
class EvalOptions:
    """What to evaluate; mirrors ``faceswap eval``'s options (and ``faceswap.evaluate``).

    :ivar model: swapper type; with ``model_path`` alone the ``onnx`` swapper.
    :ivar run: a training run folder: its best checkpoint, loaded by the swapper the run
        records (``unet`` for faceswap-unet runs), in the run's ``config.yaml`` pipeline.
    :ivar out: the output folder (``-o/--output``).
    :ivar tolerance: ``METRIC=DELTA`` strings (or a mapping) for the baseline gate.
    :ivar overrides: ``--set KEY=VALUE`` config overrides.
    :ivar runtime: ``--runtime``: the runtime every model runs on (name or ``{type: ...}``).
    :ivar providers: ``--providers``: ONNX Runtime execution providers in order.
    :ivar quality: ``--pixel-boost``, ``--mask``, ``--enhancer``... (docs/quality.md).
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
    runtime: str | Mapping[str, Any] | None = None
    providers: Sequence[str] = ()
    quality: QualityOptions = attrs.Factory(QualityOptions)

    @classmethod
    def of(cls, spec: Any) -> EvalOptions:
        """The options of an ``eval`` spec (:class:`~faceswap_core.operations.evaluate.EvalSpec`:
        the command line and ``faceswap.evaluate`` alike)."""
        return cls(
            config=spec.config,
            model=spec.model,
            model_path=spec.model_path,
            run=spec.run,
            data=spec.data,
            pairs=spec.pairs,
            videos=spec.videos,
            out=spec.output,
            baseline=spec.baseline,
            tolerance=spec.tolerance,
            overrides=spec.overrides,
            runtime=spec.runtime,
            providers=spec.providers,
            quality=QualityOptions.of(spec),
        )

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
            ("-o", self.out),
            ("--baseline", self.baseline),
            ("--runtime", self.runtime if isinstance(self.runtime, str) else None),
        ):
            if value is not None:
                argv += [flag, os.fspath(value)]
        for provider in self.providers:
            argv += ["--providers", provider]
        argv += self.quality.argv()
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
    if options.runtime is not None or options.providers:
        pipeline = with_runtime(experiment.pipeline, options.runtime, options.providers or None)
        experiment = attrs.evolve(experiment, pipeline=pipeline)
    if options.quality.given():
        experiment = attrs.evolve(experiment, pipeline=options.quality.apply(experiment.pipeline))
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


# -- the run -----------------------------------------------------------------------------------


def _check_out(out: Path) -> None:
    refuse_special(out, what="output folder")  # a symlink (dangling too), FIFO or device
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ConfigError(
            f"output folder {out} exists and is not empty; eval never writes over a run: "
            f"pass a new -o/--output"
        )


def _metric_routes(metric: Metric, record: PairRecord) -> bool:
    if record.kind not in metric.pairs:
        return False
    return record.ok or "failures" in metric.needs


def _sheet_order(rows: Sequence[Mapping[str, Any]]) -> tuple[str | None, dict[str, float]]:
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
            for embedded in map_work(runner, embed_work, tasks):
                scorer.gallery.add(embedded)
        if recognizer is not None:
            gallery = scorer.gallery.index()
        strips_dir = folder.path / PAIR_STRIPS_DIR
        rows: list[dict[str, Any]] = []
        if runner is None:
            results: Iterator[Scored] = (scorer.score(pair, gallery) for pair in pairs)
        else:
            score_work = ScoreWork(experiment, needs, shipped, scorer.gallery.embeddings)
            results = map_work(
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
                sheets.write_strip(strips_dir, pair.pair_id, scored.strip)
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
                {"name": str(landmarker_ref.get("type")), **model_info(landmarker)}
                if landmarker is not None
                else None
            ),
            unreadable=scorer.gallery.unreadable,
        )
        write_metrics_csv(folder.path, rows)
        write_eval_plots(folder.path, read_metrics_csv(folder.path))
        by, order = _sheet_order(rows)
        groups = sheets.select(order, settings.gallery_rows)
        sheets.write_sheets(strips_dir, folder.path / CONTACT_SHEETS_DIR, groups)
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
    "EvalOptions",
    "EvalResult",
    "build_metrics",
    "checkpoint_field",
    "evaluate",
    "evaluate_config",
    "resolve_experiment",
    "run_swapper",
]
