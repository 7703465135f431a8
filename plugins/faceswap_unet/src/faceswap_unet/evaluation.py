"""Validation during training: the generator swaps the fixed pairs and core's metrics score them.

The frozen recognizer embeds the swapped outputs and the retrieval gallery's
images; :mod:`.validation` turns them into core's metric values (SSIM and
PSNR on reconstructions, identity retrieval and cosines on swaps), and
LPIPS, when loaded, scores the same ``uint8`` crops ``faceswap eval`` would.
Rank 0 also writes a contact sheet of the swaps (:mod:`.sample_sheets`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from faceswap_unet.pairs import resize, to_batch
from faceswap_unet.sample_sheets import write_sample_sheet
from faceswap_unet.validation import (
    EvalSet,
    identity_records,
    identity_values,
    logged,
    reconstruction_values,
)

EVAL_BATCH = 16
"""Images per forward pass during validation."""

Tensors = tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]


def to_uint8(images: torch.Tensor) -> np.ndarray[Any, Any]:
    """N x C x H x W in [0, 1] -> N x H x W x C ``uint8`` (rounded)."""
    pixels = images.clamp(0, 1).permute(0, 2, 3, 1).cpu().numpy() * 255 + 0.5
    return pixels.astype(np.uint8)


class Validator:
    """Scores a generator on the fixed validation pairs of :class:`~.validation.EvalSet`.

    The generator and recognizer are passed per call, so the session's
    current models (replaced in tests) are the ones scored.

    :param autocast: the session's autocast context factory (AMP on CUDA).
    :param sample_rows: rows of the contact sheet written per evaluation (0: none).
    :param log: the session's ``log(event, level, **fields)``.
    """

    def __init__(
        self,
        eval_set: EvalSet,
        *,
        crop_size: int,
        device: torch.device,
        autocast: Callable[[], Any],
        lpips: Any | None,
        sample_rows: int,
        samples_dir: Path,
        log: Callable[..., None],
    ) -> None:
        self.eval_set = eval_set
        self.crop_size = crop_size
        self.device = device
        self.autocast = autocast
        self.lpips = lpips
        self.sample_rows = sample_rows
        self.samples_dir = samples_dir
        self.log = log

    def _embed(self, recognizer: torch.nn.Module, images: torch.Tensor) -> np.ndarray[Any, Any]:
        """Unit embeddings (N x D float64) of N x 3 x S x S images by the frozen recognizer."""
        vectors = np.concatenate(
            [
                recognizer(images[i : i + EVAL_BATCH]).float().cpu().numpy()
                for i in range(0, len(images), EVAL_BATCH)
            ]
        ).astype(np.float64)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return np.asarray(vectors / np.where(norms > 0, norms, 1.0))

    def _generate(
        self,
        generator: torch.nn.Module,
        recognizer: torch.nn.Module,
        pairs: list[tuple[int, int]],
    ) -> Tensors:
        split, size = self.eval_set.split, self.crop_size
        targets = to_batch([resize(split.image(t), size) for t, _ in pairs]).to(self.device)
        sources = to_batch([resize(split.image(s), size) for _, s in pairs]).to(self.device)
        outputs, masks = [], []
        for i in range(0, len(pairs), EVAL_BATCH):
            embedding = recognizer(sources[i : i + EVAL_BATCH])
            with self.autocast():
                output, mask = generator(targets[i : i + EVAL_BATCH], embedding)
            outputs.append(output.float())
            masks.append(mask.float())
        return targets, sources, torch.cat(outputs), torch.cat(masks)

    @torch.no_grad()
    def __call__(
        self, generator: torch.nn.Module, recognizer: torch.nn.Module, step: int
    ) -> dict[str, float]:
        """``{"val/<name>": value}`` of the generator at ``step`` (:mod:`.validation`)."""
        generator.eval()
        result: dict[str, float] = {}
        recon = self.eval_set.recon
        targets, _, outputs, _ = self._generate(generator, recognizer, recon)
        result["val/loss_reconstruction"] = float((outputs - targets).abs().mean())
        out_u8, tgt_u8 = to_uint8(outputs), to_uint8(targets)
        result.update(logged(reconstruction_values(out_u8, tgt_u8)))
        if self.lpips is not None:
            # the eval metric's input: the uint8 crops, scaled to [-1, 1]
            out_q = torch.from_numpy(out_u8).permute(0, 3, 1, 2).float().to(self.device) / 127.5
            tgt_q = torch.from_numpy(tgt_u8).permute(0, 3, 1, 2).float().to(self.device) / 127.5
            distances = [
                self.lpips(out_q[i : i + EVAL_BATCH] - 1, tgt_q[i : i + EVAL_BATCH] - 1).flatten()
                for i in range(0, len(recon), EVAL_BATCH)
            ]
            result["val/lpips"] = float(torch.cat(distances).mean())
        swaps = self.eval_set.swaps
        if swaps:
            s_targets, s_sources, s_outputs, s_masks = self._generate(generator, recognizer, swaps)
            split, size = self.eval_set.split, self.crop_size
            members = self.eval_set.gallery
            images = to_batch([resize(split.image(i), size) for i in members]).to(self.device)
            embeddings = dict(zip(members, self._embed(recognizer, images), strict=True))
            records = identity_records(
                self.eval_set, embeddings, self._embed(recognizer, s_outputs)
            )
            identity = identity_values(records)
            result.update(logged(identity))
            unscored = next(v for v in identity if v.name == "identity_top1").details
            if unscored and step == 0:
                self.log(
                    "retrieval_unscored",
                    "warning",
                    pairs=unscored.get("unscored_pairs"),
                    reason="the source's identity has no other image in the gallery",
                )
            if self.sample_rows:
                self.sample_sheet(step, s_sources, s_targets, s_outputs, s_masks)
        elif self.sample_rows:  # one identity: show reconstructions
            r_targets, r_sources, r_outputs, r_masks = self._generate(generator, recognizer, recon)
            self.sample_sheet(step, r_sources, r_targets, r_outputs, r_masks)
        generator.train()
        return result

    def sample_sheet(
        self,
        step: int,
        sources: torch.Tensor,
        targets: torch.Tensor,
        outputs: torch.Tensor,
        masks: torch.Tensor,
    ) -> Path:
        """``samples/step_<step, 6 digits>.png``: rows of source | target | output | mask."""
        path = self.samples_dir / f"step_{step:06d}.png"
        return write_sample_sheet(path, self.sample_rows, sources, targets, outputs, masks)


__all__ = ["EVAL_BATCH", "Validator", "to_uint8"]
