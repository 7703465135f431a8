"""Swapping a stream of frames: detection every N frames, tracking, smoothing, the image stages.

``stream(frames, source)`` takes any iterable of RGB frames (a camera loop, a
decoder, frames from the network) and yields swapped :class:`Frame` objects in
order. It reuses the image pipeline's stages (:meth:`Pipeline.render`,
:meth:`Pipeline.paste`) and adds what only a sequence has:

- the detector runs on every ``detect_every``-th frame, on scene cuts and when
  a face is lost; faces are tracked in between with stable ``track_id``\\ s
  (:mod:`faceswap_core.vision.tracking`);
- which faces to swap is decided per track, not per frame: ``reference``
  compares a track's first few detections with the reference, ``largest``
  keeps its choice until another face is clearly larger, so the swapped
  person does not flicker between identities;
- box, keypoints and landmarks are smoothed per track, and the paste mask and
  colour are blended over time (:mod:`faceswap_core.vision.smoothing`).

Three threads do the work, connected by short queues
(:mod:`faceswap_core.pipeline.stages`): one checks frames and runs the
scheduled detections (several at once when frames wait, as one batched
detector call), one analyses (scene cut, tracking, selection, landmarks,
smoothing), one swaps, masks and pastes (the faces of several waiting frames
in one model run when the swapper batches, then each frame in order), so they
overlap on two cores. With a face enhancer (``pipeline.enhancer``) a fourth
thread pastes and enhances, so the enhancer of one frame runs while the next
frame is swapped.

``faceswap video`` runs the same code between its decode and encode threads.
"""

from __future__ import annotations

import contextlib
import time as time_module
from collections.abc import Generator, Iterable, Iterator, Mapping
from typing import Any

import attrs
import numpy as np

from faceswap_core.config.convert import structure, unstructure
from faceswap_core.config.ranges import check_value, frame_rate
from faceswap_core.config.schema import VideoConfig
from faceswap_core.errors import ConfigError
from faceswap_core.interfaces import SwapOutput
from faceswap_core.interfaces.face import Face, FloatArray, Image
from faceswap_core.pipeline.image import ImageInput, Pipeline, SourceIdentity, check_threshold
from faceswap_core.pipeline.rendered import RenderedFace
from faceswap_core.pipeline.stages import Batch, staged
from faceswap_core.pipeline.timing import StageTimer
from faceswap_core.vision.align import AlignedFace
from faceswap_core.vision.selection import SELECTIONS, identity_distance
from faceswap_core.vision.smoothing import ColorBlend, FaceSmoother, MaskBlend, make_filter
from faceswap_core.vision.tracking import SceneCutDetector, Track, Tracker, flow_frame

STREAM_STAGES: tuple[str, ...] = (
    "detect", "track", "select", "landmarks", "align", "swap", "mask", "paste", "enhance",
)  # fmt: skip
"""Stages a stream times per frame, in order (the video job adds decode and encode)."""

REFERENCE_VOTES = 3
"""Detections of a track whose identity distance is averaged for ``reference`` selection."""

LARGEST_MARGIN = 1.2
"""With ``largest``, another face takes over only when its box is this much larger."""

DEFAULT_FPS = 25.0
"""Frame rate assumed for frames that come without timestamps."""


@attrs.frozen(eq=False)
class Frame:
    """One swapped frame of a stream.

    :ivar image: the frame with the selected faces swapped (RGB ``uint8``).
    :ivar index: position in the stream (0-based).
    :ivar time: seconds (from the input, or ``index / fps``).
    :ivar faces: every tracked face, smoothed, with ``track_id`` (landmarks on swapped ones).
    :ivar swapped: track ids of the faces swapped in this frame.
    :ivar detected: whether the detector ran on this frame (else faces were tracked).
    :ivar scene_cut: whether this frame starts a new shot.
    :ivar timings: milliseconds per stage for this frame.
    """

    image: Image
    index: int
    time: float
    faces: list[Face]
    swapped: list[int]
    detected: bool
    scene_cut: bool
    timings: dict[str, float]


@attrs.frozen(eq=False)
class StreamInput:
    """A checked frame on its way to the analyser, with its scheduled detections if run.

    :ivar detections: faces found by the detection stage (every ``detect_every``-th
        frame, batched), or ``None`` when the detector has not run on this frame.
    :ivar timings: milliseconds spent on this frame so far (``detect``).
    """

    image: Image
    index: int
    time: float
    detections: list[Face] | None = None
    timings: dict[str, float] = attrs.Factory(dict)


