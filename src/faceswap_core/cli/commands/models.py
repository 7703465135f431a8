"""``faceswap models``: list, verify, add and pull the model files faceswap uses."""

from __future__ import annotations

import shutil
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from faceswap_core.cli.context import plugins_from
from faceswap_core.cli.jsonlines import emit, emit_summary
from faceswap_core.cli.spec_command import renamed_option, renamed_value
from faceswap_core.errors import ConfigError, InputError, ModelFileError, UnknownComponentError
from faceswap_core.io.atomic import atomic_path
from faceswap_core.io.hashing import sha256_file
from faceswap_core.models.catalog import MODEL_KINDS
from faceswap_core.models.download import ProgressCallback
from faceswap_core.models.store import ModelStatus, ModelStore, UnverifiedModelWarning, display_path
from faceswap_core.models.user import OWN_LICENSE, own_spec, user_file_name
from faceswap_core.pipeline.model_check import check_model_file


def _store(ctx: click.Context) -> ModelStore:
    root = ctx.find_object(dict)
    override = (root or {}).get("models_root")
    return ModelStore(override)


def _size(value: int | None) -> str:
    if value is None:
        return "?"
    size = float(value)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{value} B"


def _print_table(statuses: list[ModelStatus], root: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(box=None, pad_edge=False)
    for header in ("NAME", "KIND", "FILE", "SIZE", "SHA256", "LICENSE", "STATUS"):
        table.add_column(header, overflow="fold")
    colours = {"present": "green", "embedded": "cyan", "missing": "yellow", "corrupt": "red"}
    for status in statuses:
        state = status.status if status.verified or not status.ok else f"{status.status}*"
        table.add_row(
            status.name,
            status.kind,
            status.file,
            _size(status.size if status.size is not None else _file_size(status.path)),
            (status.sha256 or "-")[:12],
            status.license,
            f"[{colours[status.status]}]{state}[/]",
        )
    console = Console()
    if not console.is_terminal:  # piped: do not squeeze the table into 80 columns
        console = Console(width=200)
    console.print(table)
    console.print(f"store: {display_path(root)}", highlight=False)
    if any(s.ok and not s.verified for s in statuses):
        console.print("* unverified: no pinned checksum; the hash first seen is recorded")


def _file_size(path: Path | None) -> int | None:
    try:
        return path.stat().st_size if path is not None else None
    except OSError:
        return None


@click.group("models")
@click.option(
    "--root",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Store folder (default: $FACESWAP_HOME/models or ~/.cache/faceswap/models).",
)
@click.pass_context
def command(ctx: click.Context, root: Path | None) -> None:
    """Model files: which are known, present, verified; add your own or pull (download) one.

    \b
    list    known models: file, size, sha256, license, status
    verify  re-hash the files (exit 5 when one is corrupt)
    add     put a file you have into the store, after checking it loads
    pull    download a catalog model (or --url) into the store, verified
    """
    ctx.ensure_object(dict)
    ctx.obj["models_root"] = root


JSON_HELP = 'Print only JSON Lines: one object per model, then {"summary": ...}.'


def _emit_statuses(statuses: list[ModelStatus]) -> None:
    for status in statuses:
        emit(status.to_dict())
    counts: dict[str, int] = {}
    for status in statuses:
        counts[status.status] = counts.get(status.status, 0) + 1
    emit_summary({"models": len(statuses), **counts})


@command.command("list")
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@click.pass_context
def list_command(ctx: click.Context, as_json: bool) -> None:
    """Known models: name, file, size, sha256, license, status."""
    store = _store(ctx)
    statuses = store.list()
    if as_json:
        _emit_statuses(statuses)
    else:
        _print_table(statuses, store.root)


@command.command("verify")
@click.argument("names", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@click.pass_context
def verify_command(ctx: click.Context, names: tuple[str, ...], as_json: bool) -> None:
    """Re-hash model files. Exit 5 if a named one is missing or any file is corrupt."""
    statuses = _store(ctx).verify(names or None)
    if as_json:
        _emit_statuses(statuses)
    else:
        for status in statuses:
            line = f"{status.name}: {status.status}"
            if status.detail:
                line += f" ({status.detail})"
            click.echo(line)
    failed = [s for s in statuses if s.status == "corrupt" or (names and not s.ok)]
    if failed:
        raise ModelFileError(
            f"{len(failed)} model file(s) failed verification: "
            + ", ".join(f"{s.name} ({s.status})" for s in failed)
        )


@command.command("add")
@click.argument("name")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--move", is_flag=True, help="Move the file into the store instead of copying it.")
@click.option(
    "--overwrite",
    is_flag=True,
    help="Accept a file whose hash differs from the one recorded (unpinned models), or replace "
    "your own model NAME with another file.",
)
@renamed_option("--force", "--overwrite", "overwrite", is_flag=True)
@click.option(
    "--type",
    "loader",
    default=None,
    metavar="COMPONENT",
    help="Add your own model under a new NAME, loaded by this component "
    "(onnx for a faceswap export).",
)
@click.option(
    "--kind",
    type=click.Choice(MODEL_KINDS),
    default="swapper",
    show_default=True,
    help="The component kind of --type.",
)
@click.option(
    "--license", "license_label", default=OWN_LICENSE, show_default=True, help="For --type."
)
@click.pass_context
def add_command(
    ctx: click.Context,
    name: str,
    path: Path,
    move: bool,
    overwrite: bool,
    loader: str | None,
    kind: str,
    license_label: str,
) -> None:
    """Put the model file at PATH into the store as NAME, after checking it.

    The file must load and meet the contract of the component that will use
    it (for example the inswapper swapper's signature); then its hash is
    checked against the catalog or, for unpinned models, recorded. Your own
    model (a faceswap export) gets a NAME of your choice with --type, the
    component that loads it: faceswap models add my_swapper swapper.onnx
    --type onnx; then --model-path my_swapper finds it, verified.
    """
    force = renamed_value(ctx, "overwrite", overwrite)
    store = _store(ctx)
    known = store.knows(name)
    if loader is None and not known:
        raise UnknownComponentError(
            "model",
            name,
            store.names(),
            hint=f"To add your own model, name the component that loads it: faceswap models add "
            f"{name} PATH --type onnx (a faceswap export).",
        )
    if loader is not None or store.spec(name).own:
        _add_own(ctx, store, name, path, loader, kind, license_label, move=move, force=force)
        return
    spec = store.spec(name)
    if spec.embedded is None and not path.is_file():
        raise InputError(f"cannot add {name}: {path} is not a file; pass the path of the model")
    if spec.embedded is None:
        checked = check_model_file(spec, path, plugins_from(ctx), models=store)
        if not checked:
            click.echo(
                f"Notice: no installed {spec.kind} loads {name}; checked only that {path} "
                "is a valid ONNX model",
                err=True,
            )
    with _warnings_as_lines():
        status = store.add(name, path, copy=not move, force=force)
    note = "" if status.verified else " (unverified: checksum recorded, not pinned)"
    click.echo(f"{status.name}: {status.path}{note}")


def _add_own(
    ctx: click.Context,
    store: ModelStore,
    name: str,
    path: Path,
    loader: str | None,
    kind: str,
    license_label: str,
    *,
    move: bool,
    force: bool,
) -> None:
    """Your own model: checked by the component that will load it, then pinned in the store."""
    if store.knows(name) and not store.spec(name).own:
        raise ConfigError(
            f"{name} is a catalog model; --type is for your own models: pick another name"
        )
    if store.knows(name) and loader is None:
        previous = store.spec(name)
        loader, kind, license_label = str(previous.loader), previous.kind, previous.license
    assert loader is not None
    if not path.is_file():
        raise InputError(f"cannot add {name}: {path} is not a file; pass the path of the model")
    try:  # the entry as it will be, so the check builds the component that will load it
        planned = own_spec(
            name,
            file=user_file_name(name, path),
            kind=kind,
            loader=loader,
            sha256=sha256_file(path),
            size=path.stat().st_size,
        )
    except ValueError as exc:
        raise ConfigError(f"cannot add {name}: {exc}") from None
    check_model_file(planned, path, plugins_from(ctx), models=store)
    with _warnings_as_lines():
        status = store.add_own(
            name, path, kind=kind, loader=loader, license=license_label, copy=not move, force=force
        )
    _store_companions(path, status.path, move=move)
    click.echo(f"{status.name}: {status.path} ({kind} {loader}, sha256 {str(status.sha256)[:16]}…)")


def _store_companions(source: Path, stored: Path | None, *, move: bool) -> None:
    """The files faceswap export wrote beside a model (its recognizer graph and probe faces)
    go beside the stored copy under its name; the model pins their SHA-256, so every use
    verifies them. A stale companion of an earlier model of that name is removed."""
    if stored is None:
        return
    # Here, not at the top: the swapper modules bring OpenCV, and `faceswap models` stays light.
    from faceswap_core.swappers.export_recognizer import companion_paths

    for origin, dest in zip(companion_paths(source), companion_paths(stored), strict=True):
        if not origin.is_file():
            dest.unlink(missing_ok=True)
            continue
        with atomic_path(dest) as temp:
            shutil.copyfile(origin, temp)
        if move:
            origin.unlink()


@contextmanager
def _warnings_as_lines() -> Iterator[None]:
    """Show the store's warnings as one ``Warning: ...`` line each, not Python's format."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UnverifiedModelWarning)
        yield
    for item in caught:
        click.echo(f"Warning: {item.message}", err=True)


@contextmanager
def _progress(enabled: bool, label: str) -> Iterator[ProgressCallback | None]:
    if not enabled:
        yield None
        return
    from tqdm import tqdm

    bar = tqdm(desc=label, unit="B", unit_scale=True, disable=None, leave=False)
    try:

        def update(done: int, total: int | None) -> None:
            if total is not None and bar.total != total:
                bar.total = total
            bar.n = done
            bar.refresh()

        yield update
    finally:
        bar.close()


@command.command("pull")
@click.argument("name")
@click.option("--url", default=None, help="Download from this URL instead of the catalog's.")
@click.option("--overwrite", is_flag=True, help="Download again even if a good file is present.")
@renamed_option("--force", "--overwrite", "overwrite", is_flag=True)
@click.option("--retries", type=click.IntRange(0, 20), default=4, show_default=True)
@click.option("--timeout", type=click.FloatRange(min=0.1), default=30.0, show_default=True)
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.pass_context
def pull_command(
    ctx: click.Context,
    name: str,
    url: str | None,
    overwrite: bool,
    retries: int,
    timeout: float,
    quiet: bool,
) -> None:
    """Download NAME into the store (resumable; verified before it is kept).

    NAME is a catalog model with a download URL (``faceswap models list`` shows
    them), or any name with --url. The file is checked against the catalog's
    SHA-256 (pinned models) or recorded on first download (unpinned), and moved
    into the store only once verified; an interrupted download resumes.
    """
    force = renamed_value(ctx, "overwrite", overwrite)
    with _warnings_as_lines(), _progress(not quiet, name) as progress:
        status = _store(ctx).pull(
            name, url, force=force, retries=retries, timeout=timeout, progress=progress
        )
    note = "" if status.verified else " (unverified: checksum recorded, not pinned)"
    click.echo(f"{status.name}: {status.path}{note}")
