"""Reports: run folders are listed and served; nothing outside a run folder ever is."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

REPORT = "<html><body><table id='metrics'></table></body></html>"


@pytest.fixture(scope="module")
def runs(service_dirs: Path) -> Path:
    """An eval run and a training run under the shared app's reports root, and bait outside."""
    root = service_dirs / "work_dirs"
    eval_run = root / "eval-classic"
    (eval_run / "plots").mkdir(parents=True)
    metrics = {"schema": "faceswap.eval/1", "name": "eval-classic",
               "metrics": {"ssim": {"value": 0.8, "unit": "index"}}}  # fmt: skip
    (eval_run / "metrics.json").write_text(json.dumps(metrics))
    (eval_run / "report.html").write_text(REPORT)
    (eval_run / "plots" / "ssim.png").write_bytes(b"\x89PNG\r\n\x1a\nplot")
    train = root / "smoke-20260101-000000"
    train.mkdir()
    (train / "metrics.jsonl").write_text(
        '{"step": 1, "loss": 0.9}\n{"step": 2, "loss": 0.5}\n', encoding="utf-8"
    )
    (root / "not-a-run").mkdir()
    secret = service_dirs / "secret.txt"
    secret.write_text("outside")
    (eval_run / "link-out").symlink_to(secret)
    (eval_run / "dir-out").symlink_to(service_dirs, target_is_directory=True)
    (eval_run / "link-in").symlink_to(eval_run / "report.html")
    (root / "run-out").symlink_to(service_dirs, target_is_directory=True)
    return root


def test_runs_are_listed_with_their_kind(client, openapi, runs) -> None:
    response = client.get("/v1/reports")
    openapi.check(response, "/v1/reports", "get")
    listed = {run["name"]: run for run in response.json()}
    assert set(listed) == {"eval-classic", "smoke-20260101-000000"}
    assert listed["eval-classic"]["kind"] == "eval"
    assert listed["eval-classic"]["report"]
    assert listed["smoke-20260101-000000"]["kind"] == "train"


def test_metrics_of_eval_and_training_runs(client, openapi, runs) -> None:
    response = client.get("/v1/reports/eval-classic")
    openapi.check(response, "/v1/reports/{run}", "get")
    assert response.json() == json.loads((runs / "eval-classic" / "metrics.json").read_text())
    train = client.get("/v1/reports/smoke-20260101-000000").json()
    assert train["kind"] == "train"
    assert train["metrics"]["loss"]["value"] == 0.5
    assert train["metrics"]["loss"]["best"] == 0.5


def test_files_inside_the_run_are_served_with_a_locked_down_policy(client, openapi, runs) -> None:
    page = client.get("/v1/reports/eval-classic/files/report.html")
    openapi.check(page, "/v1/reports/{run}/files/{path}", "get")
    assert page.status_code == 200
    assert page.text == REPORT
    assert page.headers["content-type"].startswith("text/html")
    assert "sandbox" in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff"
    plot = client.get("/v1/reports/eval-classic/files/plots/ssim.png")
    assert plot.status_code == 200
    assert plot.headers["content-type"] == "image/png"
    inside = client.get("/v1/reports/eval-classic/files/link-in")  # a symlink that stays inside
    assert inside.status_code == 200
    assert inside.text == REPORT


@pytest.mark.parametrize(
    "path",
    [
        "/v1/reports/eval-classic/files/../../secret.txt",
        "/v1/reports/eval-classic/files/..%2f..%2fsecret.txt",
        "/v1/reports/eval-classic/files/%2e%2e/%2e%2e/secret.txt",
        "/v1/reports/eval-classic/files/%2E%2E%2F%2E%2E%2Fsecret.txt",
        "/v1/reports/eval-classic/files/%252e%252e/%252e%252e/secret.txt",
        "/v1/reports/eval-classic/files//etc/passwd",
        "/v1/reports/eval-classic/files/%2fetc%2fpasswd",
        "/v1/reports/eval-classic/files/link-out",
        "/v1/reports/eval-classic/files/dir-out/secret.txt",
        "/v1/reports/eval-classic/files/plots/..%5c..%5csecret.txt",
        "/v1/reports/eval-classic/files/report.html%00.png",
        "/v1/reports/eval-classic/files/plots",
        "/v1/reports/eval-classic/files/missing.png",
        "/v1/reports/..%2fsecret.txt",
        "/v1/reports/%2e%2e/files/secret.txt",
        "/v1/reports/run-out/files/secret.txt",
        "/v1/reports/run-out",
        "/v1/reports/not-a-run",
        "/v1/reports/nothing/files/report.html",
    ],
)
def test_nothing_outside_a_run_folder_is_served(client, openapi, runs, path) -> None:
    response = client.get(path)
    assert response.status_code == 404, (path, response.text[:200])
    assert response.json()["error"]["code"] == "not_found"
    assert "outside" not in response.text


@pytest.mark.parametrize(
    "path", ["../../secret.txt", "plots/../../secret.txt", "/etc/passwd", "link-out", "a\\..\\b"]
)
def test_the_path_check_itself_refuses_climbing(runs, path) -> None:
    """The same paths as raw strings (an HTTP client may normalise ``..`` before sending)."""
    from faceswap_rest.errors import NotFoundError
    from faceswap_rest.reports import Reports

    with pytest.raises(NotFoundError):
        Reports(runs).file("eval-classic", path)
    with pytest.raises(NotFoundError):
        Reports(runs).run_folder("..")
