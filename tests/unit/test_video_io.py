"""Video I/O with PyAV: probe, read, write, remux; timestamps, rotation, audio, bad files.

The clips are written by the tests with PyAV directly (``tests/video/clips.py``),
and what comes back is read with PyAV directly, so the code under test is
checked against FFmpeg itself.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.video.clips import damaged_mjpeg, decode_audio, decode_video, encode, tone

from faceswap_core.errors import (
    ConfigError,
    InputError,
    InvalidImageError,
    InvalidVideoError,
    VideoTooLargeError,
)
from faceswap_core.io.provenance import DIGITAL_SOURCE_TYPE, provenance_from_tags, video_tags
from faceswap_core.io.video import (
    VideoReader,
    VideoWriter,
    parse_time,
    probe_video,
    read_frames,
    remux,
    stored,
    upright,
    write_video,
)


def _ramp(count: int, width: int = 64, height: int = 48) -> list[np.ndarray]:
    """Frame i is a horizontal gradient shifted by i, with i written into pixel (0, 0)."""
    base = np.tile(np.arange(width, dtype=np.uint8)[None, :, None] * 3, (height, 1, 3))
    frames = []
    for i in range(count):
        frame = np.roll(base, i, axis=1).copy()
        frame[0, 0] = (i, 255 - i, 7)
        frames.append(frame)
    return frames


def _copy(path: Path, out: Path, **options: object) -> VideoWriter:
    """Read ``path`` and write every frame and packet to ``out`` (what the video job does)."""
    with VideoReader(path) as reader:
        info = reader.info
        writer = VideoWriter(
            out,
            width=info.width,
            height=info.height,
            fps=info.fps or 25,
            time_base=info.time_base,
            rotation=info.rotation,
            streams=reader.streams,
            **options,  # type: ignore[arg-type]
        )
        with writer:
            for frame in reader:
                writer.write(frame.image, frame.pts, frame.packets)
            writer.close(reader.tail_packets)
    return writer


@pytest.fixture(scope="module")
def lossless(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[np.ndarray]]:
    frames = _ramp(12)
    path = tmp_path_factory.mktemp("video") / "ramp.mkv"
    return encode(path, frames, codec="ffv1", pix_fmt="bgr0"), frames


@pytest.fixture(scope="module")
def with_audio(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("video") / "tone.mp4"
    return encode(path, _ramp(25), audio=tone(1.0))


def test_probe_reads_size_rate_frames_and_streams(with_audio: Path) -> None:
    info = probe_video(with_audio)
    assert (info.width, info.height, info.rotation) == (64, 48, 0)
    assert info.fps == 25
    assert info.frames == 25
    assert info.codec == "h264"
    assert [(s.type, s.codec) for s in info.streams] == [("audio", "aac")]
    assert info.provenance is None
    assert info.to_dict()["frames"] == 25


def test_reader_returns_the_exact_frames_with_their_times(
    lossless: tuple[Path, list[np.ndarray]],
) -> None:
    path, frames = lossless
    with VideoReader(path) as reader:
        decoded = list(reader)
    assert len(decoded) == len(frames)
    for i, frame in enumerate(decoded):
        assert frame.index == i
        assert np.array_equal(frame.image, frames[i])
        assert frame.time == pytest.approx(i / 25)


def test_lossless_round_trip_is_bit_exact(
    lossless: tuple[Path, list[np.ndarray]], tmp_path: Path
) -> None:
    path, frames = lossless
    out = tmp_path / "copy.mkv"
    _copy(path, out, codec="ffv1", pix_fmt="bgr0")
    decoded, times = decode_video(out)
    assert len(decoded) == len(frames)
    assert all(np.array_equal(a, b) for a, b in zip(decoded, frames, strict=True))
    assert times == pytest.approx([i / 25 for i in range(len(frames))])


def test_variable_frame_rate_timestamps_survive(tmp_path: Path) -> None:
    pts = [0, 40, 80, 200, 240, 500, 540, 580, 620, 1000]  # milliseconds, irregular
    source = encode(tmp_path / "vfr.mkv", _ramp(len(pts)), pts=pts, time_base=Fraction(1, 1000))
    out = tmp_path / "vfr_out.mp4"
    _copy(source, out)
    _, times = decode_video(out)
    assert [round(t * 1000) for t in times] == pts


def test_audio_is_copied_packet_for_packet(with_audio: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.mp4"
    writer = _copy(with_audio, out)
    assert [r.mode for r in writer.reports] == ["copy"]
    before, after = decode_audio(with_audio), decode_audio(out)
    assert before.shape == after.shape
    assert np.array_equal(before, after)


def test_audio_the_container_cannot_hold_is_re_encoded(with_audio: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.webm"  # WebM takes Opus or Vorbis, not AAC
    writer = _copy(with_audio, out, codec="libvpx-vp9")
    assert [(r.mode, r.codec) for r in writer.reports] == [("encode", "libopus")]
    with av.open(str(out)) as container:
        rate = container.streams.audio[0].codec_context.sample_rate
    samples = decode_audio(out)[0]
    assert len(samples) / rate == pytest.approx(1.0, abs=0.05)
    spectrum = np.abs(np.fft.rfft(samples))
    peak_hz = np.argmax(spectrum) * rate / len(samples)
    assert peak_hz == pytest.approx(440, abs=3)


def test_rotation_is_read_and_written_back(tmp_path: Path) -> None:
    upright_frames = _ramp(5, 64, 48)
    stored_frames = [np.ascontiguousarray(np.rot90(f, -1)) for f in upright_frames]
    source = encode(tmp_path / "rot.mkv", stored_frames, codec="ffv1", pix_fmt="bgr0", rotation=90)
    info = probe_video(source)
    assert info.rotation == 90
    assert (info.width, info.height) == (48, 64)
    with VideoReader(source) as reader:
        first = next(iter(reader))
    assert np.array_equal(upright(first.image, 90), upright_frames[0])
    assert np.array_equal(stored(upright(first.image, 90), 90), first.image)
    out = tmp_path / "rot_out.mkv"
    _copy(source, out, codec="ffv1", pix_fmt="bgr0")
    assert probe_video(out).rotation == 90


def test_trimming_keeps_the_range_and_restarts_the_clock(with_audio: Path) -> None:
    with VideoReader(with_audio, start=0.4, end=0.8) as reader:
        frames = list(reader)
        packets = [p for f in frames for p in f.packets] + reader.tail_packets
    everything, _ = decode_video(with_audio)  # frames 10..19 lie in [0.4 s, 0.8 s)
    assert len(frames) == 10
    assert all(np.array_equal(f.image, everything[10 + i]) for i, f in enumerate(frames))
    assert frames[0].time == pytest.approx(0.0)
    assert frames[-1].time == pytest.approx(0.36)
    audio_times = [float(p.pts * p.time_base) for p in packets if p.pts is not None]
    assert min(audio_times) >= -0.03
    assert max(audio_times) < 0.4


def test_read_frames_picks_evenly_spaced_frames(lossless: tuple[Path, list[np.ndarray]]) -> None:
    path, frames = lossless
    picked = read_frames(path, 4)
    # 12 frames, 4 picks over indices 0..11: 0, 3.67 -> 4, 7.33 -> 7, 11.
    assert [int(f[0, 0, 0]) for f in picked] == [0, 4, 7, 11]
    assert np.array_equal(picked[1], frames[4])
    assert len(read_frames(path, 50)) == 12
    with pytest.raises(ConfigError):
        read_frames(path, 0)


def test_a_raw_stream_without_timestamps_still_reads_and_copies(tmp_path: Path) -> None:
    raw = encode(tmp_path / "raw.h264", _ramp(12))  # an elementary stream: no pts, no seeking
    everything, _ = decode_video(raw)
    picked = read_frames(raw, 4)
    assert all(np.array_equal(p, everything[i]) for p, i in zip(picked, [0, 4, 7, 11], strict=True))
    out = tmp_path / "from_raw.mp4"
    _copy(raw, out)
    frames, times = decode_video(out)
    assert len(frames) == 12
    assert times == pytest.approx([i / 25 for i in range(12)])  # 25 fps from the stream


def test_provenance_tags_round_trip_in_mp4_and_mkv(tmp_path: Path) -> None:
    tags = video_tags(model="classic")
    for name in ("tagged.mp4", "tagged.mkv"):
        path = write_video(tmp_path / name, _ramp(3), metadata=tags)
        record = probe_video(path).provenance
        assert record is not None
        assert record.digital_source_type == DIGITAL_SOURCE_TYPE
        assert record.synthetic
        assert record.model == "classic"
    remux(tmp_path / "tagged.mp4", {"title": "plain"})
    info = probe_video(tmp_path / "tagged.mp4")
    assert info.provenance is None
    assert info.metadata["title"] == "plain"
    assert info.frames == 3
    assert provenance_from_tags({"XMP": "<not xml"}) is not None  # unreadable XMP: empty record


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "file is empty"),
        (b"this is a text file, not a video\n" * 10, "not a video"),
    ],
)
def test_unreadable_files_are_invalid_video_errors(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "bad.mp4"
    path.write_bytes(content)
    with pytest.raises(InvalidVideoError, match=message) as info:
        probe_video(path)
    assert info.value.exit_code == 3
    with pytest.raises(InvalidVideoError, match=message):
        VideoReader(path)


def test_truncated_mp4_still_image_and_audio_only(with_audio: Path, tmp_path: Path) -> None:
    data = with_audio.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])  # the index (moov) is at the end: gone
    with pytest.raises(InvalidVideoError, match="truncated or damaged"):
        probe_video(cut)
    image = tmp_path / "still.png"
    from PIL import Image as PILImage

    PILImage.fromarray(_ramp(1)[0]).save(image)
    with pytest.raises(InvalidVideoError, match="still image"):
        probe_video(image)
    sound = tmp_path / "sound.m4a"
    with av.open(str(sound), "w") as out:
        stream = out.add_stream("aac", rate=44100)
        stream.layout = "mono"
        block = av.AudioFrame.from_ndarray(tone(0.1)[None, :], format="flt", layout="mono")
        block.sample_rate = 44100
        out.mux(stream.encode(block))
        out.mux(stream.encode(None))
    with pytest.raises(InvalidVideoError, match="no video stream"):
        probe_video(sound)


def test_missing_path_and_folder_are_input_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        probe_video(tmp_path / "nope.mp4")
    with pytest.raises(InputError, match="folder"):
        probe_video(tmp_path)


def test_a_damaged_frame_is_skipped_and_counted(tmp_path: Path) -> None:
    with VideoReader(damaged_mjpeg(tmp_path, _ramp(10), bad=5)) as reader:
        frames = list(reader)
        assert reader.skipped == 1
    assert len(frames) == 9


def test_writer_refuses_bad_encoder_choices(tmp_path: Path) -> None:
    options = {"width": 64, "height": 48, "fps": 25}
    with pytest.raises(ConfigError, match="unknown video encoder"):
        VideoWriter(tmp_path / "a.mp4", codec="nonsense264", **options)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="no CRF mode"):
        VideoWriter(tmp_path / "b.mkv", codec="mpeg4", crf=20, **options)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="cannot hold"):
        VideoWriter(tmp_path / "c.webm", codec="libx264", **options)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="pixel format"):
        VideoWriter(tmp_path / "d.mp4", pix_fmt="rgb48le", **options)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="unknown container"):
        VideoWriter(tmp_path / "e.notavideo", **options)  # type: ignore[arg-type]
    odd = {"width": 63, "height": 47, "fps": 25}
    with pytest.raises(ConfigError, match="even width"):
        VideoWriter(tmp_path / "f.mp4", pix_fmt="yuv420p", **odd)  # type: ignore[arg-type]


def test_frames_of_the_wrong_size_or_type_are_refused(tmp_path: Path) -> None:
    with VideoWriter(tmp_path / "w.mp4", width=64, height=48, fps=25) as writer:
        with pytest.raises(InvalidImageError, match=r"frame 0 .* shape \(48, 64, 3\)"):
            writer.write(np.zeros((24, 32, 3), np.uint8))
        with pytest.raises(InvalidImageError, match="uint8"):
            writer.write(np.zeros((48, 64, 3), np.float32))
        writer.write(np.zeros((48, 64, 3), np.uint8))
    assert len(decode_video(tmp_path / "w.mp4")[0]) == 1


def test_odd_sizes_fall_back_to_full_chroma(tmp_path: Path) -> None:
    frames = [np.full((47, 63, 3), 90, np.uint8)] * 2
    path = write_video(tmp_path / "odd.mp4", frames)
    assert probe_video(path).pix_fmt == "yuv444p"


@pytest.mark.parametrize(
    ("text", "seconds"), [("12.5", 12.5), ("1:02.5", 62.5), ("01:00:02", 3602.0), ("0", 0.0)]
)
def test_parse_time_literals(text: str, seconds: float) -> None:
    assert parse_time(text) == seconds


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 99), st.integers(0, 59), st.integers(0, 59), st.integers(0, 999))
def test_parse_time_round_trips_clock_text(h: int, m: int, s: int, ms: int) -> None:
    assert parse_time(f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}") == pytest.approx(
        h * 3600 + m * 60 + s + ms / 1000
    )


@settings(max_examples=50, deadline=None)
@given(
    st.text(max_size=12).filter(lambda t: not t.strip().replace(".", "").replace(":", "").isdigit())
)
def test_parse_time_rejects_garbage(text: str) -> None:
    with pytest.raises(ConfigError):
        parse_time(text)


def test_subtitles_and_title_are_kept_where_the_container_allows(tmp_path: Path) -> None:
    source = tmp_path / "subtitled.mkv"
    with av.open(str(source), "w") as out:
        out.metadata["title"] = "holiday"
        video = out.add_stream("libx264", rate=25)
        video.width, video.height, video.pix_fmt = 64, 48, "yuv420p"
        text = out.add_mux_stream("subrip")
        text.time_base = Fraction(1, 1000)
        for index, image in enumerate(_ramp(10)):
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts = index
            out.mux(video.encode(frame))
            if index in (2, 6):
                cue = av.Packet(f"line {index}".encode())
                cue.stream, cue.pts, cue.dts, cue.duration = text, index * 40, index * 40, 80
                cue.time_base = Fraction(1, 1000)
                out.mux(cue)
        out.mux(video.encode(None))

    def cues(path: Path) -> list[tuple[int, bytes]]:
        with av.open(str(path)) as container:
            stream = container.streams.subtitles[0]
            return [(int(p.pts), bytes(p)) for p in container.demux(stream) if p.pts is not None]

    kept = tmp_path / "kept.mkv"
    writer = _copy(source, kept, metadata={"title": "holiday"})
    assert [(r.type, r.mode) for r in writer.reports] == [("subtitle", "copy")]
    assert cues(kept) == [(80, b"line 2"), (240, b"line 6")]
    dropped = tmp_path / "dropped.mp4"  # MP4 takes mov_text, not SubRip
    writer = _copy(source, dropped, metadata=probe_video(source).metadata)
    assert [(r.type, r.mode) for r in writer.reports] == [("subtitle", "drop")]
    with av.open(str(dropped)) as container:
        assert not container.streams.subtitles
        assert container.metadata["title"] == "holiday"


def test_frames_over_the_pixel_limit_are_a_limit_error(
    lossless: tuple[Path, list[np.ndarray]],
) -> None:
    path, frames = lossless
    height, width = frames[0].shape[:2]
    assert probe_video(path, max_pixels=width * height).width == width
    with pytest.raises(VideoTooLargeError) as exc:
        probe_video(path, max_pixels=width * height - 1)
    assert isinstance(exc.value, InvalidVideoError)
    assert exc.value.exit_code == 3
    assert "max_pixels" in str(exc.value)
