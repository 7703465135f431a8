"""The service's settings: one attrs class per concern, every limit with a name, a default, a range.

A config file for ``faceswap serve --config CFG`` is an ordinary faceswap config
(its ``pipeline:`` section chooses the models) plus a ``serve:`` section
structured into :class:`ServeConfig`. The section is registered with core's
one checked schema (``register_config_sections``), so ``faceswap config show``,
``--config`` on every command and ``--set serve.port=9000`` check it with the
same strict rules: unknown keys and out-of-range values are errors naming
their path (``$.serve.limits.max_pixels``). ``configs/face_swap/serve.yaml``
is the shipped example (``faceswap serve --config serve``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from faceswap_core.config.convert import FieldValueError, structure, unstructure
from faceswap_core.config.loader import load_experiment
from faceswap_core.config.ranges import above, at_least, between
from faceswap_core.config.schema import PipelineConfig
from faceswap_core.config.sections import section
from faceswap_core.io.limits import LimitsConfig
from faceswap_core.runtime.choice import with_runtime

TOKEN_ENV = "FACESWAP_API_TOKEN"
"""Environment variable holding the bearer token (wins over ``serve.token``)."""

IMAGE_FORMATS: dict[str, str] = {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP", "bmp": "BMP",
                                 "gif": "GIF", "tiff": "TIFF"}  # fmt: skip
"""Input formats the service can be told to accept: name -> the decoder's (PIL's) name."""

SETTINGS_ENV = "FACESWAP_SERVE_SETTINGS"
"""How ``faceswap serve`` hands its resolved settings (JSON) to uvicorn's worker processes."""

MiB = 1024 * 1024


def _formats(_: Any, attribute: attrs.Attribute[Any], value: list[str]) -> None:
    unknown = [name for name in value if name not in IMAGE_FORMATS]
    if unknown or not value:
        raise FieldValueError(
            attribute.name,
            f"expected a non-empty list of {', '.join(IMAGE_FORMATS)}, got {value!r}",
        )


@attrs.frozen
class ServeLimits:
    """Hard limits on what one request may cost. Each is checked before the work it guards.

    :ivar max_body_bytes: largest request body of image routes, counted while it
        streams in (a chunked body is cut off as soon as it passes the limit).
    :ivar max_pixels: largest image (width x height), read from the header before
        decoding; the pipeline's own ``limits.max_pixels`` applies too (the smaller wins).
    :ivar formats: image formats accepted, sniffed from the bytes (never the file name
        or the declared Content-Type); others are 415.
    :ivar max_concurrent_swaps: swaps admitted at once (running or waiting for a
        thread).
    :ivar max_queued_swaps: requests that may wait (first come, first served) for a
        swap slot once every slot is taken; one more is answered 503 with
        ``Retry-After``. 0 refuses at once.
    :ivar queue_timeout_s: longest a request waits in that queue; then 503.
    :ivar retry_after_s: the ``Retry-After`` seconds sent with a 503.
    :ivar request_timeout_s: longest a swap or source registration may take once it
        has a slot; then 503.
    :ivar body_timeout_s: a request body gets this long from its first byte, plus a
        second for every ``min_body_rate`` bytes received, and never waits longer
        than this for its next bytes; then 408 and the connection is closed
        (Apache's ``RequestReadTimeout body=20,MinRate=500`` defaults).
    :ivar min_body_rate: bytes per second a body must keep up after ``body_timeout_s``.
    :ivar max_video_bytes: largest upload of ``POST /v1/jobs/video``.
    :ivar max_video_seconds: longest video a job accepts (from its header).
    :ivar max_queued_jobs: video jobs queued or running at once; one more is 503.
    :ivar max_ws_frame_bytes: largest WebSocket message of ``/v1/stream``.
    :ivar source_cache_size: registered sources kept (least recently used dropped first).
    """

    max_body_bytes: int = attrs.field(default=20 * MiB, validator=between(1024, 4096 * MiB))
    max_pixels: int = attrs.field(default=40_000_000, validator=at_least(1))
    formats: list[str] = attrs.field(factory=lambda: ["png", "jpeg", "webp"], validator=_formats)
    max_concurrent_swaps: int = attrs.field(default=4, validator=between(1, 1024))
    max_queued_swaps: int = attrs.field(default=16, validator=between(0, 10_000))
    queue_timeout_s: float = attrs.field(default=10.0, validator=above(0.0, 3600.0))
    retry_after_s: int = attrs.field(default=1, validator=between(1, 3600))
    request_timeout_s: float = attrs.field(default=60.0, validator=above(0.0, 3600.0))
    body_timeout_s: float = attrs.field(default=20.0, validator=above(0.0, 3600.0))
    min_body_rate: int = attrs.field(default=500, validator=between(1, 1024 * MiB))
    max_video_bytes: int = attrs.field(default=500 * MiB, validator=between(1024, 64 * 1024 * MiB))
    max_video_seconds: float = attrs.field(default=600.0, validator=above(0.0, 86400.0))
    max_queued_jobs: int = attrs.field(default=8, validator=between(1, 10_000))
    max_ws_frame_bytes: int = attrs.field(default=8 * MiB, validator=between(1024, 1024 * MiB))
    source_cache_size: int = attrs.field(default=256, validator=between(1, 100_000))


