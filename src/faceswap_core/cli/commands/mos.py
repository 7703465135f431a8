"""``faceswap mos export|import``: blind human rating sheets and mean opinion scores."""

from __future__ import annotations

import json
from pathlib import Path

import click

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
@click.option("--force", is_flag=True, help="Replace an earlier sheet of RUN_DIR.")
@click.option("--json", "as_json", is_flag=True, help="Print what was written as JSON.")
def export(
    run_dir: Path,
    count: int,
    seed: int,
    compare: tuple[Path, ...],
    force: bool,
    as_json: bool,
) -> None:
    """Write RUN_DIR/mos/sheet.csv and rating.html (randomised, method labels hidden)."""
    sheet = export_sheet(run_dir, n=count, seed=seed, compare=compare, force=force)
    if as_json:
        click.echo(json.dumps(sheet.summary()))
    else:
        click.echo(
            f"{sheet.items} items ({sheet.pairs} pairs x {len(sheet.methods)} methods): "
            f"{sheet.page} and {sheet.sheet}; keep {sheet.key} from the raters"
        )


@command.command("import")
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.argument("ratings", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the MOS per method as JSON.")
def import_(run_dir: Path, ratings: Path, as_json: bool) -> None:
    """Check RATINGS against the sheet and record MOS with 95% CIs in metrics.json."""
    mos = import_ratings(run_dir, ratings)
    if as_json:
        click.echo(json.dumps(mos))
        return
    for method, entry in mos["methods"].items():
        interval = entry["ci95"]
        span = f"[{interval[0]:.2f}, {interval[1]:.2f}]" if interval else "(one rating)"
        click.echo(f"{method}: MOS {entry['mos']:.2f} 95% CI {span}, {entry['ratings']} ratings")
