"""Rewriting a finished video's container metadata without touching its packets.

Used to stamp provenance tags on a file after it is written: every packet is
copied as is (no re-encoding), into a temporary sibling that replaces the file.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from pathlib import Path

import av

from faceswap_core.io.video.containers import MOV_FORMATS, TECHNICAL_TAGS


def remux(path: str | os.PathLike[str], metadata: Mapping[str, str]) -> None:
    """Rewrite ``path`` with new container metadata, copying every packet (no re-encoding)."""
    target = Path(path)
    temp = target.with_name(f".remux-{target.name}")
    tags = {k: v for k, v in metadata.items() if k.lower() not in TECHNICAL_TAGS}
    with av.open(os.fspath(target), metadata_errors="replace") as source:
        try:
            with av.open(os.fspath(temp), "w", metadata_errors="replace") as out:
                if any(n in out.format.name.split(",") for n in MOV_FORMATS) and tags:
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


__all__ = ["remux"]