@attrs.frozen(eq=False)
class _Analysis:
    image: Image
    index: int
    time: float
    faces: list[Face]
    selected: list[Face]
    detected: bool
    scene_cut: bool
    timings: dict[str, float]


def video_config(base: VideoConfig, options: Mapping[str, Any]) -> VideoConfig:
    """``base`` with keyword options applied and validated like a config file (``$.video``)."""
    if not options:
        return base
    data = unstructure(base)
    data.update(options)
    return structure(data, VideoConfig, path="$.video")


class FrameAnalyser:
    """The stateful first half of a stream: which faces are where, and which to swap."""

    def __init__(
        self,
        pipeline: Pipeline,
        config: VideoConfig,
        *,
        faces: str,
        reference: FloatArray | None,
        threshold: float | None,
    ) -> None:
        if faces not in SELECTIONS:
            raise ConfigError(
                f"unknown face selection {faces!r}; choose one of {', '.join(SELECTIONS)}"
            )
        if faces == "reference" and reference is None:
            raise ConfigError("faces=reference needs a reference image (--reference IMG)")
        self.pipeline = pipeline
        self.config = config
        self.faces = faces
        self.reference = reference
        self.threshold = threshold
        self.tracker = Tracker(config.track_iou)
        self.cuts = SceneCutDetector(config.scene_cut)
        self._first = True
        self._largest: int | None = None
        self._needs_landmarks = pipeline.needs_landmarks

    def _smoother(self) -> FaceSmoother:
        cfg = self.config

        def one() -> Any:
            return make_filter(
                cfg.smooth, min_cutoff=cfg.min_cutoff, beta=cfg.beta, d_cutoff=cfg.d_cutoff,
                alpha=cfg.alpha,
            )  # fmt: skip

        return FaceSmoother(one(), one())

    def scheduled(self, index: int) -> bool:
        """Whether frame ``index`` gets a full detection by schedule (every ``detect_every``)."""
        return index % self.config.detect_every == 0

    def __call__(self, item: StreamInput | tuple[Image, int, float]) -> _Analysis:
        if not isinstance(item, StreamInput):
            item = StreamInput(*item)
        image, index, time = item.image, item.index, item.time
        timer = StageTimer()
        timer.ms.update(item.timings)
        with timer.stage("track"):
            prepared = flow_frame(image)  # one grey copy for the cut check and the tracker
            cut = self.config.scene_cut < 1.0 and self.cuts(prepared)
            if cut:
                self.tracker.reset()
                self._largest = None
        detect = (
            cut
            or self.scheduled(index)
            or item.detections is not None
            or self.tracker.needs_detection
            or self._first
        )
        self._first = False
        if detect:
            found = item.detections
            if found is None:
                with timer.stage("detect"):
                    found = self.pipeline.detector.detect(image)
            with timer.stage("track"):
                tracks = self.tracker.update(prepared, found)
        else:
            with timer.stage("track"):
                tracks = self.tracker.follow(prepared)
        with timer.stage("select"):
            chosen = self._select(image, tracks, detect)
        faces: list[Face] = []
        selected: list[Face] = []
        for track in tracks:
            smoother = track.state.get("smoother")
            if smoother is None:
                smoother = track.state["smoother"] = self._smoother()
            with timer.stage("track"):
                face = smoother.face(track.face, time)
            if track.id in chosen:
                if self._needs_landmarks:
                    with timer.stage("landmarks"):
                        points = self.pipeline.landmarker.landmarks(image, face)
                    with timer.stage("track"):
                        face = face.evolve(landmarks=smoother.points(points, time, face.height))
                selected.append(face)
            faces.append(face)
        return _Analysis(image, index, time, faces, selected, detect, cut, timer.ms)

    def _select(self, image: Image, tracks: list[Track], detected: bool) -> set[int]:
        if self.faces == "all":
            return {track.id for track in tracks}
        if self.faces == "largest":
            return self._select_largest(tracks)
        return self._select_reference(image, tracks, detected)

    def _select_largest(self, tracks: list[Track]) -> set[int]:
        if not tracks:
            return set()
        best = max(tracks, key=lambda t: (t.face.area, t.face.score))
        current = next((t for t in tracks if t.id == self._largest), None)
        if current is None or best.face.area > LARGEST_MARGIN * current.face.area:
            self._largest = best.id
        return {self._largest} if self._largest is not None else set()

    def _select_reference(self, image: Image, tracks: list[Track], detected: bool) -> set[int]:
        assert self.reference is not None
        recognizer = self.pipeline.recognizer
        limit = self.threshold if self.threshold is not None else recognizer.threshold
        chosen = set()
        for track in tracks:
            distances: list[float] = track.state.setdefault("distances", [])
            # Embed at detections (fresh boxes), for the first few only: the decision is per track.
            if detected and len(distances) < REFERENCE_VOTES and track.misses == 0:
                embedding = recognizer.embed(image, track.face)
                distances.append(identity_distance(embedding, self.reference))
            if distances and float(np.mean(distances)) < limit:
                chosen.add(track.id)
        return chosen


