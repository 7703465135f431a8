"""Video files in and out with PyAV (FFmpeg): probe, decode to RGB frames, encode, remux.

The pipeline only ever sees RGB ``uint8`` frames; everything about containers
lives here. A few decisions, taken once:

- Frames keep their presentation timestamps, in the input stream's time base,
  so variable frame rate survives a round trip and the frame count is kept.
- Frames come out as stored; :func:`upright` turns one the way the display
  matrix (``rotation``) says, and the writer puts the same rotation back.
- Audio and subtitle packets travel with the frame they precede
  (:attr:`DecodedFrame.packets`), so a writer in another thread muxes them in
  demux order. They are copied without re-encoding when the output container
  takes their codec; audio the container cannot take is re-encoded to its
  default audio codec, subtitles it cannot take are dropped (and reported).
- A packet the decoder rejects is skipped and counted (:attr:`VideoReader.skipped`);
  a file that cannot be opened at all is an :class:`InvalidVideoError` (exit 3).

Writing a file atomically is the caller's job (``io.atomic.atomic_path``):
:class:`VideoWriter` writes wherever it is told.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import attrs
import av
import av.error
import cv2
import numpy as np

from faceswap_core.errors import (
    ConfigError,
    InputError,
    InvalidImageError,
    InvalidVideoError,
    VideoTooLargeError,
)
from faceswap_core.interfaces.face import Image
from faceswap_core.io.atomic import atomic_path
from faceswap_core.io.limits import DEFAULT_MAX_PIXELS
from faceswap_core.io.provenance import Provenance, provenance_from_tags
from faceswap_core.io.read import check_regular_file

VIDEO_SUFFIXES: tuple[str, ...] = (".mp4", ".mov", ".m4v", ".mkv", ".webm", ".avi")
"""File suffixes taken as videos (``faceswap inspect``, output containers)."""

CRF_CODECS: dict[str, int] = {"libx264": 18, "libx265": 22, "libvpx-vp9": 32, "libsvtav1": 32}
"""Encoders with a constant-quality (CRF) mode, and the default CRF used with each."""

PRESET_CODECS: dict[str, str] = {"libx264": "veryfast", "libx265": "veryfast"}
"""Encoders that take an x264-style ``preset``, and the default (speed over file size)."""

PRESETS: tuple[str, ...] = (
    "ultrafast", "superfast", "veryfast", "faster", "fast",
    "medium", "slow", "slower", "veryslow", "placebo",
)  # fmt: skip
"""The x264 / x265 speed presets, fastest first; anything else is refused before encoding."""


def check_preset(preset: str | None) -> None:
    """Refuse a preset x264 / x265 do not know (they would log it and fail mid-setup)."""
    if preset is not None and preset not in PRESETS:
        raise ConfigError(f"unknown --preset {preset!r}; use one of {', '.join(PRESETS)}")


# Container metadata written by the muxer itself, not carried from the input.
_TECHNICAL_TAGS = frozenset({"major_brand", "minor_version", "compatible_brands", "encoder"})
_MOV_FORMATS = ("mov", "mp4", "m4a", "3gp", "3g2", "mj2", "ipod", "ismv", "psp")
_COPY_TYPES = ("audio", "subtitle")


def _is_image_demuxer(name: str) -> bool:
    return name == "image2" or name.endswith("_pipe")


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
    :ivar time_base: the video stream's time base (units of :attr:`DecodedFrame.pts`).
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


@attrs.frozen(eq=False)
class DecodedFrame:
    """One decoded frame, as stored in the file.

    :ivar image: RGB ``uint8`` (H x W x 3), not rotated; see :func:`upright`.
    :ivar index: position among the frames read (0-based).
    :ivar pts: presentation timestamp in :attr:`VideoInfo.time_base` units,
        shifted by ``start`` when the reader trims.
    :ivar time: ``pts`` in seconds.
    :ivar packets: audio / subtitle packets demuxed before this frame, for the writer.
    """

    image: Image
    index: int
    pts: int | None
    time: float | None
    packets: tuple[Any, ...] = ()


def parse_time(text: str) -> float:
    """``"12.5"``, ``"1:02.5"`` or ``"01:00:02"`` -> seconds; anything else is a ConfigError."""
    match = re.fullmatch(r"\s*(?:(?:(\d+):)?(\d+):)?(\d+(?:\.\d*)?)\s*", text)
    if match is None:
        raise ConfigError(f"time {text!r} is not seconds or [HH:]MM:SS[.ms]; use e.g. 12.5 or 1:02")
    hours, minutes, seconds = match.groups()
    return int(hours or 0) * 3600 + int(minutes or 0) * 60 + float(seconds)


def upright(image: Image, rotation: int) -> Image:
    """The frame as a player shows it: turned ``rotation`` degrees counter-clockwise."""
    turns = round(rotation / 90) % 4
    return image if turns == 0 else np.ascontiguousarray(np.rot90(image, turns))


def stored(image: Image, rotation: int) -> Image:
    """The inverse of :func:`upright`: back to the orientation kept in the file."""
    turns = round(rotation / 90) % 4
    return image if turns == 0 else np.ascontiguousarray(np.rot90(image, -turns))


# -- opening -------------------------------------------------------------------------------


def _check_file(path: str | os.PathLike[str], label: str) -> None:
    info = check_regular_file(path, label, kind="a video file")
    if info.st_size == 0:
        raise InvalidVideoError(f"cannot decode {label}: file is empty (0 bytes)")


def _looks_like_mp4(path: str | os.PathLike[str]) -> bool:
    with open(path, "rb") as handle:
        head = handle.read(12)
    return head[4:8] in (b"ftyp", b"mdat", b"moov", b"wide", b"free")


def _open_input(path: str | os.PathLike[str], label: str) -> Any:
    """An opened PyAV input container with its first video stream checked."""
    _check_file(path, label)
    try:
        container = av.open(os.fspath(path), metadata_errors="replace")
    except (av.error.FFmpegError, UnicodeDecodeError) as exc:
        if _looks_like_mp4(path):
            raise InvalidVideoError(
                f"cannot decode {label}: the MP4/MOV file is truncated or damaged "
                "(its index cannot be read); re-export or re-download it"
            ) from None
        reason = getattr(exc, "strerror", None) or str(exc)
        raise InvalidVideoError(
            f"cannot decode {label}: not a video FFmpeg can read ({reason})"
        ) from None
    format_name = container.format.name
    if _is_image_demuxer(format_name):
        container.close()
        raise InvalidVideoError(
            f"cannot decode {label}: it is a still image, not a video; use `faceswap swap`"
        )
    if not container.streams.video:
        kinds: list[str] = sorted({str(stream.type) for stream in container.streams}) or ["no"]
        container.close()
        raise InvalidVideoError(
            f"cannot decode {label}: it has no video stream ({', '.join(kinds)} streams only)"
        )
    return container


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
        if s.type in _COPY_TYPES
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
    container = _open_input(path, label)
    try:
        stream = container.streams.video[0]
        _check_pixels(label, stream.codec_context.width, stream.codec_context.height, max_pixels)
        rotation = _first_rotation(container, stream)
        return _info(container, path, rotation)
    finally:
        container.close()


def _check_pixels(label: str, width: int, height: int, max_pixels: int) -> None:
    if width * height > max_pixels:
        raise VideoTooLargeError(
            f"cannot decode {label}: frames of {width}x{height} are over the limit of "
            f"{max_pixels} pixels (max_pixels); raise limits.max_pixels to allow them"
        )


# -- reading -------------------------------------------------------------------------------


class VideoReader:
    """Decodes a video's frames in presentation order, with the other streams' packets.

    Use as a context manager and iterate once::

        with VideoReader("clip.mp4") as reader:
            for frame in reader:
                ...

    :param start: skip frames (and packets) before this many seconds; timestamps
        are shifted so the output starts there.
    :param end: stop at this many seconds.
    :param copy_streams: hand audio and subtitle packets to the writer.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        name: str = "video",
        start: float | None = None,
        end: float | None = None,
        max_pixels: int = DEFAULT_MAX_PIXELS,
        copy_streams: bool = True,
    ) -> None:
        if start is not None and start < 0:
            raise ConfigError(f"start must be 0 or more seconds, got {start}")
        if start is not None and end is not None and end <= start:
            raise ConfigError(f"end ({end} s) must be after start ({start} s)")
        self.label = f"{name} {os.fspath(path)!r}"
        self.path = Path(path)
        self.start = start or 0.0
        self.end = end
        self.skipped = 0
        """Packets the decoder rejected (damaged frames), skipped."""
        self.truncated = False
        """Whether reading stopped early at unreadable data (a cut-off file)."""
        self.tail_packets: list[Any] = []
        """Packets demuxed after the last frame; the writer muxes them on close."""
        # The first frame says the rotation; a second opening reads from the start
        # (rewinding by seeking fails on some raw streams).
        self.info = probe_video(path, name=name, max_pixels=max_pixels)
        self._container = _open_input(path, self.label)
        try:
            self._video = self._container.streams.video[0]
            self._video.codec_context.thread_type = "AUTO"
            self.streams: list[Any] = (
                [s for s in self._container.streams if s.type in _COPY_TYPES]
                if copy_streams
                else []
            )
            if self.start > 0:
                tb = self._video.time_base
                with contextlib.suppress(av.error.FFmpegError):  # unseekable: decode from 0
                    self._container.seek(int(self.start / tb), stream=self._video, backward=True)
        except BaseException:
            self._container.close()
            raise

    def __enter__(self) -> VideoReader:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._container.close()

    def _shift(self, packet: Any) -> Any | None:
        """A copied packet moved to the trimmed timeline, or None when outside it."""
        if packet.pts is None and packet.dts is None:
            return None  # a demuxer flush marker, not data
        if self.start <= 0 and self.end is None:
            return packet  # untrimmed: every packet, priming samples included
        tb = packet.time_base
        when = packet.pts if packet.pts is not None else packet.dts
        seconds = float(when * tb)
        ends = seconds + float((packet.duration or 0) * tb)
        if ends <= self.start or (self.end is not None and seconds >= self.end):
            return None
        if self.start > 0:
            offset = round(self.start / tb)
            if packet.pts is not None:
                packet.pts -= offset
            if packet.dts is not None:
                packet.dts -= offset
        return packet

    def __iter__(self) -> Iterator[DecodedFrame]:
        video = self._video
        tb = video.time_base
        offset = round(self.start / tb) if self.start > 0 else 0
        pending: list[Any] = []
        index = 0
        demux = self._container.demux(video, *self.streams)
        finished = False
        while True:
            try:
                packet = next(demux)
            except StopIteration:
                break
            except av.error.FFmpegError:
                self.truncated = True  # a cut-off or garbled tail: keep what was read
                break
            if packet.stream.index != video.index:
                if not finished:
                    shifted = self._shift(packet)
                    if shifted is not None:
                        pending.append(shifted)
                elif self.end is not None:
                    shifted = self._shift(packet)
                    if shifted is not None:
                        self.tail_packets.append(shifted)
                continue
            if finished:
                continue
            try:
                frames = packet.decode()
            except av.error.FFmpegError:
                self.skipped += 1
                continue
            for frame in frames:
                seconds = float(frame.time) if frame.time is not None else None
                if seconds is not None and seconds < self.start - 1e-6:
                    continue
                if seconds is not None and self.end is not None and seconds >= self.end:
                    finished = True
                    break
                pts = None if frame.pts is None else int(frame.pts) - offset
                yield DecodedFrame(
                    image=frame.to_ndarray(format="rgb24"),
                    index=index,
                    pts=pts,
                    time=None if pts is None else float(pts * tb),
                    packets=tuple(pending),
                )
                pending = []
                index += 1
        self.tail_packets = pending + self.tail_packets


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
    container = _open_input(path, label)
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
    container = _open_input(path, label)
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
        container = _open_input(path, label)
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


