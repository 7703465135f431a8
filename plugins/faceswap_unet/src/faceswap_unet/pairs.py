"""Training batches as a pure function of (seed, batch number, rank), for torch.

Batch ``k`` draws its targets, decides same- or other-identity sources and
augments the targets from a generator seeded with ``derive_seed(seed, k,
rank)``. Nothing depends on iteration order or loader workers, so a resumed
run sees exactly the batches the uninterrupted run saw, and DDP ranks see
different ones.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import torch

from faceswap_core.experiment.seeding import derive_seed
from faceswap_unet.configs import AugmentConfig
from faceswap_unet.data.augment import augment
from faceswap_unet.data.samples import LfwSplit

Array = np.ndarray[Any, Any]


def resize(image: Array, size: int) -> Array:
    if image.shape[0] == size and image.shape[1] == size:
        return image
    import cv2

    shrink = image.shape[0] > size
    return cv2.resize(
        image, (size, size), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR
    )


def to_batch(images: Sequence[Array]) -> torch.Tensor:
    """RGB uint8 H x W x 3 images -> N x 3 x H x W float32 in [0, 1]."""
    stacked = np.stack([np.ascontiguousarray(i.transpose(2, 0, 1)) for i in images])
    return torch.from_numpy(stacked).float().div_(255.0)


class PairBatches(torch.utils.data.Dataset[dict[str, torch.Tensor]]):
    """``batches[k]``: ``target``, ``source`` (N x 3 x S x S) and ``same`` (N) for batch ``k``."""

    def __init__(
        self,
        split: LfwSplit,
        indices: Sequence[int],
        *,
        batch_size: int,
        crop_size: int,
        seed: int,
        rank: int,
        same_identity: float,
        augment_config: AugmentConfig,
    ) -> None:
        self.split = split
        self.indices = list(indices)
        self.batch_size = batch_size
        self.crop_size = crop_size
        self.seed = seed
        self.rank = rank
        self.same_identity = same_identity
        self.augment = augment_config
        groups: dict[int, list[int]] = {}
        for index in self.indices:
            groups.setdefault(split.identity[index], []).append(index)
        self.groups = groups

    def __len__(self) -> int:
        return 2**31 - 1

    def _source(self, target: int, same: bool, rng: np.random.Generator) -> tuple[int, bool]:
        identity = self.split.identity[target]
        if same or len(self.groups) < 2:
            pool = self.groups[identity]
            return pool[int(rng.integers(len(pool)))], True
        others = [i for i in self.indices if self.split.identity[i] != identity]
        return others[int(rng.integers(len(others)))], False

    def __getitem__(self, k: int) -> dict[str, torch.Tensor]:
        rng = np.random.default_rng(derive_seed(self.seed, k, self.rank))
        targets, sources, same = [], [], []
        for i in range(self.batch_size):
            target = self.indices[int(rng.integers(len(self.indices)))]
            source, is_same = self._source(target, bool(rng.random() < self.same_identity), rng)
            image, kps = self.split.image(target), self.split.kps(target)
            if self.augment.names:
                image, _ = augment(
                    image,
                    kps,
                    names=self.augment.names,
                    seed=derive_seed(self.seed, self.rank),
                    index=k * self.batch_size + i,
                    probability=self.augment.probability,
                )
            targets.append(resize(image, self.crop_size))
            sources.append(resize(self.split.image(source), self.crop_size))
            same.append(1.0 if is_same else 0.0)
        return {
            "target": to_batch(targets),
            "source": to_batch(sources),
            "same": torch.tensor(same, dtype=torch.float32),
        }


def seed_worker(worker_id: int) -> None:
    """DataLoader workers: seed python, numpy and torch from torch's per-worker seed."""
    import random

    seed = torch.initial_seed() % 2**32
    random.seed(seed)
    np.random.seed(seed)


def batches_from(
    dataset: PairBatches, start: int, stop: int, *, workers: int, seed: int
) -> Iterator[dict[str, torch.Tensor]]:
    """Batches ``start .. stop - 1``, loaded in ``workers`` processes (0: in this one)."""
    if workers == 0:
        for k in range(start, stop):
            yield dataset[k]
        return
    generator = torch.Generator().manual_seed(derive_seed(seed, dataset.rank, start))
    loader = torch.utils.data.DataLoader(
        dataset,
        batch_size=None,
        sampler=range(start, stop),
        num_workers=workers,
        worker_init_fn=seed_worker,
        generator=generator,
        persistent_workers=False,
    )
    yield from loader


__all__ = ["PairBatches", "batches_from", "resize", "seed_worker", "to_batch"]
