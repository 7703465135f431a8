"""Training validation measures what core's evaluator measures, without leaking.

A recognizer that carries no identity (a random unit embedding per image) and
a generator whose output *is* the source image make the honest retrieval
score exactly chance: the output's embedding is the source image's own random
vector, which says nothing about the other images of its identity. A gallery
that still contains the source image finds it every time (top-1 = 1.0); one
that leaves the pair's images out ranks the true identity uniformly among the
K identities (top-1 = 1/K).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from scipy.stats import binom
from torch import nn

from faceswap_core.config.convert import structure
from faceswap_core.config.schema import ExperimentConfig
from faceswap_core.experiment.manifest import update_manifest
from faceswap_core.experiment.workdir import WorkDir
from faceswap_core.models.store import ModelStore
from faceswap_core.plugin.context import BuildContext
from faceswap_core.plugin.manager import get_plugins
from faceswap_unet import distributed
from faceswap_unet.configs import TrainConfig
from faceswap_unet.data.prepare import CROPS, INFO, labeling_for
from faceswap_unet.session import Session
from faceswap_unet.trainer import TrainRunner
from faceswap_unet.validation import identity_records, identity_values

CROP = 32
IDENTITIES = 20
IMAGES_PER_IDENTITY = 5
FALSE_ALARM = 1e-6
"""Chance that an honest metric falls outside the asserted binomial bounds."""


def synthetic_prepared(root: Path, *, identities: int, per_identity: int, seed: int) -> Path:
    """A prepared folder of noise crops: ``identities`` people in ``val``, two in ``train``."""
    rng = np.random.default_rng(seed)
    assignment: dict[str, str] = {}
    people = [(f"val_{i:02d}", "val") for i in range(identities)]
    people += [(f"train_{i}", "train") for i in range(2)]
    for name, split in people:
        assignment[name] = split
        folder = root / CROPS / name
        folder.mkdir(parents=True)
        for k in range(per_identity):
            pixels = rng.integers(0, 256, (CROP, CROP, 3), dtype=np.uint8)
            import cv2

            cv2.imwrite(str(folder / f"{name}_{k:04d}.png"), pixels)
    info = {"dataset": "lfw", "crop_size": CROP, "template": "arcface", "seed": 0}
    (root / INFO).write_text(json.dumps({**info, "assignment": assignment}))
    update_manifest(root, labeling_for(assignment, 0), name="lfw")
    return root


def image_vector(image: torch.Tensor, dim: int, salt: int) -> torch.Tensor:
    """A random unit vector seeded by the image's quantised pixels (same image, same vector)."""
    pixels = (image.detach().clamp(0, 1) * 255 + 0.5).to(torch.uint8).numpy().tobytes()
    seed = int.from_bytes(
        hashlib.sha256(salt.to_bytes(4, "little") + pixels).digest()[:8], "little"
    )
    vector = np.random.default_rng(seed).standard_normal(dim)
    return torch.from_numpy(vector / np.linalg.norm(vector)).float()


class NoIdentityRecognizer(nn.Module):
    """Embeds each image as a random unit vector: no identity information at all.

    It also remembers which image gave which vector, so :class:`SourceCopier`
    can return the source image from its embedding.
    """

    def __init__(self, dim: int, salt: int) -> None:
        super().__init__()
        self.dim = dim
        self.salt = salt
        self.images: dict[bytes, torch.Tensor] = {}

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        vectors = []
        for image in images:
            vector = image_vector(image, self.dim, self.salt)
            self.images[vector.numpy().tobytes()] = image.clone()
            vectors.append(vector)
        return torch.stack(vectors)