# -- writing -------------------------------------------------------------------------------


def _codec(name: str) -> Any:
    try:
        return av.codec.Codec(name, "w")
    except (av.error.FFmpegError, ValueError, KeyError):
        raise ConfigError(
            f"unknown video encoder {name!r}; use libx264, libx265, libvpx-vp9, libsvtav1, "
            "mpeg4 or ffv1"
        ) from None


def _pick_pix_fmt(codec: Any, requested: str | None, width: int, height: int) -> str:
    formats = [str(f.name) for f in codec.video_formats or ()]
    even = width % 2 == 0 and height % 2 == 0
    if requested is not None:
        if formats and requested not in formats:
            raise ConfigError(
                f"encoder {codec.name} cannot write pixel format {requested!r}; "
                f"choose one of {', '.join(formats)}"
            )
        if not even and requested.startswith(("yuv420", "yuvj420", "nv12", "yuv422", "yuvj422")):
            raise ConfigError(
                f"pixel format {requested} needs an even width and height, the video is "
                f"{width}x{height}; use yuv444p"
            )
        return requested
    for choice in (("yuv420p",) if even else ()) + ("yuv444p",):
        if choice in formats:
            return choice
    if formats:
        return formats[0]
    return "yuv420p"


@attrs.frozen
class StreamReport:
    """What the writer did with one input stream: ``copy``, ``encode`` (as ``codec``), ``drop``."""

    index: int
    type: str
    codec: str
    mode: str

    def to_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)


