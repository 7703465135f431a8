"""``faceswap demo``: a real swap on sample faces, offline, with the embedded models."""

from __future__ import annotations

from pathlib import Path

import click
import cv2
import numpy as np

from faceswap_core.cli.context import plugins_from
from faceswap_core.cli.spec_command import spec_command
from faceswap_core.errors import ConfigError, FaceswapError
from faceswap_core.interfaces.face import Face, Image
from faceswap_core.io.atomic import refuse_special
from faceswap_core.io.encode import write_image
from faceswap_core.io.provenance import SOFTWARE_NAME, read_provenance
from faceswap_core.operations.demo import DEMO, DemoSpec
from faceswap_core.pipeline.image import Pipeline
from faceswap_core.pipeline.settings import spec_pipeline
from faceswap_core.tools.samples import demo_pair


def _face_panel(image: Image, face: Face, height: int) -> Image:
    """The area around ``face`` (1.8x its box), resized to ``height`` px square."""
    cx, cy = face.center
    half = max(face.width, face.height) * 0.9
    x1, y1 = int(max(cx - half, 0)), int(max(cy - half, 0))
    x2, y2 = int(min(cx + half, image.shape[1])), int(min(cy + half, image.shape[0]))
    crop = image[y1:y2, x1:x2]
    return np.asarray(cv2.resize(crop, (height, height), interpolation=cv2.INTER_AREA), np.uint8)


def side_by_side(panels: list[Image], height: int) -> Image:
    """Panels resized to one height and joined left to right with a 4 px gap."""
    resized = []
    for panel in panels:
        width = max(1, round(panel.shape[1] * height / panel.shape[0]))
        resized.append(cv2.resize(panel, (width, height), interpolation=cv2.INTER_AREA))
        resized.append(np.full((height, 4, 3), 255, np.uint8))
    return np.ascontiguousarray(np.hstack(resized[:-1]), dtype=np.uint8)


DEMO_FILES = ("swap.png", "side_by_side.png")


def written_by_faceswap(path: Path) -> bool:
    """Whether an existing file is an image whose provenance says faceswap wrote it."""
    try:
        record = read_provenance(path)
    except FaceswapError:
        return False
    return record is not None and (record.software or "").startswith(SOFTWARE_NAME)


def check_outputs(folder: Path, overwrite: bool) -> dict[str, bool]:
    """Refuse to replace a file faceswap did not write, unless ``--overwrite``.

    A rerun of the demo replaces its own earlier outputs (they carry
    faceswap's provenance), so the quickstart can be run twice. Devices,
    FIFOs, sockets and symbolic links are never replaced. Returns, per file,
    whether its write may replace what is there: a file that appears after
    this check is kept (the write fails) unless ``--overwrite``.
    """
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"demo output {folder} is a file; pass a folder with -o")
    replace: dict[str, bool] = {}
    for name in DEMO_FILES:
        path = folder / name
        refuse_special(path)
        ours = path.is_file() and written_by_faceswap(path)
        if path.exists() and not overwrite and not ours:
            raise ConfigError(
                f"{path} exists and was not written by faceswap; pass --overwrite to replace "
                "it or choose another folder with -o"
            )
        replace[name] = overwrite or ours
    return replace


def run(ctx: click.Context, spec: DemoSpec) -> None:
    """Swap the demo pair and write both images."""
    output = str(spec.output)
    replace = check_outputs(Path(output), spec.overwrite)
    pipeline = Pipeline(spec_pipeline(spec), plugins_from(ctx))
    source, target = demo_pair(pipeline)
    identity = pipeline.prepare_source(source)
    result = pipeline.swap(target, identity)
    folder = Path(output)
    folder.mkdir(parents=True, exist_ok=True)
    # The swapper's source type; signed too when FACESWAP_C2PA_CERT / _KEY name a signer.
    mark = pipeline.mark(target=target, source=identity)
    write_image(folder / "swap.png", result.image, provenance=mark, overwrite=replace["swap.png"])
    panels = [_face_panel(source, identity.face, target.shape[0]), target, result.image]
    write_image(
        folder / "side_by_side.png",
        side_by_side(panels, target.shape[0]),
        provenance=mark,
        overwrite=replace["side_by_side.png"],
    )
    click.echo(
        f"swapped {len(result.swapped)} face(s) in ~{sum(result.timings.values()):.0f} ms; "
        f"wrote {folder / 'swap.png'} and {folder / 'side_by_side.png'}"
    )


command = spec_command(DEMO, run)
