"""A few frames spread evenly over a video (evaluation on videos, previews).

Reaching a frame by seeking is much cheaper than decoding the whole file, so
the packets' timestamps are read first and each chosen frame is reached from
the keyframe before it; streams that cannot seek are decoded from the start.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import av.error
import numpy as np

from faceswap_core.errors import ConfigError, InvalidVideoError
from faceswap_core.interfaces.face import Image
from faceswap_core.io.video.containers import open_input
from faceswap_core.io.video.orientation import upright
from faceswap_core.io.video.probe import probe_video


def read_frames(
    path: str | os.PathLike[str], count: int, *, name: str = "video", rotate: bool = True
) -> list[Image]:
    """``count`` frames evenly spaced over the video (first and last included), upright.

    Frame positions are exact: the packets' timestamps are read first (no
    decoding), then each chosen frame is reached by seeking to the keyframe
    before it. Streams without timestamps or that cannot seek are decoded
    from the start instead. For fewer frames than ``count`` every frame is
    returned.

    :param rotate: turn frames as the display rotation says (:func:`upright`).
    """
    if count < 1:
        raise ConfigError(f"read_frames needs count >= 1, got {count}")
    label = f"{name} {os.fspath(path)!r}"
    rotation = probe_video(path, name=name).rotation if rotate else 0
    container = open_input(path, label)
    try:
        packets = [p for p in container.demux(container.streams.video[0]) if p.size > 0]
        times = sorted({int(p.pts) for p in packets if p.pts is not None})
        timed = bool(packets) and len(times) == len(packets)
    finally:
        container.close()
    frames: list[Image] = []
    if timed:
        picks = sorted({times[round(i)] for i in np.linspace(0, len(times) - 1, count)})
        frames = _seek_frames(path, label, picks)
    if not frames:
        frames = _scan_frames(path, label, count)
    if not frames:
        raise InvalidVideoError(f"cannot decode {label}: no frame could be decoded")
    return [upright(frame, rotation) for frame in frames]


def _seek_frames(path: str | os.PathLike[str], label: str, picks: list[int]) -> list[Image]:
    """The frames at the given timestamps, reached by seeking; [] if seeking fails."""
    container = open_input(path, label)
    frames: list[Image] = []
    try:
        stream = container.streams.video[0]
        for target in picks:
            container.seek(target, stream=stream, backward=True)
            stream.codec_context.flush_buffers()
            for frame in container.decode(stream):
                if frame.pts is not None and frame.pts >= target:
                    frames.append(frame.to_ndarray(format="rgb24"))
                    break
    except av.error.FFmpegError:
        return []
    finally:
        container.close()
    return frames


def _scan_frames(path: str | os.PathLike[str], label: str, count: int) -> list[Image]:
    """Two passes from the start: count the frames, then keep the evenly spaced ones."""

    def decoded() -> Iterator[Any]:
        container = open_input(path, label)
        try:
            yield from container.decode(container.streams.video[0])
        except av.error.FFmpegError:
            return
        finally:
            container.close()

    total = sum(1 for _ in decoded())
    if total == 0:
        return []
    wanted = {round(i) for i in np.linspace(0, total - 1, count)}
    return [
        frame.to_ndarray(format="rgb24") for index, frame in enumerate(decoded()) if index in wanted
    ]


__all__ = ["read_frames"]
