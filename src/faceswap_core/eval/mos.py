"""Human rating (mean opinion score): export a blind rating sheet, import the ratings.

``faceswap mos export RUN_DIR [--compare OTHER_RUN ...] --n 50`` picks ``n``
pairs every run swapped (same source and target images) and writes
``RUN_DIR/mos/``:

- ``sheet.csv``: ``item_id,score,rater`` rows in random order, scores blank;
- ``rating.html``: each item's source and result with a 1-5 scale (ITU-T
  P.800 absolute category rating: 5 excellent ... 1 bad) and a button that
  saves the filled-in ``ratings.csv``; opens from disk, no server;
- ``key.json``: which method and pair each random ``item_id`` is. Raters
  never see it: item ids, order and images carry no method label.

``faceswap mos import RUN_DIR ratings.csv`` checks every row (known item,
integer score 1-5, one rating per rater and item) and records per method the
mean, the standard deviation, the count and a 95 % confidence interval
(Student's t) in ``metrics.json`` under ``mos``.
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
import json
import math
import random
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from faceswap_core.errors import ConfigError, InputError
from faceswap_core.eval import contact_sheets as sheets
from faceswap_core.eval.report import data_uri, render_page, same_pairs, write_report
from faceswap_core.eval.results import (
    PAIR_STRIPS_DIR,
    read_csv_table,
    read_metrics_json,
    write_metrics_json,
)
from faceswap_core.eval.runs import load_run
from faceswap_core.io.atomic import atomic_write_json, atomic_write_text
from faceswap_core.io.encode import encode
from faceswap_core.io.hashing import sha256_file

MOS_DIR = "mos"
SHEET_NAME = "sheet.csv"
PAGE_NAME = "rating.html"
KEY_NAME = "key.json"
KEY_SCHEMA = "faceswap.mos-key/1"
SCALE: Mapping[int, str] = {5: "excellent", 4: "good", 3: "fair", 2: "poor", 1: "bad"}
SCALE_NAME = "absolute category rating 1-5 (ITU-T P.800)"
QUESTION = (
    "How good is the face on the right as a photo of the person on the left? "
    "(5 excellent, 4 good, 3 fair, 2 poor, 1 bad)"
)


@attrs.frozen
class MosSheet:
    """What ``mos export`` wrote."""

    folder: Path
    items: int
    pairs: int
    methods: tuple[str, ...]
    sheet: Path
    page: Path
    key: Path

    def summary(self) -> dict[str, Any]:
        return {
            "folder": str(self.folder),
            "items": self.items,
            "pairs": self.pairs,
            "methods": list(self.methods),
            "sheet": str(self.sheet),
            "page": str(self.page),
            "key": str(self.key),
        }


def _method_names(paths: Sequence[Path], swappers: Sequence[str]) -> list[str]:
    names: list[str] = []
    for path, swapper in zip(paths, swappers, strict=True):
        name = swapper if swapper not in names else f"{swapper} ({path.name})"
        while name in names:
            name = f"{name}'"
        names.append(name)
    return names


def export_sheet(
    run_dir: str | Path,
    *,
    n: int = 50,
    seed: int = 0,
    compare: Sequence[str | Path] = (),
    force: bool = False,
) -> MosSheet:
    """Write a blind rating sheet for ``n`` pairs of ``run_dir`` (and the ``compare`` runs)."""
    if n < 1:
        raise ConfigError(f"--n must be at least 1, got {n}")
    runs = [load_run(run_dir), *(load_run(other) for other in compare)]
    for run in runs:
        if run.kind != "eval":
            raise InputError(
                f"{run.path} is not an eval folder; mos export needs `faceswap eval` output"
            )
    folder = runs[0].path / MOS_DIR
    if (folder / KEY_NAME).exists() and not force:
        raise ConfigError(
            f"{folder / KEY_NAME} exists: a rating sheet was exported already; pass --overwrite to "
            f"replace it (ratings made on the old sheet will no longer import)"
        )
    common = set(same_pairs(runs[0], runs[0]))
    for other in runs[1:]:
        common &= set(same_pairs(runs[0], other))
    strips = {
        run.path: {pid for pid in common if (run.path / PAIR_STRIPS_DIR / f"{pid}.jpg").is_file()}
        for run in runs
    }
    usable = sorted(set.intersection(*strips.values())) if strips else []
    if not usable:
        raise InputError(
            "no pair was swapped by every run (same source and target, status ok, pair strip "
            "present); evaluate the runs on the same data and seed"
        )
    rng = random.Random(seed)
    chosen = sorted(rng.sample(usable, min(n, len(usable))))
    methods = _method_names(
        [run.path for run in runs],
        [
            str(((run.document or {}).get("model") or {}).get("swapper", {}).get("type", "run"))
            for run in runs
        ],
    )
    items: list[dict[str, Any]] = []
    used: set[str] = set()
    for run, method in zip(runs, methods, strict=True):
        for pair_id in chosen:
            item_id = f"{rng.getrandbits(40):010x}"
            while item_id in used:
                item_id = f"{rng.getrandbits(40):010x}"
            used.add(item_id)
            items.append(
                {"item_id": item_id, "method": method, "pair_id": pair_id, "run": run.path}
            )
    rng.shuffle(items)
    key = {
        "schema": KEY_SCHEMA,
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "seed": seed,
        "scale": SCALE_NAME,
        "runs": {method: str(run.path) for run, method in zip(runs, methods, strict=True)},
        "items": {
            item["item_id"]: {"method": item["method"], "pair_id": item["pair_id"]}
            for item in items
        },
    }
    sheet = io.StringIO()
    writer = csv.writer(sheet, lineterminator="\n")
    writer.writerow(["item_id", "score", "rater"])
    for item in items:
        writer.writerow([item["item_id"], "", ""])
    page = _rating_page(items)
    sheet_path = atomic_write_text(folder / SHEET_NAME, sheet.getvalue())
    page_path = atomic_write_text(folder / PAGE_NAME, page)
    key_path = atomic_write_json(folder / KEY_NAME, key)  # last: it marks a complete export
    return MosSheet(
        folder, len(items), len(chosen), tuple(methods), sheet_path, page_path, key_path
    )


def _rating_image(run_path: Path, pair_id: str) -> str:
    strip = sheets.read_strip(run_path / PAIR_STRIPS_DIR, pair_id)
    if strip is None:
        raise InputError(f"pair strip {pair_id} missing in {run_path}")
    size = sheets.DISPLAY_CROP
    shown = sheets.strip([strip[:, :size], strip[:, -size:]])
    return data_uri(encode(shown, "jpg", quality=90, provenance=False), "image/jpeg")


def _rating_page(items: Sequence[Mapping[str, Any]]) -> str:
    """The rating sheet (``templates/mos_rating.html.j2``): each item's source | result."""
    shown = [
        {"id": item["item_id"], "src": _rating_image(item["run"], item["pair_id"])}
        for item in items
    ]
    return render_page(
        "mos_rating.html.j2", question=QUESTION, items=shown, scale=list(SCALE.items())
    )


