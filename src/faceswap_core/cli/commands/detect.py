"""``faceswap detect``: faces with boxes, scores and five keypoints."""

from __future__ import annotations

import json
from pathlib import Path

import click
import cv2
import numpy as np

from faceswap_core.cli.context import plugins_from
from faceswap_core.cli.options import (
    apply_runtime_options,
    config_options,
    pipeline_config,
    runtime_options,
)
from faceswap_core.errors import ConfigError
from faceswap_core.interfaces.face import Face, Image
from faceswap_core.io.atomic import check_output_path
from faceswap_core.io.encode import format_for_path, write_image
from faceswap_core.pipeline.image import Pipeline


def draw_faces(image: Image, faces: list[Face]) -> Image:
    """A copy of ``image`` with boxes, scores and keypoints drawn on it."""
    canvas = np.ascontiguousarray(image.copy())
    thickness = max(1, round(max(image.shape[:2]) / 400))
    for face in faces:
        x1, y1, x2, y2 = (round(v) for v in face.bbox)
        cv2.rectangle(canvas, (x1, y1), (x2, y2), (0, 255, 0), thickness)
        cv2.putText(
            canvas,
            f"{face.score:.2f}",
            (x1, max(y1 - 4, 10)),
            cv2.FONT_HERSHEY_SIMPLEX,
            0.4 * thickness,
            (0, 255, 0),
            thickness,
        )
        for x, y in face.kps:
            cv2.circle(canvas, (round(x), round(y)), thickness + 1, (255, 0, 0), -1)
    return canvas


@click.command("detect")
@click.argument("image")
@click.option("--json", "as_json", is_flag=True, help="Print faces as JSON.")
@click.option("--draw", default=None, help="Write a copy of IMAGE with the faces drawn on it.")
@click.option("--overwrite", is_flag=True, help="Replace an existing --draw file.")
@config_options
@runtime_options
@click.pass_context
def command(
    ctx: click.Context,
    image: str,
    as_json: bool,
    draw: str | None,
    overwrite: bool,
    config: str | None,
    overrides: tuple[str, ...],
    runtime: str | None,
    providers: tuple[str, ...],
) -> None:
    """Detect faces in IMAGE (with the detector and limits of --config / --set)."""
    if draw is not None:
        format_for_path(draw)  # a bad suffix fails before the detector loads
        check_output_path(draw, overwrite=overwrite, what="--draw")
        if Path(draw).resolve() == Path(image).resolve():
            raise ConfigError(f"--draw {draw} would replace the input image; choose another name")
    resolved = apply_runtime_options(pipeline_config(config, overrides), runtime, providers)
    pipeline = Pipeline(resolved, plugins_from(ctx))
    frame = pipeline.decode(Path(image), name="image")
    faces = pipeline.detect(frame)
    if draw is not None:
        write_image(Path(draw), draw_faces(frame, faces), provenance=False, overwrite=overwrite)
    if as_json:
        click.echo(json.dumps({"image": image, "faces": [f.to_dict() for f in faces]}, indent=2))
        return
    click.echo(f"{image}: {len(faces)} face(s)")
    for index, face in enumerate(faces):
        x1, y1, x2, y2 = face.bbox
        click.echo(
            f"  #{index}: box ({x1:.0f}, {y1:.0f}, {x2:.0f}, {y2:.0f}) score {face.score:.3f}"
        )
