"""Contact sheets of validation swaps: ``samples/step_<step, 6 digits>.png`` in a run folder.

Each row shows one pair as source | target | output | mask, so a person
watching a run sees what the numbers mean. Written atomically, as PNG.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from faceswap_core.io.atomic import atomic_path


def _u8(image: torch.Tensor) -> np.ndarray[Any, Any]:
    """One C x H x W image in [0, 1] as H x W x 3 ``uint8`` (a one-channel mask made grey)."""
    pixels = (image.clamp(0, 1).permute(1, 2, 0).cpu().numpy() * 255 + 0.5).astype(np.uint8)
    return np.repeat(pixels, 3, axis=2) if pixels.shape[2] == 1 else pixels


def write_sample_sheet(
    path: Path,
    rows: int,
    sources: torch.Tensor,
    targets: torch.Tensor,
    outputs: torch.Tensor,
    masks: torch.Tensor,
) -> Path:
    """Write the first ``rows`` pairs (N x C x H x W tensors in [0, 1]) as one PNG sheet."""
    import cv2

    count = min(rows, len(outputs))
    sheet = np.concatenate(
        [
            np.concatenate(
                [_u8(sources[r]), _u8(targets[r]), _u8(outputs[r]), _u8(masks[r])], axis=1
            )
            for r in range(count)
        ],
        axis=0,
    )
    with atomic_path(path) as temp:
        ok, data = cv2.imencode(".png", np.ascontiguousarray(sheet[:, :, ::-1]))
        if not ok:
            raise OSError("PNG encoding of the sample sheet failed")
        temp.write_bytes(data.tobytes())
    return path


__all__ = ["write_sample_sheet"]
