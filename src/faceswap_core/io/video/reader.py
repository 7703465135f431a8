"""Decoding a video's frames in presentation order, with the other streams' packets.

Frames keep their presentation timestamps, in the input stream's time base,
so variable frame rate survives a round trip. Audio and subtitle packets
travel with the frame they precede (:attr:`DecodedFrame.packets`), so a
writer in another thread muxes them in demux order. A packet the decoder
rejects is skipped and counted (:attr:`VideoReader.skipped`); a cut-off file
keeps the frames read before the damage (:attr:`VideoReader.truncated`).
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import av
import av.error

from faceswap_core.errors import ConfigError
from faceswap_core.interfaces.face import Image
from faceswap_core.io.limits import DEFAULT_MAX_PIXELS
from faceswap_core.io.video.containers import COPY_TYPES, open_input
from faceswap_core.io.video.probe import probe_video


@attrs.frozen(eq=False)
class DecodedFrame:
    """One decoded frame, as stored in the file.

    :ivar image: RGB ``uint8`` (H x W x 3), not rotated; see
        :func:`~faceswap_core.io.video.orientation.upright`.
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
        self._container = open_input(path, self.label)
        try:
            self._video = self._container.streams.video[0]
            self._video.codec_context.thread_type = "AUTO"
            self.streams: list[Any] = (
                [s for s in self._container.streams if s.type in COPY_TYPES] if copy_streams else []
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


__all__ = ["DecodedFrame", "VideoReader", "parse_time"]
