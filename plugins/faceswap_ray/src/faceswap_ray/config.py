"""The ``ray`` runner's settings: where the cluster is and how much of it a job takes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from faceswap_core.config.ranges import between, cluster_workers, gpus_per_worker

DEFAULT_NAMESPACE = "faceswap"
"""Ray namespace of every actor faceswap names (job actors, trackers)."""


@attrs.frozen
class RayRunnerConfig:
    """How a job runs on Ray (``runner: {type: ray, ...}``).

    :ivar address: ``local`` starts a Ray instance on this machine for the job;
        ``auto`` joins the cluster this machine belongs to (``ray start``);
        ``ray://HOST:PORT`` connects through the Ray Client; ``HOST:PORT`` joins
        a cluster's GCS directly (a driver on one of its nodes).
    :ivar workers: worker actors, each with its own loaded pipeline.
    :ivar gpus_per_worker: GPUs each worker reserves (fractions share a GPU).
    :ivar cpus_per_worker: CPUs each worker reserves.
    :ivar batch_size: images a worker swaps per Ray Data batch.
    :ivar window_mb: input bytes sent to the cluster per Ray Data run; a bigger
        batch runs in several windows (each starts its workers anew).
    :ivar num_cpus: CPUs of a ``local`` instance (default: the machine's).
    :ivar object_store_mb: object store of a ``local`` instance (default: Ray's).
    :ivar temp_dir: sessions and logs of a ``local`` instance (default: Ray's).
    :ivar connect_timeout: seconds to wait for a remote address to answer.
    :ivar runtime_env: Ray ``runtime_env`` of the workers (``env_vars``,
        ``working_dir``...), e.g. a model-store path: ``{"env_vars":
        {"FACESWAP_MODELS": "/shared/models"}}``.
    """

    address: str = "local"
    workers: int = attrs.field(default=1, validator=cluster_workers)
    gpus_per_worker: float = attrs.field(default=0.0, validator=gpus_per_worker)
    cpus_per_worker: float = attrs.field(default=1.0, validator=between(0.0, 512.0))
    batch_size: int = attrs.field(default=4, validator=between(1, 4096))
    window_mb: int = attrs.field(default=512, validator=between(1, 1 << 20))
    num_cpus: int | None = attrs.field(default=None, validator=between(1, 4096))
    object_store_mb: int | None = attrs.field(default=None, validator=between(78, 1 << 22))
    temp_dir: str | None = None
    connect_timeout: float = attrs.field(default=10.0, validator=between(0.1, 600.0))
    namespace: str = DEFAULT_NAMESPACE
    runtime_env: Mapping[str, Any] | None = None


__all__ = ["DEFAULT_NAMESPACE", "RayRunnerConfig"]