class SourceCopier(nn.Module):
    """A 'generator' whose output is the source image: the swap puts the source's embedding out."""

    def __init__(self, recognizer: NoIdentityRecognizer) -> None:
        super().__init__()
        self.recognizer = recognizer

    def forward(
        self, target: torch.Tensor, embedding: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        output = torch.stack([self.recognizer.images[row.numpy().tobytes()] for row in embedding])
        return output, torch.ones_like(output[:, :1])


def validation_session(root: Path, work: Path, *, max_pairs: int, samples: int = 0) -> Session:
    config = structure(
        {
            "steps": 1,
            "batch_size": 2,
            "device": "cpu",
            "model": {"crop_size": CROP, "base_channels": 4, "depth": 2, "bottleneck_blocks": 0},
            "recognizer": {"arch": "tiny", "embedding_dim": 64},
            "losses": [{"type": "reconstruction"}],
            "augment": {"names": []},
            "eval": {"max_pairs": max_pairs, "lpips": "off", "samples": samples},
            "hooks": [],
        },
        TrainConfig,
    )
    plugins = get_plugins()
    runner = TrainRunner(config, BuildContext(plugins, ModelStore()))
    experiment = structure({"data": {"type": "lfw", "root": str(root)}}, ExperimentConfig)
    work.mkdir(parents=True, exist_ok=True)
    session = Session(
        runner, experiment, WorkDir(work), torch.device("cpu"), distributed.DistInfo()
    )
    session._data()
    session._models()
    return session


def chance_bounds(pairs: int, identities: int) -> tuple[float, float]:
    """Central binomial interval of top-1 under pure chance, each tail below FALSE_ALARM."""
    low = binom.ppf(FALSE_ALARM, pairs, 1 / identities) / pairs
    high = binom.isf(FALSE_ALARM, pairs, 1 / identities) / pairs
    return float(low), float(high)


@pytest.mark.parametrize("salt", [0, 1])
def test_training_retrieval_is_chance_with_a_recognizer_that_carries_no_identity(
    tmp_path: Path, salt: int
) -> None:
    root = synthetic_prepared(
        tmp_path / "data", identities=IDENTITIES, per_identity=IMAGES_PER_IDENTITY, seed=salt
    )
    session = validation_session(root, tmp_path / "run", max_pairs=IDENTITIES * IMAGES_PER_IDENTITY)
    recognizer = NoIdentityRecognizer(64, salt)
    session.recognizer = recognizer  # type: ignore[assignment]
    session.generator = SourceCopier(recognizer)  # type: ignore[assignment]
    metrics = session.evaluate(0)
    pairs = len(session.eval_set.swaps)
    assert pairs == IDENTITIES * IMAGES_PER_IDENTITY
    low, high = chance_bounds(pairs, IDENTITIES)
    top1 = metrics["val/id_retrieval_top1"]
    print(
        f"salt={salt} pairs={pairs} top1={top1:.4f} chance={1 / IDENTITIES} bounds=({low}, {high})"
    )
    assert low <= top1 <= high
    assert top1 < 0.5  # far from the 1.0 of a gallery that holds the source image
    assert metrics["val/identity_cosine"] == pytest.approx(1.0, abs=1e-6)  # output = source


@pytest.mark.parametrize("validation", ["val split", "held-back train images"])
def test_the_retrieval_gallery_never_contains_the_pairs_own_images(
    tmp_path: Path, validation: str
) -> None:
    """One-hot embeddings (one axis per image) show exactly which images each gallery holds."""
    identities = IDENTITIES if validation == "val split" else 1  # 1: too few for a val split
    root = synthetic_prepared(tmp_path / "data", identities=identities, per_identity=3, seed=0)
    if identities == 1:  # everyone in train: validation falls back to held-back images
        info = json.loads((root / INFO).read_text())
        info["assignment"] = dict.fromkeys(info["assignment"], "train")
        (root / INFO).write_text(json.dumps(info))
        (root / "manifest.json").unlink()
        update_manifest(root, labeling_for(info["assignment"], 0), name="lfw")
    session = validation_session(root, tmp_path / "run", max_pairs=100)
    eval_set = session.eval_set
    assert eval_set.source == validation
    axis = {index: n for n, index in enumerate(eval_set.gallery)}
    one_hot = {index: np.eye(len(axis))[n] for index, n in axis.items()}
    outputs = np.stack([one_hot[source] for _, source in eval_set.swaps])  # output = source
    records = identity_records(eval_set, one_hot, outputs)
    assert len(records) == len(eval_set.swaps) > 0
    labels = eval_set.split.labels
    for record, (target, source) in zip(records, eval_set.swaps, strict=True):
        for vector in record.gallery.values():
            assert vector[axis[source]] == 0.0
            assert vector[axis[target]] == 0.0
        others = [i for i in eval_set.gallery if labels[i] == labels[source] and i != source]
        expected = sum(one_hot[i] for i in others)
        assert record.gallery[labels[source]] == pytest.approx(expected / np.linalg.norm(expected))
    # the source-copying output is orthogonal to its own gallery entry: never a hit
    top1 = {v.name: v.value for v in identity_values(records)}["identity_top1"]
    assert top1 == 0.0


@pytest.mark.parametrize(("first", "second"), [(4, 1), (1, 1)])
def test_two_people_with_few_photos_still_give_samples_and_swaps(
    tmp_path: Path, first: int, second: int
) -> None:
    """LFW has many people with one photo: a two-person folder must still validate."""
    root = tmp_path / "data"
    import cv2

    rng = np.random.default_rng(0)
    assignment = {"ann": "train", "bob": "train"}
    for name, count in (("ann", first), ("bob", second)):
        (root / CROPS / name).mkdir(parents=True)
        for k in range(count):
            pixels = rng.integers(0, 256, (CROP, CROP, 3), dtype=np.uint8)
            cv2.imwrite(str(root / CROPS / name / f"{name}_{k:04d}.png"), pixels)
    info = {"dataset": "lfw", "crop_size": CROP, "template": "arcface", "seed": 0}
    (root / INFO).write_text(json.dumps({**info, "assignment": assignment}))
    update_manifest(root, labeling_for(assignment, 0), name="lfw")
    session = validation_session(root, tmp_path / "run", max_pairs=16, samples=4)
    assert session.eval_set.swaps  # a swap pair across the two people, whatever the counts
    metrics = session.evaluate(0)
    assert (tmp_path / "run" / "samples" / "step_000000.png").stat().st_size > 0
    assert "val/ssim" in metrics
    assert "val/identity_cosine" in metrics


def test_retrieval_with_no_scorable_pair_is_nan_not_a_guess(tmp_path: Path) -> None:
    """One photo per person: no gallery entry survives leaving the source out (LFW's usual
    case), so retrieval is not measurable; NaN keeps the name for best_metric without a crash."""
    import math

    root = synthetic_prepared(tmp_path / "data", identities=5, per_identity=1, seed=0)
    session = validation_session(root, tmp_path / "run", max_pairs=10)
    metrics = session.evaluate(0)
    assert math.isnan(metrics["val/id_retrieval_top1"])
    assert math.isfinite(metrics["val/identity_cosine"])
