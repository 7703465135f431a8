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
    # Runs whose metrics files are links: out of the run (never read), and inside it (fine).
    outside = service_dirs / "outside-metrics.json"
    outside.write_text(json.dumps({**metrics, "name": "outside", "secret": "outside"}))
    (service_dirs / "outside.jsonl").write_text('{"step": 1, "loss": 0.1, "outside": 1}\n')
    (root / "eval-linked-out").mkdir()
    (root / "eval-linked-out" / "metrics.json").symlink_to(outside)
    (root / "train-linked-out").mkdir()
    (root / "train-linked-out" / "metrics.jsonl").symlink_to(service_dirs / "outside.jsonl")
    (root / "eval-linked-in" / "data").mkdir(parents=True)
    (root / "eval-linked-in" / "data" / "m.json").write_text(json.dumps(metrics))
    (root / "eval-linked-in" / "metrics.json").symlink_to(Path("data") / "m.json")
    return root


def test_runs_are_listed_with_their_kind(client, openapi, runs) -> None:
    response = client.get("/v1/reports")
    openapi.check(response, "/v1/reports", "get")
    listed = {run["name"]: run for run in response.json()}
    assert set(listed) == {"eval-classic", "eval-linked-in", "smoke-20260101-000000"}
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
        "/v1/reports/eval-linked-out",
        "/v1/reports/train-linked-out",
        "/v1/reports/" + "r" * 256,
        "/v1/reports/eval-classic/files/" + "p" * 256,
    ],
)
def test_nothing_outside_a_run_folder_is_served(client, openapi, runs, path) -> None:
    response = client.get(path)
    assert response.status_code == 404, (path, response.text[:200])
    assert response.json()["error"]["code"] == "not_found"
    assert "outside" not in response.text
    assert str(runs.parent) not in response.text  # no server path, however the run is named
    assert len(response.text) < 400


def test_a_metrics_file_linked_inside_the_run_is_served(client, runs) -> None:
    response = client.get("/v1/reports/eval-linked-in")
    assert response.status_code == 200
    assert response.json()["name"] == "eval-classic"


def test_a_10000_character_run_name_is_414_without_a_path(client, runs) -> None:
    response = client.get("/v1/reports/" + "a" * 10_000)
    assert response.status_code == 414
    assert response.json()["error"] == {
        "code": "uri_too_long",
        "message": "the URL path is 10012 bytes, over the limit of 4096",
    }


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


def test_names_and_paths_over_their_bounds_are_not_found(runs) -> None:
    """A path of 4200 bytes would name a real file (the OS could resolve it); it is refused."""
    from faceswap_rest.errors import NotFoundError
    from faceswap_rest.reports import Reports

    reports = Reports(runs)
    deep = "/".join(["."] * 2100) + "/report.html"  # resolves to report.html
    assert len(deep) > 4096
    with pytest.raises(NotFoundError) as refused:
        reports.file("eval-classic", deep)
    assert len(str(refused.value)) < 200
    with pytest.raises(NotFoundError):
        reports.metrics("r" * 10_000)
    assert reports.file("eval-classic", "./report.html").name == "report.html"
