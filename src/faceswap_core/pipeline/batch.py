"""Batches of target files: one output per target, no file lost, a record per target.

``faceswap swap -t photos/ -o swapped/`` goes through three steps here, so
the rules are the same for the CLI, the Python API and later the REST jobs:

1. :func:`plan_batch` turns targets and an output into one
   :class:`BatchItem` per target, and refuses (:class:`ConfigError`, exit 2)
   before any work whatever would lose data: two targets mapping to one
   output, an output that would replace an input, an output folder inside
   an input folder (unless ``overwrite``), an existing output (unless
   ``overwrite`` or ``skip_existing``), and an output that is a device, FIFO,
   socket or symbolic link (always).
2. :func:`prepare_output_folder` creates the output folder (or fails with
   exit 3 when it cannot).
3. :func:`run_batch` swaps each item and yields its :class:`BatchRecord` as
   soon as it is written, so an interrupted batch keeps what it did. A target
   that cannot be read or decoded is recorded as failed and the batch goes
   on (``fail_fast`` stops it). Without ``overwrite`` the final rename of
   each output cannot replace a file that appeared after planning (another
   process writing the same output): that target fails with exit code 2 and
   the other file is kept.

:func:`swap_batch` is step 3 on any :class:`~faceswap_core.interfaces.WorkRunner`
(``local``, or a cluster's workers): this process reads each target, a worker
swaps and encodes it (:class:`BatchWork`, the pipeline built once per worker),
and this process writes every output, atomically and exactly once, in plan
order. Both paths swap an item with :func:`swap_item`, so they give the same
files and records.

Output names in a folder: ``x.jpg`` becomes ``OUT/x.png`` (the chosen
format's suffix). When two targets share a stem (``x.jpg`` and ``x.png``,
compared case-insensitively), each keeps its own suffix:
``OUT/x.jpg.png`` and ``OUT/x.png.png``. If names still clash (the same
file name in two target folders), nothing runs.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Sequence
from pathlib import Path
from typing import Any, Literal, Protocol

import attrs

from faceswap_core.config.schema import PipelineConfig
from faceswap_core.errors import (
    ConfigError,
    FaceswapError,
    InputError,
    InvalidImageError,
    NoFaceError,
    OutputPathError,
)
from faceswap_core.interfaces.jobs import WorkRunner
from faceswap_core.io.atomic import refuse_special
from faceswap_core.io.decode import decode_suffixes
from faceswap_core.io.encode import OUTPUT_FORMATS, encode, normalize_format, write_encoded
from faceswap_core.io.provenance import Mark
from faceswap_core.io.read import FileBytes, read_file_bytes
from faceswap_core.pipeline.image import (
    ImageInput,
    Pipeline,
    SourceIdentity,
    check_threshold,
    unchanged_note,
)
from faceswap_core.plugin.manager import FaceswapPlugins, loaded_distributions

DEFAULT_FORMAT = "png"

Status = Literal["done", "failed", "skipped"]

TARGET_FAILURES: tuple[type[FaceswapError], ...] = (
    InputError,
    InvalidImageError,
    NoFaceError,
    OutputPathError,
)
"""Errors that fail one target and let the batch go on; anything else stops it."""


@attrs.frozen
class BatchItem:
    """One target and where its result goes.

    :ivar skip: the output exists and ``skip_existing`` keeps it.
    """

    target: Path
    output: Path
    format: str
    skip: bool = False


@attrs.frozen
class BatchPlan:
    """Every item of a batch, and whether the output is a folder.

    :ivar overwrite: outputs may replace existing files (``--overwrite``).
    """

    items: tuple[BatchItem, ...]
    folder: bool
    output: Path
    overwrite: bool = False


@attrs.frozen
class BatchRecord:
    """What happened to one target, as ``faceswap swap --json`` prints it.

    :ivar exit_code: the failure's exit code (0 when done or skipped).
    :ivar error: the one-line reason of a failure.
    :ivar warning: a one-line note on a done target (no face found, none selected).
    :ivar provenance: whether the output carries the provenance mark (only
        when a face was swapped: an unchanged image is not marked).
    :ivar signed: whether it also carries a signed C2PA manifest.
    """

    target: Path
    output: Path
    status: Status
    exit_code: int = 0
    error: str | None = None
    warning: str | None = None
    provenance: bool = False
    signed: bool = False
    summary: dict[str, Any] = attrs.field(factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "target": str(self.target),
            "output": str(self.output),
            "status": self.status,
        }
        if self.status == "failed":
            data.update(exit_code=self.exit_code, error=self.error)
        if self.status == "done":
            data["provenance"] = self.provenance
            data["signed"] = self.signed
            data.update(self.summary)
        if self.warning is not None:
            data["warning"] = self.warning
        return data


def expand_targets(
    targets: Sequence[str | Path], suffixes: Collection[str] = (), *, noun: str = "images"
) -> tuple[list[Path], list[Path], bool]:
    """Target files, the folders they came from, and whether the output must be a folder.

    A folder contributes every file with one of ``suffixes``; by default those
    the image decoder reads (:func:`~faceswap_core.io.decode.decode_suffixes`:
    GIF, TGA, PPM... too). ``noun`` names what a folder without them lacks.
    """
    suffixes = set(suffixes or decode_suffixes())
    files: list[Path] = []
    folders: list[Path] = []
    many = len(targets) > 1
    for target in targets:
        path = Path(target)
        if path.is_dir():
            many = True
            folders.append(path)
            found = sorted(
                p for p in path.iterdir() if p.suffix.lower() in suffixes and p.is_file()
            )
            if not found:
                raise InputError(
                    f"target folder {path} has no {noun} (looked for {', '.join(sorted(suffixes))})"
                )
            files.extend(found)
        else:
            files.append(path)
    return files, folders, many


def output_format(output: Path, fmt: str | None, *, folder: bool) -> str:
    """The output format: ``fmt``, else the output name's suffix (PNG for a folder or no suffix).

    ``fmt`` contradicting the output's suffix is an error rather than a file
    named ``.jpg`` that holds a PNG.
    """
    chosen = normalize_format(fmt) if fmt is not None else None
    if folder:
        return chosen or DEFAULT_FORMAT
    if not output.suffix:
        return chosen or DEFAULT_FORMAT
    suffix = output.suffix.lower()
    named = next((f.name for f in OUTPUT_FORMATS.values() if suffix in f.suffixes), None)
    if named is None:
        known = ", ".join(s for f in OUTPUT_FORMATS.values() for s in f.suffixes)
        raise ConfigError(
            f"unknown output format {output.suffix!r} for {output}; end it with one of {known}"
        )
    if chosen is not None and chosen != named:
        raise ConfigError(
            f"--format {chosen} contradicts the output name {output} ({named}); "
            "drop --format or change the suffix"
        )
    return named


def output_names(files: Sequence[Path], fmt: str) -> list[str]:
    """File names in the output folder, by the rule in the module docstring."""
    suffix = OUTPUT_FORMATS[fmt].suffixes[0]
    stems = Counter(f.stem.casefold() for f in files)
    return [
        f"{f.name}{suffix}" if stems[f.stem.casefold()] > 1 else f"{f.stem}{suffix}" for f in files
    ]


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def _inside(child: Path, parent: Path) -> bool:
    child, parent = child.resolve(), parent.resolve()
    return child == parent or child.is_relative_to(parent)


def check_resume_flags(overwrite: bool, skip_existing: bool) -> None:
    """``overwrite`` and ``skip_existing`` together: refused (exit 2)."""
    if overwrite and skip_existing:
        raise ConfigError("--overwrite and --skip-existing contradict each other; choose one")


def plan_batch(
    targets: Sequence[str | Path],
    output: str | Path,
    *,
    fmt: str | None = None,
    inputs: Sequence[str | Path] = (),
    overwrite: bool = False,
    skip_existing: bool = False,
) -> BatchPlan:
    """Map targets to outputs, refusing anything that would lose data (module docstring).

    :param inputs: other input files (the source, the reference image): no
        output may replace them either.
    :raises ConfigError: a clash, an output replacing an input, an output
        folder inside an input folder without ``overwrite``, or an existing
        output without ``overwrite`` / ``skip_existing``.
    """
    check_resume_flags(overwrite, skip_existing)
    files, folders, many = expand_targets(targets)
    out = Path(output)
    folder = many or out.is_dir()
    chosen = output_format(out, fmt, folder=folder)
    return plan_outputs(
        files,
        folders,
        out,
        output_names(files, chosen) if folder else None,
        [chosen] * len(files),
        inputs=inputs,
        overwrite=overwrite,
        skip_existing=skip_existing,
    )


def plan_outputs(
    files: Sequence[Path],
    folders: Sequence[Path],
    output: Path,
    names: Sequence[str] | None,
    formats: Sequence[str],
    *,
    inputs: Sequence[str | Path] = (),
    overwrite: bool = False,
    skip_existing: bool = False,
) -> BatchPlan:
    """The refusals of :func:`plan_batch` for files already named, for any kind of target.

    :param names: each file's name in the ``output`` folder; ``None``: one
        file, written to ``output`` itself.
    :param formats: each item's format (image format, video container).
    """
    check_resume_flags(overwrite, skip_existing)
    out = output
    folder = names is not None
    if names is not None:
        if out.exists() and not out.is_dir():
            raise ConfigError(f"output {out} must be a folder when there are several targets")
        for source_folder in folders:
            if _inside(out, source_folder) and not overwrite:
                raise ConfigError(
                    f"output folder {out} is inside the input folder {source_folder}, so results "
                    "would mix with the originals; choose another folder or pass --overwrite"
                )
        counts = Counter(n.casefold() for n in names)
        clashes = [name for name, count in counts.items() if count > 1]
        if clashes:
            sources = [str(f) for f, n in zip(files, names, strict=True) if n.casefold() in clashes]
            raise ConfigError(
                f"{len(sources)} targets would be written to the same output name "
                f"({', '.join(sources[:4])}{'...' if len(sources) > 4 else ''}); "
                "rename them or run them separately"
            )
        destinations = [out / name for name in names]
    else:
        destinations = [out]
    every_input = [*files, *(Path(p) for p in inputs)]
    items = []
    existing = []
    for target, destination, chosen in zip(files, destinations, formats, strict=True):
        for source in every_input:
            if _same_file(destination, source) or destination.absolute() == source.absolute():
                raise ConfigError(
                    f"output {destination} would replace the input {source}; "
                    "choose another output name or folder"
                )
        refuse_special(destination)
        exists = os.path.lexists(destination)
        if exists and destination.is_dir():
            raise ConfigError(f"output {destination} is a folder; pass a file name")
        if exists and not overwrite and not skip_existing:
            existing.append(destination)
        items.append(BatchItem(target, destination, chosen, skip=exists and skip_existing))
    if existing:
        more = f" (and {len(existing) - 1} more)" if len(existing) > 1 else ""
        raise ConfigError(
            f"output {existing[0]} already exists{more}; pass --overwrite to replace it "
            "or --skip-existing to keep it"
        )
    return BatchPlan(tuple(items), folder, out, overwrite=overwrite)


def prepare_output_folder(plan: BatchPlan) -> None:
    """Create the folder the outputs go to; exit 3 when it cannot be made.

    For a single output file, its parent folder must be creatable: a path
    component that is a file is refused now, not after the swap.
    """
    folder = plan.output if plan.folder else plan.output.parent
    for parent in (folder, *folder.parents):
        if parent.exists():
            if not parent.is_dir():
                raise InputError(
                    f"cannot create output folder {folder}: {parent} is a file, not a folder"
                )
            break
    if not plan.folder:
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(
            f"cannot create output folder {folder}: {exc.strerror or exc}; choose another place"
        ) from None


class Outcome(Protocol):
    """What :meth:`BatchSummary.add` counts: a record of any kind of item (image, video)."""

    @property
    def status(self) -> str: ...

    @property
    def exit_code(self) -> int: ...


@attrs.frozen
class BatchSummary:
    """Counts of a finished (or stopped) batch and the exit code it ends with.

    :ivar exit_code: 0, or the exit code of the first target that failed.
    :ivar not_run: targets never tried because ``fail_fast`` stopped the batch.
    :ivar retries: targets swapped again because the cluster worker running
        them died (always 0 in this process).
    """

    done: int = 0
    failed: int = 0
    skipped: int = 0
    not_run: int = 0
    exit_code: int = 0
    retries: int = 0

    def to_dict(self) -> dict[str, int]:
        return attrs.asdict(self)

    def not_run_of(self, planned: int) -> BatchSummary:
        """This summary with the items never tried (``fail_fast`` stopped) counted."""
        return attrs.evolve(self, not_run=planned - (self.done + self.failed + self.skipped))

    def line(self, command: str) -> str:
        """The line a command ends a batch with on stderr."""
        not_run = f", {self.not_run} not run" if self.not_run else ""
        retried = f", {self.retries} retried (a worker died)" if self.retries else ""
        return (
            f"{command}: {self.done} done, {self.failed} failed, {self.skipped} skipped"
            f"{not_run}{retried}"
        )

    def add(self, record: Outcome) -> BatchSummary:
        code = self.exit_code or record.exit_code
        if record.status == "done":
            return attrs.evolve(self, done=self.done + 1)
        if record.status == "skipped":
            return attrs.evolve(self, skipped=self.skipped + 1)
        return attrs.evolve(self, failed=self.failed + 1, exit_code=code)


@attrs.frozen
class SwapOptions:
    """How each target of a batch is swapped and encoded (``faceswap swap``'s options).

    :ivar reference: image of the person to replace; a path, or the
        :class:`~faceswap_core.io.read.FileBytes` a runner ships to its workers.
    :ivar model: the swapper's name, written into the provenance metadata.
    """

    faces: str | None = None
    reference: ImageInput | None = None
    threshold: float | None = None
    require_face: bool = False
    provenance: bool = True
    quality: int | None = None
    model: str | None = None


@attrs.frozen
class Swapped:
    """One target swapped and encoded but not yet written: a record and the output's bytes.

    ``data`` is ``None`` when the record is a failure.
    """

    record: BatchRecord
    data: bytes | None = None


def swap_item(
    pipeline: Pipeline,
    identity: SourceIdentity,
    item: BatchItem,
    options: SwapOptions,
    target: ImageInput | None = None,
) -> Swapped:
    """Swap one target and encode its output; a failure of the target's own is a record.

    :param target: the target's pixels or bytes when they were read elsewhere
        (a :class:`FileBytes`); ``item.target`` is read otherwise.
    """
    try:
        result = pipeline.swap(
            item.target if target is None else target,
            identity,
            faces=options.faces,
            reference=options.reference,
            threshold=options.threshold,
            require_face=options.require_face,
        )
        changed = bool(result.swapped)
        quality: dict[str, Any] = {} if options.quality is None else {"quality": options.quality}
        mark: Mark | bool = False
        if options.provenance and changed:
            mark = pipeline.mark(target=item.target if target is None else target, source=identity)
            if options.model is not None:
                mark = attrs.evolve(mark, model=options.model)
        data = encode(result.image, normalize_format(item.format), provenance=mark, **quality)
    except TARGET_FAILURES as exc:
        return Swapped(
            BatchRecord(item.target, item.output, "failed", exit_code=exc.exit_code, error=str(exc))
        )
    warning = unchanged_note(
        f"target {str(item.target)!r}",
        found=bool(result.faces),
        changed=changed,
        marked=options.provenance,
    )
    record = BatchRecord(
        item.target,
        item.output,
        "done",
        warning=warning,
        provenance=options.provenance and changed,
        signed=options.provenance and changed and pipeline.signer is not None,
        summary=result.summary(),
    )
    return Swapped(record, data)


def write_swapped(swapped: Swapped, *, overwrite: bool) -> BatchRecord:
    """Write a swapped target's output atomically; a write that fails makes the record a failure.

    :param overwrite: the plan's ``overwrite``; without it the final rename
        cannot replace a file that appeared after planning, and that target
        fails (exit code 2) with the other file kept. A full disk
        (:class:`~faceswap_core.errors.DiskFullError`) stops the batch.
    """
    record = swapped.record
    if swapped.data is None:
        return record
    try:
        write_encoded(record.output, swapped.data, overwrite=overwrite)
    except (InputError, OutputPathError) as exc:
        return BatchRecord(
            record.target, record.output, "failed", exit_code=exc.exit_code, error=str(exc)
        )
    return record


def _skipped(item: BatchItem) -> BatchRecord:
    return BatchRecord(item.target, item.output, "skipped", warning="output exists; kept")


def run_batch(
    pipeline: Pipeline,
    identity: SourceIdentity,
    plan: BatchPlan,
    *,
    faces: str | None = None,
    reference: ImageInput | None = None,
    threshold: float | None = None,
    require_face: bool = False,
    provenance: bool = True,
    quality: int | None = None,
    model: str | None = None,
    fail_fast: bool = False,
) -> Iterator[BatchRecord]:
    """Swap and write each item, yielding its record as soon as its output is written.

    A target that fails to read, decode or write (or has no face with
    ``require_face``) yields a ``failed`` record; with ``fail_fast`` the
    batch then stops. Any other error propagates, a signing failure
    (:class:`~faceswap_core.errors.SignerError`) included: the output it was
    for is not written, and the batch stops rather than write unsigned files.
    """
    options = SwapOptions(faces, reference, threshold, require_face, provenance, quality, model)
    for item in plan.items:
        if item.skip:
            yield _skipped(item)
            continue
        record = write_swapped(
            swap_item(pipeline, identity, item, options), overwrite=plan.overwrite
        )
        yield record
        if record.status == "failed" and fail_fast:
            return


@attrs.frozen
class SwapTask:
    """One target as a worker receives it: the plan's item and the target's bytes."""

    item: BatchItem
    target: FileBytes


@attrs.frozen
class BatchWork:
    """The swap a worker runs on :class:`SwapTask` items; picklable, built once per worker.

    :ivar pipeline: the resolved pipeline config every worker builds.
    :ivar source: the source image's bytes (read by the driver).
    :ivar plugins: the plugin distributions to load (``None``: every installed one).
    """

    pipeline: PipelineConfig
    source: FileBytes
    options: SwapOptions = SwapOptions()
    plugins: tuple[str, ...] | None = None

    def start(self) -> Callable[[SwapTask], Swapped]:
        pipeline = Pipeline(self.pipeline, FaceswapPlugins(only=self.plugins))
        identity = pipeline.prepare_source(self.source)
        if self.options.reference is not None:
            pipeline.reference_embedding(self.options.reference)  # no face: fails now

        def swap(task: SwapTask) -> Swapped:
            return swap_item(pipeline, identity, task.item, self.options, task.target)

        return swap


def shipped(image: Any, name: str, max_bytes: int) -> Any:
    """An image input another process can read: a path's bytes (read here, with the local
    checks and messages), anything else as it is (arrays, bytes and PIL images pickle)."""
    if isinstance(image, str | os.PathLike) and not isinstance(image, FileBytes):
        return read_file_bytes(image, name, max_bytes)
    return image


@attrs.frozen
class ImageWork:
    """One image swapped on a worker, its pixels back (``faceswap.swap(..., cluster=...)``).

    :ivar source: the source as :func:`shipped` made it.
    """

    pipeline: PipelineConfig
    source: Any
    options: SwapOptions = SwapOptions()
    plugins: tuple[str, ...] | None = None

    def start(self) -> Callable[[Any], Any]:
        pipeline = Pipeline(self.pipeline, FaceswapPlugins(only=self.plugins))
        identity = pipeline.prepare_source(self.source)
        options = self.options

        def swap(target: Any) -> Any:
            return pipeline.swap(
                target,
                identity,
                faces=options.faces,
                reference=options.reference,
                threshold=options.threshold,
                require_face=options.require_face,
            ).image

        return swap


class BatchRun:
    """A batch on a runner: iterate it for the records (plan order), then read :attr:`summary`.

    Made by :func:`swap_batch`.
    """

    def __init__(
        self,
        runner: WorkRunner,
        work: BatchWork,
        plan: BatchPlan,
        *,
        max_bytes: int,
        fail_fast: bool = False,
    ) -> None:
        self.runner = runner
        self.work = work
        self.plan = plan
        self.max_bytes = max_bytes
        self.fail_fast = fail_fast
        self._summary = BatchSummary()

    @property
    def summary(self) -> BatchSummary:
        """Counts so far; targets not yet reported count as ``not_run``."""
        counted = self._summary.done + self._summary.failed + self._summary.skipped
        return attrs.evolve(self._summary, not_run=len(self.plan.items) - counted)

    def _tasks(self) -> Iterator[SwapTask]:
        for item in self.plan.items:
            if not item.skip:
                yield SwapTask(item, read_file_bytes(item.target, "target", self.max_bytes))

    def __iter__(self) -> Iterator[BatchRecord]:
        before = self.runner.retries
        results = self.runner.map(self.work, self._tasks())
        try:
            for item in self.plan.items:
                if item.skip:
                    record = _skipped(item)
                else:
                    record = write_swapped(next(results), overwrite=self.plan.overwrite)
                self._summary = attrs.evolve(
                    self._summary.add(record), retries=self.runner.retries - before
                )
                yield record
                if record.status == "failed" and self.fail_fast:
                    return
            for _ in results:  # none left: lets the runner finish and count its retries
                pass
            self._summary = attrs.evolve(self._summary, retries=self.runner.retries - before)
        finally:
            close = getattr(results, "close", None)
            if close is not None:
                close()


def swap_batch(
    runner: WorkRunner,
    plan: BatchPlan,
    source: str | os.PathLike[str],
    *,
    pipeline: PipelineConfig | None = None,
    options: SwapOptions = SwapOptions(),
    plugins: FaceswapPlugins | None = None,
    fail_fast: bool = False,
) -> BatchRun:
    """A planned batch on ``runner``: the same files and records as :func:`run_batch`.

    This process reads the source, the reference and each target (with the
    same checks and messages as a local read) and writes each output
    atomically when its worker returns it; a worker that dies costs a retry
    of its items (:attr:`BatchSummary.retries`), never a duplicate or a
    partial file. The threshold is checked here, before any read, as
    :func:`~faceswap_core.pipeline.image.Pipeline.swap` checks it.

    :param plugins: the driver's plugin manager: workers load the same
        distributions (``None``: every installed one).
    """
    check_threshold(options.threshold)  # here, not first on a worker
    config = pipeline or PipelineConfig()
    limit = config.limits.max_bytes
    if isinstance(options.reference, str | os.PathLike) and not isinstance(
        options.reference, FileBytes
    ):
        options = attrs.evolve(
            options, reference=read_file_bytes(options.reference, "reference", limit)
        )
    work = BatchWork(
        config,
        read_file_bytes(source, "source", limit),
        options,
        None if plugins is None else loaded_distributions(plugins),
    )
    return BatchRun(runner, work, plan, max_bytes=limit, fail_fast=fail_fast)


__all__ = [
    "DEFAULT_FORMAT",
    "TARGET_FAILURES",
    "BatchItem",
    "BatchPlan",
    "BatchRecord",
    "BatchRun",
    "BatchSummary",
    "BatchWork",
    "ImageWork",
    "Outcome",
    "SwapOptions",
    "SwapTask",
    "Swapped",
    "check_resume_flags",
    "expand_targets",
    "output_format",
    "output_names",
    "plan_batch",
    "plan_outputs",
    "prepare_output_folder",
    "run_batch",
    "shipped",
    "swap_batch",
    "swap_item",
    "write_swapped",
]
