"""The bench regression gate on literal records: ratios, the 2x rule, the noise floor, the CLI.

No timing happens here: every number is written out by hand.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from faceswap_core.tools.bench import OPTIONAL_STAGES, STAGES
from faceswap_core.tools.bench_compare import (
    REFERENCE_NAME,
    BenchCompareError,
    compare,
    gate,
    main,
    make_baseline,
    ratios,
    regression_message,
)

REPO = Path(__file__).resolve().parents[2]


def record(reference_ms: float, **p50: float) -> dict[str, Any]:
    """A bench record with only what the comparison reads."""
    total = p50.pop("total", sum(p50.values()))
    return {
        "schema": 1,
        "stages": {name: {"p50_ms": value, "p95_ms": value} for name, value in p50.items()},
        "total": {"p50_ms": total},
        "reference": {"name": REFERENCE_NAME, "repeat": 30, "p50_ms": reference_ms},
        "size": "1280x720",
        "faces": 1,
        "model": "classic",
        "device": "test cpu",
        "threads": 2,
    }


BASE = record(20.0, detect=40.0, swap=30.0, align=0.4, total=70.4)


def test_ratios_divide_by_the_reference() -> None:
    assert ratios(BASE) == pytest.approx({"detect": 2.0, "swap": 1.5, "align": 0.02, "total": 3.52})


def test_a_faster_machine_changes_nothing() -> None:
    """Everything, the reference included, twice as fast: every change is 1.0."""
    fast = record(10.0, detect=20.0, swap=15.0, align=0.2, total=35.2)
    changes = {row.stage: row for row in compare(fast, make_baseline(BASE))}
    assert {stage: row.change for stage, row in changes.items()} == pytest.approx(
        {"detect": 1.0, "swap": 1.0, "align": 1.0, "total": 1.0}
    )
    assert not any(row.failed for row in changes.values())


def test_only_a_stage_more_than_twice_as_slow_fails() -> None:
    # Same machine speed (reference 20 ms): detect 2.5x, swap 1.9x slower.
    slower = record(20.0, detect=100.0, swap=57.0, align=0.4, total=157.4)
    changes = {row.stage: row for row in compare(slower, make_baseline(BASE))}
    assert changes["detect"].change == pytest.approx(2.5)
    assert changes["detect"].failed
    assert changes["swap"].change == pytest.approx(1.9)
    assert not changes["swap"].failed
    assert changes["total"].failed  # 157.4 / 70.4 = 2.24


def test_stages_under_the_noise_floor_are_not_gated() -> None:
    # align 0.4 ms -> 0.9 ms is 2.25x, but both are under 1 ms.
    jittery = record(20.0, detect=40.0, swap=30.0, align=0.9, total=70.9)
    (align,) = [row for row in compare(jittery, make_baseline(BASE)) if row.stage == "align"]
    assert align.change == pytest.approx(2.25)
    assert not align.gated
    assert not align.failed
    # Past the floor it is gated again: 0.4 ms -> 1.2 ms fails.
    slow = record(20.0, detect=40.0, swap=30.0, align=1.2, total=71.2)
    (align,) = [row for row in compare(slow, make_baseline(BASE)) if row.stage == "align"]
    assert align.failed


def test_the_bench_gate_is_the_one_gate_with_relative_tolerances() -> None:
    # detect 2.5x and swap 1.9x as slow (same machine speed)
    slower = record(20.0, detect=100.0, swap=57.0, align=0.4, total=157.4)
    _, default = gate(slower, make_baseline(BASE))
    assert sorted(r.metric for r in default.regressions) == ["detect", "total"]
    _, lenient = gate(slower, make_baseline(BASE), ["detect=2", "total=1.5"])
    assert lenient.passed  # 2.5x is within 1 + 2, 2.24x within 1 + 1.5
    _, strict = gate(slower, BASE, ["0.5"])  # a bench record works as the baseline too
    assert sorted(r.metric for r in strict.regressions) == ["detect", "swap", "total"]
    assert "swap more than 1.5x slower than the baseline (1.90x)" in regression_message(strict)


def test_a_new_stage_is_reported_not_failed() -> None:
    grown = record(20.0, detect=40.0, swap=30.0, align=0.4, encode=9.0, total=79.4)
    (encode,) = [row for row in compare(grown, make_baseline(BASE)) if row.stage == "encode"]
    assert encode.change is None
    assert not encode.failed


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        ({"reference": None}, "no reference timing"),
        ({"reference": {"name": "other-v0", "p50_ms": 20.0}}, "used reference workload 'other-v0'"),
        ({"reference": {"name": REFERENCE_NAME, "p50_ms": 0.0}}, "must be positive"),
    ],
)
def test_records_that_cannot_be_compared_say_why(broken: dict[str, Any], message: str) -> None:
    with pytest.raises(BenchCompareError, match=message):
        compare({**BASE, **broken}, make_baseline(BASE))


def test_cli_exit_codes_and_update(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base_file, run_file = tmp_path / "baseline.json", tmp_path / "bench.json"
    run_file.write_text(json.dumps(BASE))
    assert main([str(run_file), str(base_file), "--update"]) == 0
    assert json.loads(base_file.read_text()) == {
        "schema": 1,
        "reference": {"name": REFERENCE_NAME, "p50_ms": 20.0},
        "ratios": {"detect": 2.0, "swap": 1.5, "align": 0.02, "total": 3.52},
        "measured": {
            "size": "1280x720",
            "faces": 1,
            "model": "classic",
            "device": "test cpu",
            "threads": 2,
        },
    }
    assert main([str(run_file), str(base_file)]) == 0
    out = capsys.readouterr().out
    assert "detect" in out
    assert "1.00x" in out
    run_file.write_text(json.dumps(record(20.0, detect=100.0, swap=30.0, align=0.4)))
    assert main([str(run_file), str(base_file)]) == 6  # the regression gate's exit code
    # total: 130.4 / 70.4 = 1.85x, under the gate; detect 100 / 40 = 2.5x.
    assert "Error: detect more than 2x slower than the baseline (2.50x)" in (
        capsys.readouterr().err
    )
    (tmp_path / "broken.json").write_text("{not json")
    assert main([str(tmp_path / "broken.json"), str(base_file)]) == 2


def test_the_committed_baseline_covers_every_stage() -> None:
    baseline = json.loads((REPO / "benchmarks" / "baseline.json").read_text())
    assert baseline["reference"]["name"] == REFERENCE_NAME
    assert set(baseline["ratios"]) == {*STAGES, "total"} - set(OPTIONAL_STAGES)
    assert all(value > 0 for value in baseline["ratios"].values())
