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
