"""``WS /v1/stream``: binary frames in, swapped frames out, in order, never queueing without bound.

The connection runs the stream's own stages (:class:`FrameAnalyser`: detection
every ``detect_every`` frames, tracking, per-track selection and smoothing;
:class:`FramePainter`: swap, temporal colour and mask blend, paste) one frame
at a time on the stream executor, so frames come back in the order they were
taken.

Backpressure: while a frame is being swapped, newly arrived frames wait in a
slot that holds one frame; a newer frame replaces the one waiting, which is
dropped. Each result is sent as a text message (the per-frame header, JSON)
followed by the encoded frame as a binary message. The header says which frame
it is (``seq``, counting every received frame from 1), how many frames were
dropped since the previous result (``dropped``) and in total, the faces and
the milliseconds per stage. A frame that cannot be used gets a header with
``"type": "error"`` and no image; the stream goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable
from typing import Any

import attrs
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from faceswap_core.config.convert import structure, unstructure
from faceswap_core.config.schema import VideoConfig
from faceswap_core.errors import ConfigError, FaceswapError
from faceswap_core.io.encode import encode
from faceswap_core.operations import build_spec
from faceswap_core.operations.video import STREAM
from faceswap_core.pipeline.image import Pipeline, SourceIdentity
from faceswap_core.pipeline.settings import QualityOptions
from faceswap_core.pipeline.stream import FrameAnalyser, FramePainter
from faceswap_core.pipeline.timing import StageTimer
from faceswap_rest.errors import OverloadedError, error_kind
from faceswap_rest.media import check_fields, request_fields
from faceswap_rest.observability import note
from faceswap_rest.service import Service, check_model

logger = logging.getLogger("faceswap.rest")

WS_TOO_BIG = 1009
WS_POLICY = 1008
STREAM_FACES: tuple[str, ...] = ("all", "largest")
"""Selections a stream can make (``reference`` needs an upload a WebSocket query cannot carry)."""
DEFAULT_FORMAT = "jpg"
DEFAULT_QUALITY = 90


@attrs.frozen
class StreamOptions:
    """Query parameters of ``/v1/stream``: the stream operation's spec, plus defaults.

    :ivar quality: the sent frames' JPEG / WebP quality.
    :ivar face_quality: how swapped faces are made (``pixel_boost``, ``mask``, ``enhancer``...),
        as on ``POST /v1/swap``.
    """

    source_id: str
    faces: str | None
    format: str
    quality: int
    model: str | None
    video: dict[str, Any]
    face_quality: QualityOptions = attrs.Factory(QualityOptions)

    @classmethod
    def parse(cls, params: dict[str, str]) -> StreamOptions:
        """Structure the query with the ``stream`` operation's spec."""
        check_fields(params, request_fields(STREAM))
        spec = build_spec(STREAM, params, "rest")
        if spec.source_id is None:
            raise ConfigError("query parameter 'source_id' is required; register a source first")
        if spec.faces not in (None, *STREAM_FACES):
            raise ConfigError(
                f"faces={spec.faces!r} is not available on a stream; choose all or largest"
            )
        return cls(
            spec.source_id,
            spec.faces,
            spec.format or DEFAULT_FORMAT,
            DEFAULT_QUALITY if spec.quality is None else spec.quality,
            spec.model,
            spec.video_options(),
            QualityOptions.of(spec),
        )


class FrameWorker:
    """One stream's state: the analyser and painter, run one frame at a time."""

    def __init__(
        self,
        service: Service,
        pipeline: Pipeline,
        identity: SourceIdentity,
        options: StreamOptions,
    ) -> None:
        self.service = service
        self.pipeline = pipeline
        self.identity = identity
        self.options = options
        data = {**unstructure(pipeline.config.video), **options.video}
        config = structure(data, VideoConfig, path="$.video")
        mode = options.faces or pipeline.config.faces
        if mode == "reference":
            mode = "all"
        self.analyser = FrameAnalyser(pipeline, config, faces=mode, reference=None, threshold=None)
        self.painter = FramePainter(pipeline, identity, config, copy=True)
        self.index = 0

    def __call__(self, data: bytes, seq: int, seconds: float) -> tuple[dict[str, Any], bytes]:
        name = f"frame {seq}"
        self.service.check_image(data, name)
        timer = StageTimer()
        with timer.stage("decode"):
            image = self.pipeline.decode(data, name=name)
        analysis = self.analyser((image, self.index, seconds))
        frame = self.painter(analysis)
        self.index += 1
        with timer.stage("encode"):
            options = self.options
            mark = self.pipeline.config.provenance and bool(frame.swapped)
            encoded = encode(
                frame.image,
                options.format,
                quality=options.quality,
                provenance=self.pipeline.mark(target=data, source=self.identity) if mark else False,
            )
        timings = {**{"decode": timer.ms["decode"]}, **frame.timings, "encode": timer.ms["encode"]}
        header = {
            "type": "frame",
            "seq": seq,
            "index": frame.index,
            "faces": len(frame.faces),
            "swapped": len(frame.swapped),
            "detected": frame.detected,
            "scene_cut": frame.scene_cut,
            "format": options.format,
            "bytes": len(encoded),
            "timings_ms": {key: round(value, 3) for key, value in timings.items()},
        }
        return header, encoded