def _t_quantile(df: int) -> float:
    from scipy.stats import t

    return float(t.ppf(0.975, df))


def summarise(scores: Sequence[int]) -> dict[str, Any]:
    """Mean, sample standard deviation, count and Student-t 95 % interval of 1-5 scores."""
    values = np.asarray(scores, dtype=np.float64)
    count = len(values)
    mean = float(values.mean())
    if count < 2:
        return {"mos": mean, "sd": None, "ratings": count, "ci95": None}
    sd = float(values.std(ddof=1))
    half = _t_quantile(count - 1) * sd / math.sqrt(count)
    return {"mos": mean, "sd": sd, "ratings": count, "ci95": [mean - half, mean + half]}


def _read_key(folder: Path) -> dict[str, Any]:
    file = folder / KEY_NAME
    try:
        key = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{file} not found: run `faceswap mos export` first") from None
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"cannot read {file}: {exc}") from None
    if not isinstance(key, dict) or key.get("schema") != KEY_SCHEMA:
        raise InputError(f"{file} is not a faceswap MOS key ({KEY_SCHEMA})")
    return key


def parse_ratings(path: Path, known: Mapping[str, Any]) -> list[tuple[str, str, int]]:
    """``(item_id, rater, score)`` rows; any bad row is an error naming its line."""
    reader = read_csv_table(
        path, "ratings file", ("item_id", "score"), "'item_id' and 'score' (optional 'rater')"
    )
    rows: list[tuple[str, str, int]] = []
    first_seen: dict[tuple[str, str], int] = {}
    for line, row in enumerate(reader, start=2):
        item = (row.get("item_id") or "").strip()
        rater = (row.get("rater") or "").strip()
        text_score = (row.get("score") or "").strip()
        if not item:
            raise InputError(f"{path} line {line}: empty item_id")
        if item not in known:
            raise InputError(
                f"{path} line {line}: unknown item_id {item!r}; it is not on the exported sheet"
            )
        if not text_score:
            continue  # not rated
        try:
            score = int(text_score)
        except ValueError:
            raise InputError(
                f"{path} line {line}: score {text_score!r} is not an integer 1-5"
            ) from None
        if score not in SCALE:
            raise InputError(f"{path} line {line}: score {score} is out of range; scores are 1-5")
        if (item, rater) in first_seen:
            who = f"rater {rater!r}" if rater else "the unnamed rater"
            raise InputError(
                f"{path} line {line}: duplicate rating of item {item!r} by {who} "
                f"(first on line {first_seen[(item, rater)]})"
            )
        first_seen[(item, rater)] = line
        rows.append((item, rater, score))
    if not rows:
        raise InputError(f"{path} has no scores; fill in the score column")
    return rows


