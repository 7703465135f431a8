"""``faceswap detect``: faces with boxes, scores and five keypoints."""

from __future__ import annotations

from pathlib import Path

import click
import cv2
import numpy as np

from faceswap_core.cli.context import plugins_from
from faceswap_core.cli.jsonlines import emit, emit_summary
from faceswap_core.cli.spec_command import spec_command
from faceswap_core.errors import ConfigError
from faceswap_core.interfaces.face import Face, Image
from faceswap_core.io.atomic import check_output_path
from faceswap_core.io.encode import format_for_path, write_image
from faceswap_core.operations.detect import DETECT, DetectSpec
from faceswap_core.pipeline.image import Pipeline
from faceswap_core.pipeline.settings import spec_pipeline


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


def run(ctx: click.Context, spec: DetectSpec) -> None:
    """Detect, print (lines or JSON Lines) and optionally draw the faces."""
    image = str(spec.image)
    draw = spec.output
    if draw is not None:
        format_for_path(draw)  # a bad suffix fails before the detector loads
        check_output_path(draw, overwrite=spec.overwrite, what="-o/--output")
        if Path(draw).resolve() == Path(image).resolve():
            raise ConfigError(f"-o {draw} would replace the input image; choose another name")
    pipeline = Pipeline(spec_pipeline(spec), plugins_from(ctx))
    frame = pipeline.decode(Path(image), name="image")
    faces = pipeline.detect(frame)
    if draw is not None:
        write_image(
            Path(draw), draw_faces(frame, faces), provenance=False, overwrite=spec.overwrite
        )
    if spec.json:
        emit({"image": image, "faces": [f.to_dict() for f in faces]})
        emit_summary({"images": 1, "faces": len(faces), "output": draw})
        return
    click.echo(f"{image}: {len(faces)} face(s)")
    for index, face in enumerate(faces):
        x1, y1, x2, y2 = face.bbox
        click.echo(
            f"  #{index}: box ({x1:.0f}, {y1:.0f}, {x2:.0f}, {y2:.0f}) score {face.score:.3f}"
        )


command = spec_command(DETECT, run)
