"""``faceswap data lfw download`` through kagglehub; only its one download call is replaced.

The replacement does what kagglehub's ``dataset_download(handle, output_dir=...)``
does after a successful transfer: it leaves the dataset's files, extracted,
in ``output_dir`` (Kaggle's LFW nests them in ``lfw-deepfunneled/lfw-deepfunneled``)
and returns that folder. Everything around it (credential lookup, retries,
layout normalisation, preparation, checksums) is the real code.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import kagglehub
import pytest
import requests

from faceswap_core.errors import ConfigError, InputError
from faceswap_core.experiment.manifest import read_manifest
from faceswap_core.testing import run_cli
from faceswap_unet.data.download import download_raw

from .test_data import subset


@pytest.fixture
def credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KAGGLE_USERNAME", "tester")
    monkeypatch.setenv("KAGGLE_KEY", "0123456789abcdef")


@pytest.fixture
def no_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("KAGGLE_USERNAME", "KAGGLE_KEY", "KAGGLE_API_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("KAGGLE_CONFIG_DIR", str(tmp_path / "no-kaggle"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


def kaggle_like(tree: Path, calls: list[tuple[str, str]]) -> Callable[..., str]:
    def dataset_download(
        handle: str, path: str | None = None, *, output_dir: str, **_: object
    ) -> str:
        calls.append((handle, output_dir))
        target = Path(output_dir) / "lfw-deepfunneled" / "lfw-deepfunneled"
        shutil.copytree(tree, target, dirs_exist_ok=True)
        return output_dir

    return dataset_download


def test_download_prepares_kaggles_layout(
    tiny: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, credentials: None
) -> None:
    tree = subset(tiny, tmp_path / "lfw", people=2, per_person=2)
    calls: list[tuple[str, str]] = []
    monkeypatch.setattr(kagglehub, "dataset_download", kaggle_like(tree, calls))
    out = tmp_path / "lfw-112"
    result = run_cli("data", "lfw", "download", "-o", str(out), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout.strip().splitlines()[-1])["summary"]
    assert calls == [
        ("jessicali9530/lfw-dataset", str(out / ".download" / "jessicali9530__lfw-dataset"))
    ]
    assert report["crops"] == 4
    assert report["dataset"] == "jessicali9530/lfw-dataset"
    manifest = read_manifest(out / "manifest.json")
    assert sorted({e.label for e in manifest.files if e.label}) == sorted(
        p.name for p in tree.iterdir()
    )
    assert not any(".download" in e.path for e in manifest.files)
    assert len(json.loads((out / "prepare.json").read_text())["source_sha256"]) == 64


def test_missing_credentials_say_where_to_put_them(tmp_path: Path, no_credentials: None) -> None:
    result = run_cli("data", "lfw", "download", "-o", str(tmp_path / "out"))
    assert result.exit_code == 2
    assert "no Kaggle credentials" in result.stderr
    assert "KAGGLE_USERNAME" in result.stderr


def test_transient_errors_are_retried_with_backoff(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, credentials: None
) -> None:
    attempts: list[str] = []

    def flaky(handle: str, path: str | None = None, *, output_dir: str, **_: object) -> str:
        attempts.append(handle)
        if len(attempts) < 3:
            raise requests.ConnectionError("connection reset by peer")
        return output_dir

    waits: list[float] = []
    monkeypatch.setattr(kagglehub, "dataset_download", flaky)
    assert (
        download_raw("owner/lfw", tmp_path / "raw", backoff_s=0.5, sleep=waits.append)
        == tmp_path / "raw"
    )
    assert waits == [0.5, 1.0]
    assert len(attempts) == 3


def test_no_network_ends_in_one_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, credentials: None
) -> None:
    def offline(handle: str, path: str | None = None, *, output_dir: str, **_: object) -> str:
        raise requests.ConnectionError("Name or service not known")

    monkeypatch.setattr(kagglehub, "dataset_download", offline)
    waits: list[float] = []
    with pytest.raises(InputError, match="could not reach Kaggle for owner/lfw after 3 tries"):
        download_raw("owner/lfw", tmp_path / "raw", retries=2, sleep=waits.append)
    assert waits == [2.0, 4.0]


def test_a_permanent_error_is_not_retried(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, credentials: None
) -> None:
    attempts: list[int] = []

    def missing(handle: str, path: str | None = None, *, output_dir: str, **_: object) -> str:
        attempts.append(1)
        response = requests.Response()
        response.status_code = 404
        raise requests.HTTPError("404 Not Found", response=response)

    monkeypatch.setattr(kagglehub, "dataset_download", missing)
    with pytest.raises(InputError, match="Kaggle download of owner/nope failed"):
        download_raw("owner/nope", tmp_path / "raw", sleep=lambda _: None)
    assert attempts == [1]


def test_a_malformed_dataset_handle_is_a_config_error(tmp_path: Path, credentials: None) -> None:
    with pytest.raises(ConfigError, match="OWNER/NAME"):
        download_raw("lfw", tmp_path / "raw")
