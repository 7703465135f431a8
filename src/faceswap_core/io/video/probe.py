"""What a video file holds, read without decoding more than its first frame.

:func:`probe_video` gives the container, codec, stored size, display
rotation (read from the first decodable frame, where FFmpeg attaches the
stream's display matrix), rate, frame count, duration, the other streams
and the container metadata (with the provenance record, if any).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

import attrs
import av
import av.error

from faceswap_core.io.limits import DEFAULT_MAX_PIXELS
from faceswap_core.io.provenance import Provenance, provenance_from_tags
from faceswap_core.io.video.containers import COPY_TYPES, check_pixels, open_input


@attrs.frozen
class StreamInfo:
    """One non-video stream of a container: its index, kind, codec and language."""

    index: int
    type: str
    codec: str
    language: str | None = None


@attrs.frozen
class VideoInfo:
    """What :func:`probe_video` reads from a container and its first video frame.

    :ivar width: stored frame width (before ``rotation``).
    :ivar height: stored frame height.
    :ivar rotation: display rotation in degrees, counter-clockwise (0, 90, 180, -90).
    :ivar fps: average frame rate, ``None`` when the container does not say.
    :ivar frames: frame count from the header, else estimated from duration and fps.
    :ivar duration: seconds, ``None`` when unknown.
    :ivar time_base: the video stream's time base (units of
        :attr:`~faceswap_core.io.video.reader.DecodedFrame.pts`).
    :ivar streams: the audio and subtitle streams.
    :ivar metadata: the container's metadata tags.
    """

    path: str
    format: str
    codec: str
    width: int
    height: int
    rotation: int
    fps: Fraction | None
    frames: int | None
    duration: float | None
    time_base: Fraction
    pix_fmt: str | None
    streams: tuple[StreamInfo, ...] = ()
    metadata: Mapping[str, str] = attrs.field(factory=dict)

    @property
    def provenance(self) -> Provenance | None:
        """The provenance record in the container metadata (see :func:`~.provenance.video_tags`)."""
        return provenance_from_tags(self.metadata)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields (``faceswap inspect --json``)."""
        record = self.provenance
        return {
            "path": self.path,
            "format": self.format,
            "codec": self.codec,
            "width": self.width,
            "height": self.height,
            "rotation": self.rotation,
            "fps": None if self.fps is None else round(float(self.fps), 6),
            "frames": self.frames,
            "duration": None if self.duration is None else round(self.duration, 6),
            "streams": [attrs.asdict(stream) for stream in self.streams],
            "provenance": None if record is None else record.to_dict(),
        }


def _rate(stream: Any) -> Fraction | None:
    for rate in (stream.average_rate, stream.guessed_rate, stream.base_rate):
        if rate:
            return Fraction(rate)
    return None


def _duration(container: Any, stream: Any) -> float | None:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return float(container.duration) / av.time_base
    return None


def _first_rotation(container: Any, stream: Any) -> int:
    """Display rotation of the first decodable frame (FFmpeg attaches the stream's matrix)."""
    try:
        for frame in container.decode(stream):
            return int(frame.rotation)
    except av.error.FFmpegError:
        return 0
    return 0


def _info(container: Any, path: str | os.PathLike[str], rotation: int) -> VideoInfo:
    stream = container.streams.video[0]
    fps = _rate(stream)
    duration = _duration(container, stream)
    frames: int | None = int(stream.frames) if stream.frames else None
    if frames is None and duration is not None and fps is not None:
        frames = max(round(duration * float(fps)), 0)
    others = tuple(
        StreamInfo(
            index=s.index,
            type=s.type,
            codec=s.codec_context.name if s.codec_context is not None else "unknown",
            language=s.language,
        )
        for s in container.streams
        if s.type in COPY_TYPES
    )
    context = stream.codec_context
    return VideoInfo(
        path=os.fspath(path),
        format=container.format.name,
        codec=context.name,
        width=int(context.width),
        height=int(context.height),
        rotation=rotation,
        fps=fps,
        frames=frames,
        duration=duration,
        time_base=Fraction(stream.time_base) if stream.time_base else Fraction(1, 1000),
        pix_fmt=context.pix_fmt,
        streams=others,
        metadata=dict(container.metadata),
    )


def probe_video(
    path: str | os.PathLike[str], *, name: str = "video", max_pixels: int = DEFAULT_MAX_PIXELS
) -> VideoInfo:
    """Container, codec, size, rotation, rate, frame count and streams of a video file.

    :raises InputError: the path is missing, a folder or unreadable.
    :raises InvalidVideoError: empty, not a video, truncated, a still image, no video
        stream, or frames larger than ``max_pixels``.
    """
    label = f"{name} {os.fspath(path)!r}"
    container = open_input(path, label)
    try:
        stream = container.streams.video[0]
        check_pixels(label, stream.codec_context.width, stream.codec_context.height, max_pixels)
        rotation = _first_rotation(container, stream)
        return _info(container, path, rotation)
    finally:
        container.close()


__all__ = ["StreamInfo", "VideoInfo", "probe_video"]
