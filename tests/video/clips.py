"""Test videos made with PyAV directly (not with the code under test), from real sample faces.

Every clip is a known camera move over a still photo: frame ``t`` is the photo
warped by the 2 x 3 matrix ``camera[t]`` (photo pixels -> frame pixels), so a
test can map anything it measures in a frame back onto the photo, where the
faces do not move.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import attrs
import av
import cv2
import numpy as np

FPS = 25
SAMPLE_RATE = 44100
TONE_HZ = 440.0


@attrs.frozen(eq=False)
class Clip:
    """A generated video file and the truth about it."""

    path: Path
    frames: list[np.ndarray]  # the RGB frames fed to the encoder
    camera: list[np.ndarray]  # photo -> frame similarity per frame
    fps: int = FPS
    audio: np.ndarray | None = None  # the mono float32 samples fed to the AAC encoder


def pan_zoom(
    photo: np.ndarray,
    size: tuple[int, int],
    count: int,
    *,
    centre: tuple[float, float],
    travel: tuple[float, float],
    scale: float,
    zoom: float,
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """``count`` frames of ``size`` (w, h) looking at ``centre`` of ``photo``.

    The view slides by ``travel`` photo pixels over the clip and the scale
    breathes by ``zoom`` (a fraction) around ``scale`` (frame px per photo px).
    """
    width, height = size
    frames, cameras = [], []
    for t in range(count):
        phase = t / max(count - 1, 1)
        s = scale * (1.0 + zoom * np.sin(2 * np.pi * phase))
        cx = centre[0] + travel[0] * (phase - 0.5)
        cy = centre[1] + travel[1] * (phase - 0.5)
        matrix = np.array(
            [[s, 0.0, width / 2 - s * cx], [0.0, s, height / 2 - s * cy]], dtype=np.float64
        )
        frames.append(
            cv2.warpAffine(
                photo, matrix, (width, height), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REFLECT
            )
        )
        cameras.append(matrix)
    return frames, cameras


def tone(seconds: float) -> np.ndarray:
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    return (0.3 * np.sin(2 * np.pi * TONE_HZ * t)).astype(np.float32)


def encode(
    path: Path,
    frames: Sequence[np.ndarray],
    *,
    fps: int = FPS,
    codec: str = "libx264",
    pix_fmt: str = "yuv420p",
    audio: np.ndarray | None = None,
    rotation: int = 0,
    pts: Sequence[int] | None = None,
    time_base: Fraction | None = None,
    options: dict[str, str] | None = None,
    metadata: dict[str, str] | None = None,
) -> Path:
    """Write ``frames`` (and a mono AAC track) with PyAV."""
    height, width = frames[0].shape[:2]
    with av.open(str(path), "w") as out:
        for key, value in (metadata or {}).items():
            out.metadata[key] = value
        video = out.add_stream(codec, rate=fps, options=options or {})
        video.width, video.height, video.pix_fmt = width, height, pix_fmt
        if time_base is not None:
            video.time_base = time_base
            video.codec_context.time_base = time_base
        if rotation:
            video.set_display_rotation(rotation)
        sound = None
        if audio is not None:
            sound = out.add_stream("aac", rate=SAMPLE_RATE)
            sound.layout = "mono"
        for index, image in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="rgb24")
            frame.pts = index if pts is None else pts[index]
            if time_base is not None:
                frame.time_base = time_base
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
        if sound is not None and audio is not None:
            step = 1024
            for start in range(0, len(audio), step):
                chunk = audio[start : start + step][None, :]
                block = av.AudioFrame.from_ndarray(chunk, format="flt", layout="mono")
                block.sample_rate = SAMPLE_RATE
                block.pts = start
                out.mux(sound.encode(block))
            out.mux(sound.encode(None))
    return path


def decode_video(path: Path) -> tuple[list[np.ndarray], list[float]]:
    """Every frame (RGB, as stored) and its time in seconds."""
    with av.open(str(path)) as container:
        frames, times = [], []
        for frame in container.decode(video=0):
            frames.append(frame.to_ndarray(format="rgb24"))
            times.append(float("nan") if frame.time is None else float(frame.time))
    return frames, times


def decode_audio(path: Path) -> np.ndarray:
    """All audio samples of the first audio stream (channels x samples)."""
    with av.open(str(path)) as container:
        return np.concatenate([f.to_ndarray() for f in container.decode(audio=0)], axis=1)


def _audio_only(path: Path) -> Path:
    with av.open(str(path), "w") as out:
        stream = out.add_stream("aac", rate=44100)
        stream.layout = "mono"
        block = av.AudioFrame.from_ndarray(tone(0.2)[None, :], format="flt", layout="mono")
        block.sample_rate = 44100
        out.mux(stream.encode(block))
        out.mux(stream.encode(None))
    return path


def bad_videos(folder: Path, good: Path) -> dict[str, tuple[Path, str]]:
    """Zero-byte, not-a-video, truncated MP4, audio only; with the message each must give."""
    zero = folder / "zero.mp4"
    zero.write_bytes(b"")
    text = folder / "notes.mp4"
    text.write_text("not a video at all\n" * 20)
    data = good.read_bytes()
    cut = folder / "cut.mp4"
    cut.write_bytes(data[: len(data) // 3])
    sound = _audio_only(folder / "sound.m4a")
    return {
        "zero-byte": (zero, "file is empty"),
        "not-a-video": (text, "not a video"),
        "truncated": (cut, "truncated or damaged"),
        "audio-only": (sound, "no video stream"),
    }


def damaged_mjpeg(folder: Path, frames: Sequence[np.ndarray], bad: int) -> Path:
    """An MJPEG clip whose frame ``bad`` is replaced by garbage of the same size."""
    source = encode(folder / "intact.avi", frames, codec="mjpeg", pix_fmt="yuvj420p")
    damaged = folder / "damaged.avi"
    rng = np.random.default_rng(1)
    with av.open(str(source)) as inp, av.open(str(damaged), "w") as out:
        stream = out.add_stream_from_template(inp.streams.video[0])
        for index, packet in enumerate(inp.demux(inp.streams.video[0])):
            if packet.dts is None:
                continue
            if index == bad:
                garbage = av.Packet(bytes(rng.integers(0, 255, packet.size, dtype=np.uint8)))
                garbage.pts, garbage.dts = packet.pts, packet.dts
                garbage.time_base = packet.time_base
                packet = garbage
            packet.stream = stream
            out.mux(packet)
    return damaged
