"""The HTML reports render in a real browser: Debian's chromium, headless, via Playwright.

Each report is opened from disk with networking off; every ``<img>`` must
have decoded (``naturalWidth > 0``) and the metrics table must be there.
``nox -s tests`` installs chromium with apt when it is missing; the test
skips only where that cannot work (no apt-get, or not root).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from faceswap_core.eval.report import write_comparison

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _chromium() -> Path:
    if CHROMIUM.exists():
        return CHROMIUM
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        pytest.skip(
            f"{CHROMIUM} is missing and cannot be installed here (needs apt-get as root); "
            "install Debian's chromium package to run the browser test"
        )
    pytest.fail(
        f"{CHROMIUM} is missing but installable: run `apt-get install -y chromium` "
        "(nox -s tests does it)"
    )


def _render(page_file: Path) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(_chromium()), args=FLAGS)
        try:
            page = browser.new_page()
            requests: list[str] = []
            page.on("request", lambda request: requests.append(request.url))
            page.goto(page_file.as_uri(), wait_until="load")
            state = page.evaluate(
                """() => ({
                    images: Array.from(document.images).map(
                        (img) => ({complete: img.complete, width: img.naturalWidth})),
                    rows: Array.from(document.querySelectorAll('#metrics tbody tr')).map(
                        (tr) => tr.cells[0].textContent),
                    title: document.title,
                })"""
            )
        finally:
            browser.close()
    state["requests"] = requests
    return state


def _check_images(state: dict[str, Any], at_least: int) -> None:
    assert len(state["images"]) >= at_least
    broken = [
        i for i, img in enumerate(state["images"]) if not img["complete"] or img["width"] <= 0
    ]
    assert not broken, f"images that did not load: {broken}"


def test_eval_report_renders_with_every_image(eval_runs: dict[str, Any]) -> None:
    report = eval_runs["classic"] / "report.html"
    state = _render(report)
    plots = len(list((eval_runs["classic"] / "plots").glob("*.png")))
    _check_images(state, plots + 3)  # the plots and the best / median / worst grids
    assert "identity_top1" in state["rows"]
    assert "pose_error_deg" in state["rows"]
    # self-contained: the only thing the browser fetched is the page itself
    assert state["requests"] == [report.as_uri()]


def test_comparison_report_renders_with_every_image(
    eval_runs: dict[str, Any], tmp_path: Path
) -> None:
    output = write_comparison(eval_runs["classic"], eval_runs["unchanged"], tmp_path / "cmp.html")
    state = _render(output)
    _check_images(state, 4)
    assert "identity_top1" in state["rows"]
    assert state["title"].startswith("faceswap comparison")


# A dataset's folder and file names are user input. These carry markup that would run as
# script (or set a flag through an event handler) if a page ever put them in unescaped, and
# both kinds of quote to break out of an attribute. Linux names cannot hold "/", so the
# payloads need no closing tag: an unclosed <script> or an <img onerror> is enough.
HOSTILE_PERSON = "Eve\"'<script>window.__pwned='person';alert(1)"
HOSTILE_FILE = "<img src=x onerror=\"window.__pwned='file'\">'"
HOSTILE_ROOT = "data\"'<script>window.__pwned='root'"


def _hostile_dataset(tiny_lfw: Path, root: Path) -> Path:
    """Three people of the tiny dataset, their folders and files renamed to payloads."""
    data = root / HOSTILE_ROOT
    people = sorted(p for p in tiny_lfw.iterdir() if p.is_dir())[:3]
    for index, person in enumerate(people):
        name = f"{HOSTILE_PERSON}{index}"
        (data / name).mkdir(parents=True)
        for number, image in enumerate(sorted(person.iterdir())):
            shutil.copyfile(image, data / name / f"{HOSTILE_FILE}{number}.jpg")
    # a photo with no face: its pairs fail and are listed, names included, in the report
    blank = data / f"{HOSTILE_PERSON}blank"
    blank.mkdir()
    from PIL import Image as PILImage

    for number in range(2):
        PILImage.new("RGB", (160, 160), (120, 130, 140)).save(blank / f"{HOSTILE_FILE}{number}.png")
    return data


def test_a_report_of_a_dataset_with_hostile_names_shows_them_as_text(
    tiny_lfw: Path, tmp_path: Path, fresh_plugins: Any
) -> None:
    import faceswap
    from faceswap_core.testing import use_plugins

    data = _hostile_dataset(tiny_lfw, tmp_path)
    out = tmp_path / "eval"
    with use_plugins(fresh_plugins):
        faceswap.evaluate(
            data=data,
            output=out,
            overrides=(
                "eval.cross_pairs=6",
                "eval.self_pairs=2",
                "eval.metrics=[{type: ssim}, {type: failures}]",
            ),
        )
    page_file = out / "report.html"
    text = page_file.read_text(encoding="utf-8")
    # the payloads are in the page, escaped: no tag or attribute of theirs survives
    assert "&lt;script&gt;window.__pwned=" in text
    assert "<script" not in text.lower()
    assert 'onerror="' not in text
    failed = [row for row in (out / "metrics.csv").read_text().splitlines() if "no_face" in row]
    assert failed, "the blank person's pairs must fail, so the failures table lists names"

    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(_chromium()), args=FLAGS)
        try:
            page = browser.new_page()
            dialogs: list[str] = []
            errors: list[str] = []
            page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(page_file.as_uri(), wait_until="load")
            state = page.evaluate(
                """() => ({
                    pwned: window.__pwned === undefined ? null : String(window.__pwned),
                    scripts: document.scripts.length,
                    handlers: document.querySelectorAll('[onerror], [onload]').length,
                    text: document.body.innerText,
                    failures: Array.from(document.querySelectorAll('#failures td')).map(
                        (td) => td.textContent),
                })"""
            )
        finally:
            browser.close()
    assert state["pwned"] is None
    assert dialogs == []
    assert errors == []
    assert state["scripts"] == 0
    assert state["handlers"] == 0
    # shown to the reader exactly as named on disk
    assert HOSTILE_ROOT in state["text"]
    assert any(f"{HOSTILE_PERSON}blank/{HOSTILE_FILE}" in cell for cell in state["failures"])