def default_jobs_dir() -> str:
    """``$FACESWAP_HOME/jobs`` if set, else ``~/.cache/faceswap/jobs`` (as the model store)."""
    home = os.environ.get("FACESWAP_HOME")
    base = Path(home).expanduser() if home else Path.home() / ".cache" / "faceswap"
    return str(base / "jobs")


@attrs.frozen
class ServeConfig:
    """``faceswap serve``: where it listens, what it runs at once, who may call it.

    :ivar host: address to bind (loopback by default; put a proxy in front for TLS).
    :ivar port: TCP port (0 picks a free one).
    :ivar workers: uvicorn worker processes; each loads its own models.
    :ivar threads: swap threads per worker, each with its own loaded pipeline
        (unset: the usable CPUs, at most 4).
    :ivar max_streams: WebSocket streams at once per worker, each with its own pipeline.
    :ivar max_jobs: video jobs running at once per worker, each with its own pipeline.
    :ivar token: bearer token every route but ``/healthz`` requires (``FACESWAP_API_TOKEN``
        wins); unset means no authentication.
    :ivar cors_origins: origins allowed by CORS; empty (the default) turns CORS off.
    :ivar reports_dir: the work_dirs root whose run folders ``/v1/reports`` serves.
    :ivar jobs_dir: where video jobs keep their files.
    :ivar job_ttl_s: seconds a finished job (and its files) is kept.
    :ivar access_log: one JSON line per request on the ``faceswap.rest.access`` logger.
    """

    host: str = "127.0.0.1"
    port: int = attrs.field(default=8000, validator=between(0, 65535))
    workers: int = attrs.field(default=1, validator=between(1, 64))
    threads: int | None = attrs.field(default=None, validator=between(1, 64))
    max_streams: int = attrs.field(default=1, validator=between(0, 64))
    max_jobs: int = attrs.field(default=1, validator=between(0, 64))
    token: str | None = None
    cors_origins: list[str] = attrs.field(factory=list)
    reports_dir: str = "work_dirs"
    jobs_dir: str = attrs.field(factory=default_jobs_dir)
    job_ttl_s: float = attrs.field(default=3600.0, validator=above(0.0, 365 * 86400.0))
    access_log: bool = True
    limits: ServeLimits = attrs.Factory(ServeLimits)

    def resolved_token(self) -> str | None:
        """The token in force: ``FACESWAP_API_TOKEN`` if set and not empty, else ``token``."""
        return os.environ.get(TOKEN_ENV) or self.token or None


@attrs.frozen
class Settings:
    """Everything one service process needs: its own settings and the pipeline it serves."""

    serve: ServeConfig = attrs.Factory(ServeConfig)
    pipeline: PipelineConfig = attrs.Factory(PipelineConfig)

    def service_pipeline(self) -> PipelineConfig:
        """The pipeline with the service's pixel and byte limits applied (the smaller wins)."""
        limits = self.pipeline.limits
        return attrs.evolve(
            self.pipeline,
            limits=LimitsConfig(
                max_pixels=min(limits.max_pixels, self.serve.limits.max_pixels),
                max_bytes=min(limits.max_bytes, self.serve.limits.max_body_bytes),
            ),
        )

    def to_dict(self) -> dict[str, Any]:
        return {"serve": unstructure(self.serve), "pipeline": unstructure(self.pipeline)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Settings:
        serve = structure(data.get("serve") or {}, ServeConfig, path="$.serve")
        pipeline = structure(data.get("pipeline") or {}, PipelineConfig, path="$.pipeline")
        return cls(serve, pipeline)


SECTION = "serve"
"""The config section faceswap-rest adds to the checked schema."""


def load_settings(
    config: str | Path | None,
    overrides: Sequence[str] = (),
    *,
    runtime: str | Mapping[str, Any] | None = None,
    providers: Sequence[str] = (),
    **serve_options: Any,
) -> Settings:
    """A config file's ``serve:`` and ``pipeline:`` sections, with command-line options on top.

    :param config: a YAML path or a shipped config's name; ``None`` for defaults.
    :param overrides: ``--set KEY=VALUE`` (``serve.port=9000``, ``pipeline.faces=largest``).
    :param runtime: ``--runtime``: the runtime every model of the service runs on.
    :param providers: ``--providers``: ONNX Runtime execution providers in order.
    :param serve_options: ``host``, ``port``, ``workers``...: values that are not
        ``None`` replace the file's.
    :raises ConfigError: unknown keys, wrong types or values out of range, with their path.
    """
    experiment = load_experiment(config, tuple(overrides))
    base = section(experiment, SECTION, ServeConfig)
    given = {key: value for key, value in serve_options.items() if value is not None}
    serve = structure({**unstructure(base), **given}, ServeConfig, path="$.serve")
    pipeline = with_runtime(experiment.pipeline, runtime, tuple(providers) or None)
    return Settings(serve, pipeline)


__all__ = [
    "IMAGE_FORMATS",
    "SECTION",
    "SETTINGS_ENV",
    "TOKEN_ENV",
    "ServeConfig",
    "ServeLimits",
    "Settings",
    "default_jobs_dir",
    "load_settings",
]
