"""Train / val / test split **by identity**: no person appears in two splits.

Identities are shuffled with a seeded generator and cut by count, so the
split depends only on the set of names and the seed, not on file order or
on how many images each person has. Too few identities for three splits
(two people, say) put everyone in ``train`` and say so; the trainer then
validates on held-back images of the train identities.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence

import attrs

SPLITS: tuple[str, ...] = ("train", "val", "test")


@attrs.frozen
class SplitPlan:
    assignment: dict[str, str]
    warnings: list[str]

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(SPLITS, 0)
        for split in self.assignment.values():
            out[split] += 1
        return out


def split_identities(
    identities: Iterable[str], *, val_fraction: float, test_fraction: float, seed: int
) -> SplitPlan:
    """Assign each identity to a split; val and test each get at least one when asked for."""
    names = sorted(set(identities))
    order = list(names)
    random.Random(seed).shuffle(order)
    total = len(order)
    n_val = round(total * val_fraction)
    n_test = round(total * test_fraction)
    if val_fraction > 0:
        n_val = max(n_val, 1)
    if test_fraction > 0:
        n_test = max(n_test, 1)
    warnings: list[str] = []
    if total - n_val - n_test < 1:
        warnings.append(
            f"only {total} identities: too few for train/val/test by identity; all go to "
            "train and val/test stay empty (validation uses held-back train images)"
        )
        n_val = n_test = 0
    assignment = {name: "val" for name in order[:n_val]}
    assignment.update({name: "test" for name in order[n_val : n_val + n_test]})
    assignment.update({name: "train" for name in order[n_val + n_test :]})
    return SplitPlan(dict(sorted(assignment.items())), warnings)


def held_back(
    by_identity: Mapping[str, Sequence[int]], per_identity: int = 1
) -> tuple[list[int], list[int]]:
    """``(kept, held)`` indices: the last ``per_identity`` of each identity with 2+ images held."""
    kept: list[int] = []
    held: list[int] = []
    for identity in sorted(by_identity):
        indices = sorted(by_identity[identity])
        if len(indices) > per_identity:
            kept.extend(indices[:-per_identity])
            held.extend(indices[-per_identity:])
        else:
            kept.extend(indices)
    return sorted(kept), sorted(held)


__all__ = ["SPLITS", "SplitPlan", "held_back", "split_identities"]