class VideoWriter:
    """Encodes RGB frames into a container, remuxing or re-encoding the other streams.

    :param path: the file to write (its suffix picks the container).
    :param fps: nominal frame rate (the encoder's rate control); timestamps
        come from :meth:`write` and may be variable.
    :param time_base: unit of the ``pts`` given to :meth:`write`.
    :param codec: video encoder; default libx264 where the container takes H.264.
    :param crf: constant quality for encoders in :data:`CRF_CODECS`.
    :param preset: speed preset for x264 / x265.
    :param pix_fmt: encoder pixel format; default yuv420p (yuv444p for odd sizes).
    :param rotation: display rotation written to the container (degrees CCW).
    :param streams: input audio / subtitle streams (from :attr:`VideoReader.streams`).
    :param metadata: container metadata tags (provenance, title, ...).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        width: int,
        height: int,
        fps: Fraction | float,
        time_base: Fraction | None = None,
        codec: str | None = None,
        crf: int | None = None,
        preset: str | None = None,
        pix_fmt: str | None = None,
        rotation: int = 0,
        streams: Sequence[Any] = (),
        metadata: Mapping[str, str] | None = None,
    ) -> None:
        self.path = Path(path)
        rate = Fraction(fps).limit_denominator(1001 * 1000) if fps else Fraction(25)
        self.rate = rate
        self.time_base = time_base or Fraction(1, 1) / rate
        tags = {
            k: v
            for k, v in (metadata or {}).items()
            if v is not None and k.lower() not in _TECHNICAL_TAGS
        }
        options: dict[str, str] = {}
        try:
            self._container = av.open(os.fspath(path), "w", metadata_errors="replace")
        except ValueError as exc:
            raise ConfigError(
                f"cannot write video {os.fspath(path)!r}: unknown container ({exc}); "
                f"use one of {', '.join(VIDEO_SUFFIXES)}"
            ) from None
        except OSError as exc:
            raise InputError(
                f"cannot write video {os.fspath(path)!r}: {exc.strerror or exc}"
            ) from None
        try:
            container = self._container
            if any(name in container.format.name.split(",") for name in _MOV_FORMATS) and tags:
                options["movflags"] = "+use_metadata_tags"
            container.options.update(options)
            for key, value in tags.items():
                container.metadata[key] = value
            self._video = self._add_video(codec, crf, preset, pix_fmt, width, height, rate)
            self.codec: str = self._video.codec_context.name
            self._i420 = self._video.pix_fmt == "yuv420p"
            if rotation:
                self._video.set_display_rotation(int(rotation))
            self.reports: list[StreamReport] = []
            self._map: dict[int, tuple[str, Any, Any]] = {}
            for stream in streams:
                self._add_other(stream)
        except BaseException:
            self._container.close()
            raise
        self.frames = 0
        self._closed = False

    def _add_video(
        self,
        name: str | None,
        crf: int | None,
        preset: str | None,
        pix_fmt: str | None,
        width: int,
        height: int,
        rate: Fraction,
    ) -> Any:
        container = self._container
        supported = container.supported_codecs
        if name is None:
            name = "libx264" if "h264" in supported else container.default_video_codec
        codec = _codec(name)
        if supported and codec.canonical_name not in supported and codec.name not in supported:
            raise ConfigError(
                f"the {container.format.name.split(',')[0]} container cannot hold {codec.name} "
                "video; pick another --codec or output suffix (e.g. .mkv holds almost any codec)"
            )
        options: dict[str, str] = {}
        if crf is not None and codec.name not in CRF_CODECS:
            raise ConfigError(
                f"--crf applies to {', '.join(CRF_CODECS)}; encoder {codec.name} has no CRF mode"
            )
        if codec.name in CRF_CODECS:
            options["crf"] = str(CRF_CODECS[codec.name] if crf is None else crf)
            if codec.name == "libvpx-vp9":
                options["b:v"] = "0"
        if preset is not None and codec.name not in PRESET_CODECS:
            raise ConfigError(
                f"--preset applies to {', '.join(PRESET_CODECS)}; encoder {codec.name} has none"
            )
        check_preset(preset)
        if codec.name in PRESET_CODECS:
            options["preset"] = preset or PRESET_CODECS[codec.name]
        stream = container.add_stream(codec.name, rate=rate, options=options)
        stream.width, stream.height = width, height
        stream.pix_fmt = _pick_pix_fmt(codec, pix_fmt, width, height)
        stream.time_base = self.time_base
        stream.codec_context.time_base = self.time_base
        stream.codec_context.thread_type = "AUTO"
        return stream

    def _add_other(self, stream: Any) -> None:
        container = self._container
        name = stream.codec_context.name if stream.codec_context is not None else "unknown"
        supported = container.supported_codecs
        if name in supported:
            out = container.add_stream_from_template(stream)
            for key, value in stream.metadata.items():
                out.metadata[key] = value
            self._map[stream.index] = ("copy", out, None)
            self.reports.append(StreamReport(stream.index, stream.type, name, "copy"))
            return
        if stream.type == "audio" and container.default_audio_codec:
            encoder = _codec(container.default_audio_codec)
            context = stream.codec_context
            rates = encoder.audio_rates
            rate = context.sample_rate if not rates or context.sample_rate in rates else max(rates)
            out = container.add_stream(encoder.name, rate=rate)
            out.layout = context.layout.name if context.layout else "stereo"
            resampler = av.AudioResampler(
                format=encoder.audio_formats[0].name if encoder.audio_formats else "fltp",
                layout=out.layout.name,
                rate=rate,
            )
            self._map[stream.index] = ("encode", out, (context, resampler))
            self.reports.append(StreamReport(stream.index, "audio", encoder.name, "encode"))
            return
        self._map[stream.index] = ("drop", None, None)
        self.reports.append(StreamReport(stream.index, stream.type, name, "drop"))

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(self, kind: object, *_: object) -> None:
        if kind is not None:
            self.abort()
        elif not self._closed:
            self.close()

    def write_packets(self, packets: Iterable[Any]) -> None:
        """Mux audio / subtitle packets (copied or re-encoded per stream)."""
        for packet in packets:
            mode, out, extra = self._map.get(packet.stream.index, ("drop", None, None))
            if mode == "copy":
                packet.stream = out
                self._container.mux(packet)
            elif mode == "encode":
                decoder, resampler = extra
                try:
                    decoded = decoder.decode(packet)
                except av.error.FFmpegError:
                    continue  # a damaged audio packet: skip it like a damaged frame
                for frame in decoded:
                    frame.pts = None
                    for chunk in resampler.resample(frame):
                        self._container.mux(out.encode(chunk))

    def _failed(self, exc: BaseException) -> InputError:
        reason = getattr(exc, "strerror", None) or str(exc)
        return InputError(f"cannot write video {os.fspath(self.path)!r}: {reason}")

    def write(self, image: Image, pts: int | None = None, packets: Iterable[Any] = ()) -> None:
        """Mux ``packets`` (they precede this frame), then encode ``image`` at ``pts``.

        :raises InvalidImageError: ``image`` is not RGB ``uint8`` of the video's size.
        :raises InputError: the encoder or the file refused the data (disk full, ...).
        """
        expected = (self._video.height, self._video.width, 3)
        if image.dtype != np.uint8 or image.shape != expected:
            raise InvalidImageError(
                f"cannot write frame {self.frames} to {os.fspath(self.path)!r}: expected RGB "
                f"uint8 of shape {expected}, got {image.dtype} {tuple(image.shape)}"
            )
        try:
            self._write(image, pts, packets)
        except (av.error.FFmpegError, OSError) as exc:
            raise self._failed(exc) from None

    def _write(self, image: Image, pts: int | None, packets: Iterable[Any]) -> None:
        self.write_packets(packets)
        if self._i420:
            # OpenCV's SIMD conversion is several times faster than swscale's for 4:2:0,
            # with the same BT.601 limited-range matrix that decoders assume.
            planes = np.asarray(
                cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2YUV_I420), np.uint8
            )
            frame = av.VideoFrame.from_ndarray(planes, format="yuv420p")
        else:
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="rgb24")
        if pts is None:  # a stream without timestamps: constant rate
            pts = round(self.frames / (self.rate * self.time_base))
        frame.pts = pts
        frame.time_base = self.time_base
        self._container.mux(self._video.encode(frame))
        self.frames += 1

    def close(self, tail_packets: Iterable[Any] = ()) -> None:
        """Flush the encoders and finish the file."""
        self._closed = True
        try:
            self._flush(tail_packets)
        except (av.error.FFmpegError, OSError) as exc:
            raise self._failed(exc) from None

    def _flush(self, tail_packets: Iterable[Any]) -> None:
        try:
            self.write_packets(tail_packets)
            self._container.mux(self._video.encode(None))
            for mode, out, extra in self._map.values():
                if mode != "encode":
                    continue
                _, resampler = extra
                for chunk in resampler.resample(None):
                    self._container.mux(out.encode(chunk))
                self._container.mux(out.encode(None))
        finally:
            self._container.close()

    def abort(self) -> None:
        """Close without flushing (the caller discards the file)."""
        self._closed = True
        with contextlib.suppress(av.error.FFmpegError):
            self._container.close()


def remux(path: str | os.PathLike[str], metadata: Mapping[str, str]) -> None:
    """Rewrite ``path`` with new container metadata, copying every packet (no re-encoding)."""
    target = Path(path)
    temp = target.with_name(f".remux-{target.name}")
    tags = {k: v for k, v in metadata.items() if k.lower() not in _TECHNICAL_TAGS}
    with av.open(os.fspath(target), metadata_errors="replace") as source:
        try:
            with av.open(os.fspath(temp), "w", metadata_errors="replace") as out:
                if any(n in out.format.name.split(",") for n in _MOV_FORMATS) and tags:
                    out.options.update({"movflags": "+use_metadata_tags"})
                for key, value in tags.items():
                    out.metadata[key] = value
                mapping = {}
                for stream in source.streams:
                    if stream.type in ("video", "audio", "subtitle"):
                        copy = out.add_stream_from_template(stream)
                        for key, value in stream.metadata.items():
                            copy.metadata[key] = value
                        mapping[stream.index] = copy
                for packet in source.demux(*[source.streams[i] for i in mapping]):
                    if packet.dts is None and packet.pts is None:
                        continue
                    packet.stream = mapping[packet.stream.index]
                    out.mux(packet)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                temp.unlink()
            raise
    os.replace(temp, target)


def write_video(
    path: str | os.PathLike[str],
    frames: Iterable[Image],
    *,
    fps: float = 25.0,
    codec: str | None = None,
    crf: int | None = None,
    preset: str | None = None,
    metadata: Mapping[str, str] | None = None,
) -> Path:
    """Encode RGB frames (constant rate) to ``path`` atomically; for tools and benchmarks."""
    iterator = iter(frames)
    first = next(iterator, None)
    if first is None:
        raise ConfigError("write_video needs at least one frame")
    height, width = first.shape[:2]
    with atomic_path(path) as temp:
        writer = VideoWriter(
            temp, width=width, height=height, fps=Fraction(fps).limit_denominator(1001),
            codec=codec, crf=crf, preset=preset, metadata=metadata,
        )  # fmt: skip
        with writer:
            writer.write(first)
            for image in iterator:
                writer.write(image)
    return Path(path)


__all__ = [
    "CRF_CODECS",
    "PRESETS",
    "PRESET_CODECS",
    "VIDEO_SUFFIXES",
    "DecodedFrame",
    "StreamInfo",
    "StreamReport",
    "VideoInfo",
    "VideoReader",
    "VideoWriter",
    "check_preset",
    "parse_time",
    "probe_video",
    "read_frames",
    "remux",
    "stored",
    "upright",
    "write_video",
]
