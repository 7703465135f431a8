"""Multi-process training with torchrun: process group set-up, rank checks, barriers.

``torchrun --nproc_per_node N -m faceswap_core.cli ... train CONFIG`` sets
``RANK``, ``WORLD_SIZE`` and ``MASTER_ADDR``/``PORT``; the trainer then joins a
process group (NCCL on CUDA, gloo on CPU) and wraps its models in
DistributedDataParallel. Without those variables it runs as one process.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import attrs
import torch
import torch.distributed as dist


@attrs.frozen
class DistInfo:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def main(self) -> bool:
        return self.rank == 0


def setup(device_type: str) -> DistInfo:
    """Join the torchrun process group when there is one."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return DistInfo()
    rank = int(os.environ.get("RANK", "0"))
    local = int(os.environ.get("LOCAL_RANK", "0"))
    if not dist.is_initialized():
        backend = "nccl" if device_type == "cuda" else "gloo"
        dist.init_process_group(backend=backend)
    if device_type == "cuda":
        torch.cuda.set_device(local)
    return DistInfo(rank, world, local)


def teardown(info: DistInfo) -> None:
    if info.enabled and dist.is_initialized():
        dist.destroy_process_group()


def barrier(info: DistInfo) -> None:
    if info.enabled:
        dist.barrier()


@contextmanager
def main_first(info: DistInfo) -> Iterator[None]:
    """Rank 0 runs the block first (e.g. building a cached dataset), the others after it."""
    if not info.main:
        barrier(info)
    yield
    if info.main:
        barrier(info)


def gather(info: DistInfo, value: Any) -> list[Any]:
    """Every rank's ``value`` (a list of one on a single process)."""
    if not info.enabled:
        return [value]
    out: list[Any] = [None] * info.world_size
    dist.all_gather_object(out, value)
    return out


__all__ = ["DistInfo", "barrier", "gather", "main_first", "setup", "teardown"]
