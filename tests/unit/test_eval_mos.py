"""MOS statistics by hand and the validation of rating files."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from faceswap_core.errors import InputError
from faceswap_core.eval.mos import parse_ratings, summarise

KNOWN = {"aa01": {}, "bb02": {}, "cc03": {}}


def test_mos_and_its_95_percent_interval_by_hand() -> None:
    # scores 1..5: mean 3, sample sd sqrt(2.5) = 1.5811; t(0.975, 4) = 2.7764 (tables)
    # half width 2.7764 * 1.5811 / sqrt(5) = 1.9632
    result = summarise([1, 2, 3, 4, 5])
    assert result["mos"] == 3.0
    assert result["sd"] == pytest.approx(math.sqrt(2.5))
    assert result["ratings"] == 5
    assert result["ci95"] == pytest.approx([1.0368, 4.9632], abs=1e-4)


def test_one_rating_has_no_interval() -> None:
    assert summarise([4]) == {"mos": 4.0, "sd": None, "ratings": 1, "ci95": None}


@given(st.lists(st.integers(1, 5), min_size=2, max_size=40))
def test_the_interval_holds_the_mean_and_stays_symmetric(scores: list[int]) -> None:
    result = summarise(scores)
    low, high = result["ci95"]
    assert low <= result["mos"] <= high
    assert result["mos"] - low == pytest.approx(high - result["mos"])


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "ratings.csv"
    path.write_text(text)
    return path


def test_valid_ratings_parse_and_blank_scores_are_unrated(tmp_path: Path) -> None:
    path = write(tmp_path, "item_id,score,rater\naa01,5,r1\nbb02,,r1\naa01,3,r2\n")
    assert parse_ratings(path, KNOWN) == [("aa01", "r1", 5), ("aa01", "r2", 3)]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("item,score\naa01,3\n", "needs a header with 'item_id' and 'score'"),
        ("item_id,score\naa01,6\n", "line 2: score 6 is out of range; scores are 1-5"),
        ("item_id,score\naa01,0\n", "line 2: score 0 is out of range"),
        ("item_id,score\naa01,4.5\n", "line 2: score '4.5' is not an integer 1-5"),
        ("item_id,score\nzz99,3\n", "line 2: unknown item_id 'zz99'"),
        ("item_id,score\n,3\n", "line 2: empty item_id"),
        (
            "item_id,score,rater\naa01,3,r1\nbb02,2,r1\naa01,4,r1\n",
            "line 4: duplicate rating of item 'aa01' by rater 'r1' \\(first on line 2\\)",
        ),
        ("item_id,score\naa01,\n", "has no scores"),
    ],
)
def test_bad_ratings_are_refused_with_the_line(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_ratings(write(tmp_path, text), KNOWN)


def test_a_missing_ratings_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="ratings file not found"):
        parse_ratings(tmp_path / "nope.csv", KNOWN)
