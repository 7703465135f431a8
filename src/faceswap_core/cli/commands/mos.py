"""``faceswap mos export|import``: blind human rating sheets and mean opinion scores."""

from __future__ import annotations

from pathlib import Path

import click

from faceswap_core.cli.jsonlines import emit, emit_summary
from faceswap_core.cli.spec_command import renamed_option, renamed_value
from faceswap_core.eval.mos import export_sheet, import_ratings


@click.group("mos")
def command() -> None:
    """Human rating: export a blind 1-5 sheet, import the ratings as MOS with 95% CIs."""


@command.command("export")
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option("--n", "count", type=int, default=50, show_default=True, help="Pairs to rate.")
@click.option("--seed", type=int, default=0, show_default=True, help="Pair choice and order.")
@click.option(
    "--compare",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Another eval folder (same pairs) to rate blind alongside; repeatable.",
)
@click.option("--overwrite", is_flag=True, help="Replace an earlier sheet of RUN_DIR.")
@renamed_option("--force", "--overwrite", "overwrite", is_flag=True)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help='Print only JSON Lines: {"summary": ...} of what was written.',
)
@click.pass_context
def export(
    ctx: click.Context,
    run_dir: Path,
    count: int,
    seed: int,
    compare: tuple[Path, ...],
    overwrite: bool,
    as_json: bool,
) -> None:
    """Write RUN_DIR/mos/sheet.csv and rating.html (randomised, method labels hidden)."""
    replace = bool(renamed_value(ctx, "overwrite", overwrite))
    sheet = export_sheet(run_dir, n=count, seed=seed, compare=compare, force=replace)
    if as_json:
        emit_summary(sheet.summary())
    else:
        click.echo(
            f"{sheet.items} items ({sheet.pairs} pairs x {len(sheet.methods)} methods): "
            f"{sheet.page} and {sheet.sheet}; keep {sheet.key} from the raters"
        )


@command.command("import")
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.argument("ratings", type=click.Path(path_type=Path))
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help='Print only JSON Lines: one object per method, then {"summary": ...}.',
)
def import_(run_dir: Path, ratings: Path, as_json: bool) -> None:
    """Check RATINGS against the sheet and record MOS with 95% CIs in metrics.json."""
    mos = import_ratings(run_dir, ratings)
    if as_json:
        for method, entry in mos["methods"].items():
            emit({"method": method, **entry})
        emit_summary(mos)
        return
    for method, entry in mos["methods"].items():
        interval = entry["ci95"]
        span = f"[{interval[0]:.2f}, {interval[1]:.2f}]" if interval else "(one rating)"
        click.echo(f"{method}: MOS {entry['mos']:.2f} 95% CI {span}, {entry['ratings']} ratings")
