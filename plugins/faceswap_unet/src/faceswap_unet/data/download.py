"""``faceswap data lfw download``: LFW from Kaggle through its own client, ``kagglehub``.

Credentials come from where kagglehub looks (``~/.kaggle/kaggle.json``,
``KAGGLE_USERNAME`` / ``KAGGLE_KEY``, or a Kaggle API token). Transient
failures (connection errors, timeouts, HTTP 429 and 5xx) are retried with
exponential backoff; missing credentials and an unreachable network end in
one line saying what to do. The downloaded tree (Kaggle nests it as
``lfw-deepfunneled/lfw-deepfunneled/<Name>/``) is then prepared like any
other source, and the sha256 of its images is recorded in ``prepare.json``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from faceswap_core.errors import ConfigError, InputError
from faceswap_unet.configs import DEFAULT_KAGGLE_DATASET

RETRIES = 4
BACKOFF_S = 2.0
TRANSIENT_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})

Sleep = Callable[[float], None]


def _transient(exc: BaseException) -> bool:
    import requests

    if isinstance(
        exc, requests.ConnectionError | requests.Timeout | ConnectionError | TimeoutError
    ):
        return True
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    return isinstance(exc, requests.HTTPError) and status in TRANSIENT_STATUS


def check_credentials() -> None:
    """A clear error when kagglehub would have no credentials to send."""
    from kagglehub.config import get_kaggle_credentials

    try:
        found = get_kaggle_credentials()
    except ValueError as exc:  # a malformed kaggle.json
        raise ConfigError(f"Kaggle credentials are unreadable: {exc}") from None
    if found is None:
        raise ConfigError(
            "no Kaggle credentials: put kaggle.json (from kaggle.com > Settings > API) in "
            "~/.kaggle/, or set KAGGLE_USERNAME and KAGGLE_KEY; or download LFW yourself and "
            "run faceswap data lfw prepare --src PATH --out DIR"
        )


def download_raw(
    handle: str | None,
    target: Path,
    *,
    retries: int = RETRIES,
    backoff_s: float = BACKOFF_S,
    sleep: Sleep = time.sleep,
) -> Path:
    """Download the Kaggle dataset ``handle`` into ``target`` (kagglehub's ``output_dir``)."""
    import kagglehub

    name = handle or DEFAULT_KAGGLE_DATASET
    if name.count("/") != 1 or not all(name.split("/")):
        raise ConfigError(f"--dataset must be OWNER/NAME as on Kaggle, got {name!r}")
    check_credentials()
    target.mkdir(parents=True, exist_ok=True)
    last: BaseException | None = None
    for attempt in range(retries + 1):
        try:
            return Path(kagglehub.dataset_download(name, output_dir=str(target)))
        except Exception as exc:
            if type(exc).__name__ in ("CredentialError", "UnauthenticatedError"):
                raise ConfigError(f"Kaggle refused the credentials for {name}: {exc}") from None
            if not _transient(exc):
                raise InputError(
                    f"Kaggle download of {name} failed: {type(exc).__name__}: {exc}"
                ) from None
            last = exc
            if attempt < retries:
                sleep(backoff_s * (2**attempt))
    raise InputError(
        f"could not reach Kaggle for {name} after {retries + 1} tries ({last}); check the "
        "network, or download LFW yourself and run faceswap data lfw prepare --src PATH --out DIR"
    )


def download_lfw(
    out: Path, handle: str | None, prepare: Callable[[Path, Path], dict[str, Any]]
) -> dict[str, Any]:
    """Download into ``out/.download`` and prepare it into ``out``."""
    raw = download_raw(
        handle, out / ".download" / (handle or DEFAULT_KAGGLE_DATASET).replace("/", "__")
    )
    report = prepare(raw, out)
    return {**report, "downloaded": str(raw), "dataset": handle or DEFAULT_KAGGLE_DATASET}


__all__ = ["check_credentials", "download_lfw", "download_raw"]