@attrs.frozen(eq=False)
class Painted:
    """A frame's swapped faces, blended over time, waiting to be pasted (and enhanced)."""

    analysis: _Analysis
    rendered: list[RenderedFace]
    timings: dict[str, float]


class FramePainter:
    """The second half: render the selected faces, blend mask and colour over time, paste.

    The temporal blends act on each face's swap mask and crop before the paste
    and the enhancer (which pastes through that same blended mask), so an
    enhanced face keeps the swap's steadiness from frame to frame. ``paint``
    and ``finish`` are the two halves of a call: a stream with an enhancer
    runs them in two threads, so one frame is enhanced while the next is swapped.
    """

    def __init__(
        self, pipeline: Pipeline, identity: SourceIdentity, config: VideoConfig, *, copy: bool
    ) -> None:
        self.pipeline = pipeline
        self.identity = identity
        self.config = config
        self.copy = copy
        self._blends: dict[int, tuple[MaskBlend, ColorBlend]] = {}

    def __call__(self, analysis: _Analysis) -> Frame:
        return self.finish(self.paint([analysis])[0])

    def paint_frames(self, analyses: list[_Analysis]) -> list[Frame]:
        """:meth:`paint` and :meth:`finish` in one stage (a stream without an enhancer)."""
        return [self.finish(painted) for painted in self.paint(analyses)]

    def paint(self, analyses: list[_Analysis]) -> list[Painted]:
        """Swap the selected faces of several frames (one batched swap when the swapper
        batches), then mask them and blend mask and colour over time, frame by frame in
        order, exactly as one by one."""
        timers = [StageTimer() for _ in analyses]
        jobs: list[tuple[int, AlignedFace]] = []
        for index, analysis in enumerate(analyses):
            for face in analysis.selected:
                with timers[index].stage("align"):
                    jobs.append((index, self.pipeline.align(analysis.image, face)))
        outputs: list[SwapOutput] = []
        if jobs:
            start = time_module.perf_counter()
            outputs = self.pipeline.swap_aligned([job[1] for job in jobs], self.identity)
            share = (time_module.perf_counter() - start) * 1000.0 / len(jobs)
            for index, _ in jobs:
                timers[index].add("swap", share)
        painted: list[Painted] = []
        for index, analysis in enumerate(analyses):
            mine = [k for k, job in enumerate(jobs) if job[0] == index]
            rendered = self.pipeline.masked(
                analysis.selected,
                [jobs[k][1] for k in mine],
                [outputs[k] for k in mine],
                timers[index],
            )
            painted.append(self._blended(analysis, rendered, timers[index]))
        return painted

    def _blended(
        self, analysis: _Analysis, rendered: list[RenderedFace], timer: StageTimer
    ) -> Painted:
        """Blend each face's mask and colour over time (per track, in frame order)."""
        if analysis.scene_cut:
            self._blends.clear()
        live = {face.track_id for face in analysis.selected}
        for key in [key for key in self._blends if key not in live]:
            del self._blends[key]
        blended: list[RenderedFace] = []
        for face, result in zip(analysis.selected, rendered, strict=True):
            with timer.stage("paste"):
                blended.append(self._blend(face, result))
        return Painted(analysis, blended, timer.ms)

    def finish(self, painted: Painted) -> Frame:
        """Paste (and enhance) the painted faces into the frame."""
        timer = StageTimer()
        timer.ms.update(painted.timings)
        analysis, rendered = painted.analysis, painted.rendered
        image = analysis.image
        output = image.copy() if (self.copy and rendered) else image
        self.pipeline.finish(output, rendered, timer)
        return Frame(
            image=output,
            index=analysis.index,
            time=analysis.time,
            faces=analysis.faces,
            swapped=[int(face.track_id) for face in analysis.selected if face.track_id is not None],
            detected=analysis.detected,
            scene_cut=analysis.scene_cut,
            timings={**analysis.timings, **{k: v for k, v in timer.ms.items() if v}},
        )

    def _blend(self, face: Face, result: RenderedFace) -> RenderedFace:
        key = face.track_id if face.track_id is not None else -1
        blends = self._blends.get(key)
        if blends is None:
            blends = self._blends[key] = (
                MaskBlend(self.config.mask_blend),
                ColorBlend(self.config.color_blend),
            )
        mask_blend, color_blend = blends
        mask = mask_blend(result.mask)
        crop = color_blend(result.crop, result.aligned.crop, mask)
        return result.evolve(mask=mask, crop=crop)


