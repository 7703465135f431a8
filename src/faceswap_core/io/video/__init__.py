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

One module per concept: :mod:`.containers` (opening and checking inputs),
:mod:`.probe`, :mod:`.reader`, :mod:`.sampling` (evenly spaced frames),
:mod:`.orientation`, :mod:`.writer` and :mod:`.remux`. This package
re-exports their public names, so ``faceswap_core.io.video`` stays the one
import for callers.
"""

from __future__ import annotations

from faceswap_core.io.video.containers import VIDEO_SUFFIXES
from faceswap_core.io.video.orientation import stored, upright
from faceswap_core.io.video.probe import StreamInfo, VideoInfo, probe_video
from faceswap_core.io.video.reader import DecodedFrame, VideoReader, parse_time
from faceswap_core.io.video.remux import remux
from faceswap_core.io.video.sampling import read_frames
from faceswap_core.io.video.writer import (
    CRF_CODECS,
    PRESET_CODECS,
    PRESETS,
    StreamReport,
    VideoWriter,
    check_preset,
    write_video,
)

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