def import_ratings(run_dir: str | Path, ratings: str | Path) -> dict[str, Any]:
    """Check ``ratings`` against the exported key; record MOS per method in ``metrics.json``."""
    folder = Path(run_dir)
    document = read_metrics_json(folder)
    key = _read_key(folder / MOS_DIR)
    items: Mapping[str, Mapping[str, str]] = key["items"]
    file = Path(ratings)
    rows = parse_ratings(file, items)
    by_method: dict[str, list[int]] = {}
    for item, _rater, score in rows:
        by_method.setdefault(items[item]["method"], []).append(score)
    methods = {method: summarise(scores) for method, scores in sorted(by_method.items())}
    mos = {
        "scale": SCALE_NAME,
        "ratings": len(rows),
        "raters": len({rater for _item, rater, _score in rows}),
        "items": len(items),
        "methods": methods,
        "runs": key.get("runs", {}),
        "file": str(file),
        "sha256": sha256_file(file),
    }
    document["mos"] = mos
    own = next(iter(key.get("runs", {})), None)
    if own in methods:
        entry = methods[own]
        document["metrics"]["mos"] = {
            "value": entry["mos"],
            "unit": "score 1-5",
            "definition": "mean opinion score of this run's swaps from human raters (blind, "
            "randomised sheet); 95% Student-t interval in details",
            "higher_is_better": True,
            "count": entry["ratings"],
            "gate_by_default": False,
            "details": {"ci95": entry["ci95"], "sd": entry["sd"]},
        }
    write_metrics_json(folder, document)
    write_report(folder)
    return mos


__all__ = [
    "KEY_NAME",
    "MOS_DIR",
    "PAGE_NAME",
    "SCALE",
    "SHEET_NAME",
    "MosSheet",
    "export_sheet",
    "import_ratings",
    "parse_ratings",
    "summarise",
]