def _frames_with_times(frames: Iterable[Any], fps: float) -> Iterator[tuple[Image, int, float]]:
    for index, item in enumerate(frames):
        if isinstance(item, tuple):
            image, time = item
        elif hasattr(item, "image"):
            image, time = item.image, getattr(item, "time", None)
        else:
            image, time = item, None
        yield image, index, float(time) if time is not None else index / fps


def stream(
    frames: Iterable[Any],
    source: ImageInput | SourceIdentity,
    *,
    pipeline: Pipeline | None = None,
    faces: str | None = None,
    reference: ImageInput | None = None,
    threshold: float | None = None,
    fps: float = DEFAULT_FPS,
    copy: bool = True,
    **options: Any,
) -> Generator[Frame, None, None]:
    """Swap ``source``'s identity into a stream of frames; yields :class:`Frame` in order.

    :param frames: RGB ``uint8`` arrays, ``(array, seconds)`` pairs, or objects with
        ``image`` and ``time`` (such as :class:`~faceswap_core.io.video.reader.DecodedFrame`).
    :param pipeline: the pipeline whose components run (default: a new default one).
    :param faces: ``all``, ``largest`` or ``reference`` (default: the pipeline config's).
    :param reference: image of the person to replace with ``faces="reference"``.
    :param fps: frame rate assumed for frames without timestamps.
    :param copy: paste into a copy of each frame (default) rather than into it.
    :param options: overrides of :class:`~faceswap_core.config.schema.VideoConfig`
        (``detect_every``, ``smooth``, ``min_cutoff``, ``beta``, ...).
    :raises NoFaceError: the source has no face (before any frame is read).
    """
    check_value("fps", fps, frame_rate)
    check_threshold(threshold)
    pipe = pipeline if pipeline is not None else Pipeline()
    config = video_config(pipe.config.video, options)
    identity = pipe.prepare_source(source)
    mode = faces or ("reference" if reference is not None else pipe.config.faces)
    wanted = None
    if mode == "reference" and reference is not None:
        wanted = pipe.reference_embedding(reference)
    limit = threshold if threshold is not None else pipe.config.threshold
    analyser = FrameAnalyser(pipe, config, faces=mode, reference=wanted, threshold=limit)
    painter = FramePainter(pipe, identity, config, copy=copy)

    def detect(items: list[tuple[Any, int, float]]) -> list[StreamInput]:
        """Check each frame; run the scheduled detections of those waiting as one batch."""
        inputs = [
            StreamInput(pipe.decode(image, name=f"frame {index}"), index, time)
            for image, index, time in items
        ]
        due = [item for item in inputs if analyser.scheduled(item.index)]
        if not due:
            return inputs
        start = time_module.perf_counter()
        found = pipe.detector.detect_batch([item.image for item in due])
        share = (time_module.perf_counter() - start) * 1000.0 / len(due)
        by_index = dict(zip((item.index for item in due), found, strict=True))
        return [
            attrs.evolve(item, detections=by_index[item.index], timings={"detect": share})
            if item.index in by_index
            else item
            for item in inputs
        ]

    # With an enhancer, a frame is enhanced in its own thread while the next one is swapped.
    painting: list[Any] = (
        [Batch(painter.paint, config.swap_batch), painter.finish]
        if pipe.config.enhancer is not None
        else [Batch(painter.paint_frames, config.swap_batch)]
    )
    chain = staged(
        _frames_with_times(frames, fps),
        [Batch(detect, config.detect_batch), analyser, *painting],
        depth=config.queue,
    )
    return _run(chain)


def _run(chain: Generator[Frame, None, None]) -> Generator[Frame, None, None]:
    with contextlib.closing(chain):
        yield from chain


__all__ = [
    "REFERENCE_VOTES",
    "STREAM_STAGES",
    "Frame",
    "FrameAnalyser",
    "FramePainter",
    "Painted",
    "stream",
    "video_config",
]
