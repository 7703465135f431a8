"""Encoding RGB frames into a container, with the input's audio and subtitles.

Audio and subtitle packets are copied without re-encoding when the output
container takes their codec; audio it cannot take is re-encoded to its
default audio codec, subtitles it cannot take are dropped, and every choice
is reported (:attr:`VideoWriter.reports`). Writing a file atomically is the
caller's job (``io.atomic.atomic_path``, as :func:`write_video` does):
:class:`VideoWriter` writes wherever it is told.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import attrs
import av
import av.error
import cv2
import numpy as np

from faceswap_core.errors import ConfigError, InputError, InvalidImageError
from faceswap_core.interfaces.face import Image
from faceswap_core.io.atomic import atomic_path
from faceswap_core.io.video.containers import MOV_FORMATS, TECHNICAL_TAGS, VIDEO_SUFFIXES

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
    :param streams: input audio / subtitle streams (from
        :attr:`~faceswap_core.io.video.reader.VideoReader.streams`).
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
            if v is not None and k.lower() not in TECHNICAL_TAGS
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
            if any(name in container.format.name.split(",") for name in MOV_FORMATS) and tags:
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
    "StreamReport",
    "VideoWriter",
    "check_preset",
    "write_video",
]