class LatestFrame:
    """The one-frame slot between socket and worker: a newer frame replaces the waiting one."""

    def __init__(self) -> None:
        self.frame: tuple[bytes, int, float] | None = None
        self.dropped = 0
        self.dropped_total = 0
        self.closed = False
        self.event = asyncio.Event()

    def put(self, data: bytes, seq: int, seconds: float) -> bool:
        """Store a frame; True when it replaced (dropped) a waiting one."""
        replaced = self.frame is not None
        if replaced:
            self.dropped += 1
            self.dropped_total += 1
        self.frame = (data, seq, seconds)
        self.event.set()
        return replaced

    def close(self) -> None:
        self.closed = True
        self.event.set()

    async def take(self) -> tuple[tuple[bytes, int, float], int] | None:
        """The waiting frame and the frames dropped before it; None once closed and empty."""
        while self.frame is None:
            if self.closed:
                return None
            self.event.clear()
            await self.event.wait()
        frame, dropped = self.frame, self.dropped
        self.frame, self.dropped = None, 0
        return frame, dropped


async def serve_stream(websocket: WebSocket, service: Service, options: StreamOptions) -> None:
    """Run an accepted stream until the client closes it."""
    identity = service.sources.get(options.source_id)
    # a model the server knows (never a path), checked before the stream takes a slot
    face_quality = service.request_quality(options.face_quality)
    pipeline = service.streams.try_checkout()
    if pipeline is None:
        service.metrics.rejected.labels("stream").inc()
        raise _busy(service)
    service.metrics.streams.inc()
    try:
        check_model(pipeline, options.model)
        # the stream's own pipeline and loaded models, with this stream's quality settings
        swapping = pipeline.with_config(face_quality.apply(pipeline.config))
        worker = FrameWorker(service, swapping, identity, options)
        await websocket.accept()
        await _run(websocket, service, worker)
    finally:
        service.metrics.streams.dec()
        service.streams.give_back(pipeline)


def _busy(service: Service) -> FaceswapError:
    limit = service.serve.max_streams
    return OverloadedError(
        f"every stream slot is taken ({limit}, max_streams); retry after "
        f"{service.limits.retry_after_s} s",
        service.limits.retry_after_s,
    )


async def _run(websocket: WebSocket, service: Service, worker: FrameWorker) -> None:
    slot = LatestFrame()
    started = time.monotonic()
    limit = service.limits.max_ws_frame_bytes
    loop = asyncio.get_running_loop()
    metrics = service.metrics.stream_frames

    client_gone = False

    async def receive() -> None:
        nonlocal client_gone
        seq = 0
        try:
            while True:
                message = await websocket.receive()
                if message["type"] == "websocket.disconnect":
                    client_gone = True
                    break
                data = message.get("bytes")
                if data is None:
                    continue  # text messages are not frames
                seq += 1
                if len(data) > limit:
                    await _send_header(
                        websocket,
                        _error_header(
                            seq,
                            ConfigError(
                                f"frame {seq} is {len(data)} bytes, over the limit of {limit} "
                                "(max_ws_frame_bytes); send smaller frames"
                            ),
                            "frame_too_large",
                        ),
                    )
                    await websocket.close(WS_TOO_BIG, "frame over max_ws_frame_bytes")
                    break
                if slot.put(data, seq, time.monotonic() - started):
                    metrics.labels("dropped").inc()
        except WebSocketDisconnect:
            client_gone = True
        finally:
            slot.close()

    reader = asyncio.create_task(receive())
    swapped = 0
    try:
        while True:
            taken = await slot.take()
            if taken is None:
                break
            (data, seq, seconds), dropped = taken
            try:
                header, encoded = await loop.run_in_executor(
                    service.stream_executor, worker, data, seq, seconds
                )
            except Exception as exc:  # one bad frame must not end the stream
                if not isinstance(exc, FaceswapError):
                    logger.exception("stream frame %d failed", seq)
                metrics.labels("failed").inc()
                failure = _error_header(seq, exc, redact=service.redact)
                failure.update(dropped=dropped, dropped_total=slot.dropped_total)
                if not await _send_header(websocket, failure):
                    break
                continue
            metrics.labels("swapped").inc()
            swapped += 1
            header.update(dropped=dropped, dropped_total=slot.dropped_total)
            if not await _send_header(websocket, header):
                break
            try:
                await websocket.send_bytes(encoded)
            except (WebSocketDisconnect, RuntimeError):
                break
    finally:
        note(websocket.scope, frames=swapped, dropped=slot.dropped_total)
        reader.cancel()
        await asyncio.gather(reader, return_exceptions=True)
        # A client that closed (or dropped) has ended the stream: closing again would
        # fail on a gone socket. Otherwise the server ends it with a normal close.
        if not client_gone and websocket.application_state == WebSocketState.CONNECTED:
            with contextlib.suppress(RuntimeError, WebSocketDisconnect):
                await websocket.close()


def _error_header(
    seq: int, exc: BaseException, code: str | None = None, redact: Callable[[str], str] = str
) -> dict[str, Any]:
    message = str(exc).strip()
    if not isinstance(exc, FaceswapError):
        detail = f": {message.splitlines()[0]}" if message else ""
        message = f"unexpected {type(exc).__name__}{detail}; this is a bug: report it"
    return {
        "type": "error",
        "seq": seq,
        "error": {"code": code or error_kind(exc).code, "message": redact(message)},
    }


async def _send_header(websocket: WebSocket, header: dict[str, Any]) -> bool:
    if websocket.application_state != WebSocketState.CONNECTED:
        return False
    try:
        await websocket.send_text(json.dumps(header))
    except (WebSocketDisconnect, RuntimeError):
        return False
    return True


__all__ = ["STREAM_FACES", "FrameWorker", "LatestFrame", "StreamOptions", "serve_stream"]
