"""Face tracking across video frames: stable track ids between full detections.

Running the detector on every frame is the most expensive part of a video
swap, and its boxes jitter. So the stream detects every N frames and, in
between, moves each face with the motion of points inside it: pyramidal
Lucas-Kanade optical flow on the five keypoints and a grid over the face,
checked forward and backward, with a RANSAC similarity fit (OpenCV). A face
whose points cannot be followed is marked lost, which asks the stream for a
detection on the next frame.

On detection frames, detections are matched to the tracks' current boxes by
IoU with the Hungarian method (SciPy); matched faces keep their ``track_id``,
unmatched detections start new tracks, and a track missed by
``max_missed`` detections in a row ends. A scene cut (:class:`SceneCutDetector`)
ends every track.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs
import cv2
import numpy as np
import numpy.typing as npt

from faceswap_core.interfaces.face import Face, FloatArray, Image
from faceswap_core.vision.align import transform_points
from faceswap_core.vision.boxes import iou_matrix

# Optical flow runs on a grey copy of the frame whose longer side is at most this.
FLOW_SIDE = 640
# Lucas-Kanade window and pyramid depth (OpenCV's defaults are 21 and 3).
FLOW_WINDOW = 21
FLOW_LEVELS = 3
# A point is kept when tracking it back lands within this many flow pixels of where it started.
FLOW_BACK_ERROR = 1.0
# Fewer good points than this and the face counts as lost.
MIN_FLOW_POINTS = 6
GRID = 4
# The flow window reaches this many face sizes beyond the face box: faster motion is lost
# (and re-detected on the next frame).
FLOW_REACH = 0.6


@attrs.frozen(eq=False)
class FlowFrame:
    """A frame prepared once for optical flow and scene-cut checks.

    :ivar gray: the frame in grey, its longer side at most :data:`FLOW_SIDE`.
    :ivar scale: ``gray`` pixels per frame pixel (at most 1).
    """

    gray: npt.NDArray[np.uint8]
    scale: float


def flow_frame(image: Image | FlowFrame) -> FlowFrame:
    """``image`` in grey at flow resolution (a :class:`FlowFrame` is returned as is)."""
    if isinstance(image, FlowFrame):
        return image
    height, width = image.shape[:2]
    scale = min(1.0, FLOW_SIDE / max(height, width))
    gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    if scale < 1.0:
        size = (max(round(width * scale), 1), max(round(height * scale), 1))
        gray = cv2.resize(gray, size, interpolation=cv2.INTER_AREA)
    return FlowFrame(np.asarray(gray, np.uint8), scale)


@attrs.define(eq=False)
class Track:
    """One tracked face.

    :ivar id: stable id, unique within a stream.
    :ivar face: latest geometry in frame coordinates, with ``track_id`` set.
    :ivar hits: detections matched to this track.
    :ivar misses: detection rounds in a row without a match (0 = seen at the last one).
    :ivar lost: optical flow could not follow it since the last detection.
    :ivar state: per-track data of whoever runs the tracker (smoothers, selection).
    """

    id: int
    face: Face
    hits: int = 1
    misses: int = 0
    lost: bool = False
    state: dict[str, Any] = attrs.Factory(dict)

    @property
    def visible(self) -> bool:
        return self.misses == 0


class Tracker:
    """Keeps track ids across frames; see the module docstring.

    :param iou_threshold: least IoU between a track's box and a detection to match them.
    :param max_missed: detection rounds a track may go unmatched before it ends.
    """

    def __init__(self, iou_threshold: float = 0.3, max_missed: int = 2) -> None:
        self.iou_threshold = iou_threshold
        self.max_missed = max_missed
        self.tracks: list[Track] = []
        self._next_id = 0
        self._gray: npt.NDArray[np.uint8] | None = None
        self._scale = 1.0

    @property
    def visible(self) -> list[Track]:
        """Tracks seen at the last detection and still followed."""
        return [track for track in self.tracks if track.visible and not track.lost]

    @property
    def needs_detection(self) -> bool:
        """Whether a visible track was lost by optical flow (re-detect on the next frame)."""
        return any(track.lost and track.visible for track in self.tracks)

    def reset(self) -> None:
        """End every track (a scene cut); ids keep counting up."""
        self.tracks = []
        self._gray = None

    def _start(self, face: Face) -> Track:
        track = Track(self._next_id, face.evolve(track_id=self._next_id))
        self._next_id += 1
        self.tracks.append(track)
        return track

    def update(self, image: Image | FlowFrame, detections: Sequence[Face]) -> list[Track]:
        """Match a frame's detections to the tracks; returns the visible tracks.

        A track and a detection match when their IoU is at least
        ``iou_threshold``; the assignment maximises the total IoU.
        """
        from scipy.optimize import linear_sum_assignment

        self._remember(image)
        matched: dict[int, int] = {}
        if self.tracks and detections:
            overlap = iou_matrix(
                [track.face.bbox for track in self.tracks], [face.bbox for face in detections]
            )
            rows, cols = linear_sum_assignment(-overlap)
            for row, col in zip(rows, cols, strict=True):
                if overlap[row, col] >= self.iou_threshold:
                    matched[int(col)] = int(row)
        seen: set[int] = set()
        for index, face in enumerate(detections):
            if index in matched:
                track = self.tracks[matched[index]]
                track.face = face.evolve(track_id=track.id)
                track.hits += 1
                track.misses = 0
                track.lost = False
                seen.add(track.id)
            else:
                seen.add(self._start(face).id)
        for track in self.tracks:
            if track.id not in seen:
                track.misses += 1
                track.lost = False
        self.tracks = [t for t in self.tracks if t.misses <= self.max_missed]
        return self.visible

    def _remember(self, image: Image | FlowFrame) -> npt.NDArray[np.uint8]:
        prepared = flow_frame(image)
        self._gray, self._scale = prepared.gray, prepared.scale
        return self._gray

    def follow(self, image: Image | FlowFrame) -> list[Track]:
        """Move the visible tracks to ``image`` by optical flow; returns those still followed."""
        previous = self._gray
        gray = self._remember(image)
        if previous is None or previous.shape != gray.shape:
            for track in self.tracks:
                track.lost = track.visible
            return self.visible
        for track in self.visible:
            moved = self._flow(previous, gray, track.face)
            if moved is None:
                track.lost = True
            else:
                track.face = moved
        return self.visible

    def _flow(
        self, previous: npt.NDArray[np.uint8], gray: npt.NDArray[np.uint8], face: Face
    ) -> Face | None:
        scale = self._scale
        points = flow_points(face) * np.float32(scale)
        # Flow only looks near the face: a window of the face box grown by FLOW_REACH on
        # each side (in both frames), so the pyramids cost the face's area, not the frame's.
        x0, y0, x1, y1 = _reach(face, scale, gray.shape)
        if x1 - x0 < FLOW_WINDOW or y1 - y0 < FLOW_WINDOW:
            return None
        origin = np.array([x0, y0], np.float32)
        before = np.ascontiguousarray(previous[y0:y1, x0:x1])
        after = np.ascontiguousarray(gray[y0:y1, x0:x1])
        start = (points - origin).reshape(-1, 1, 2)
        criteria = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 20, 0.03)
        window = (FLOW_WINDOW, FLOW_WINDOW)
        ahead, status, _ = cv2.calcOpticalFlowPyrLK(
            before,
            after,
            start,
            start.copy(),
            winSize=window,
            maxLevel=FLOW_LEVELS,
            criteria=criteria,
        )
        if ahead is None:
            return None
        back, status_back, _ = cv2.calcOpticalFlowPyrLK(
            after,
            before,
            ahead,
            ahead.copy(),
            winSize=window,
            maxLevel=FLOW_LEVELS,
            criteria=criteria,
        )
        if back is None:
            return None
        start = start + origin
        ahead = ahead + origin
        back = back + origin
        error = np.linalg.norm((back - start).reshape(-1, 2), axis=1)
        good = (status.ravel() == 1) & (status_back.ravel() == 1) & (error < FLOW_BACK_ERROR)
        if int(good.sum()) < MIN_FLOW_POINTS:
            return None
        src = start.reshape(-1, 2)[good] / np.float32(scale)
        dst = ahead.reshape(-1, 2)[good] / np.float32(scale)
        matrix, inliers = cv2.estimateAffinePartial2D(
            src, dst, method=cv2.RANSAC, ransacReprojThreshold=2.0 / scale
        )
        if matrix is None or inliers is None or int(inliers.sum()) < MIN_FLOW_POINTS:
            return None
        return move_face(face, np.asarray(matrix, np.float64))


def _reach(face: Face, scale: float, shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    """The flow window around ``face`` in grey-frame pixels: its box grown by FLOW_REACH."""
    x1, y1, x2, y2 = (float(v) * scale for v in face.bbox)
    grow = FLOW_REACH * max(x2 - x1, y2 - y1)
    height, width = shape[:2]
    return (
        max(int(x1 - grow), 0),
        max(int(y1 - grow), 0),
        min(int(np.ceil(x2 + grow)), width),
        min(int(np.ceil(y2 + grow)), height),
    )


def flow_points(face: Face) -> FloatArray:
    """The five keypoints and a ``GRID`` x ``GRID`` grid over the middle of the face box."""
    x1, y1, x2, y2 = (float(v) for v in face.bbox)
    xs = np.linspace(x1 + 0.2 * (x2 - x1), x2 - 0.2 * (x2 - x1), GRID)
    ys = np.linspace(y1 + 0.2 * (y2 - y1), y2 - 0.2 * (y2 - y1), GRID)
    grid = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)
    return np.vstack([face.kps, grid]).astype(np.float32)


def move_face(face: Face, matrix: npt.NDArray[np.float64]) -> Face:
    """``face`` moved by a 2 x 3 similarity: keypoints, landmarks, and the box about its centre."""
    cx, cy = face.center
    centre = transform_points([[cx, cy]], matrix)[0]
    zoom = float(np.sqrt(abs(np.linalg.det(matrix[:, :2]))))
    half_w, half_h = face.width / 2 * zoom, face.height / 2 * zoom
    bbox = [centre[0] - half_w, centre[1] - half_h, centre[0] + half_w, centre[1] + half_h]
    landmarks = None if face.landmarks is None else transform_points(face.landmarks, matrix)
    return face.evolve(bbox=bbox, kps=transform_points(face.kps, matrix), landmarks=landmarks)


class SceneCutDetector:
    """Says when consecutive frames belong to different shots.

    Frames are reduced to small grey thumbnails; a cut is a mean absolute
    difference above ``threshold`` (0 to 1, in units of full brightness).
    Camera pans and zooms move a blurred thumbnail little; a cut changes most of it.

    :param threshold: 0 < threshold <= 1; 1 never reports a cut.
    """

    SIZE = (32, 18)

    def __init__(self, threshold: float = 0.12) -> None:
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"scene cut threshold must be in (0, 1], got {threshold}")
        self.threshold = threshold
        self._last: npt.NDArray[np.float32] | None = None

    def reset(self) -> None:
        self._last = None

    def difference(self, image: Image | FlowFrame) -> float | None:
        """Mean absolute difference (0 to 1) to the previous frame; ``None`` for the first."""
        gray = flow_frame(image).gray
        thumb = cv2.resize(gray, self.SIZE, interpolation=cv2.INTER_AREA).astype(np.float32)
        previous, self._last = self._last, thumb
        if previous is None or previous.shape != thumb.shape:
            return None
        return float(np.mean(np.abs(thumb - previous))) / 255.0

    def __call__(self, image: Image | FlowFrame) -> bool:
        """Whether ``image`` starts a new shot (never for the first frame)."""
        difference = self.difference(image)
        return difference is not None and difference > self.threshold


__all__ = [
    "FlowFrame",
    "SceneCutDetector",
    "Track",
    "Tracker",
    "flow_frame",
    "flow_points",
    "move_face",
]
