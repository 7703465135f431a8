"""faceswap's operation functions, generated from faceswap_core.operations; do not edit.

Regenerate with ``nox -s surface``; a test fails when this file and the specs
disagree. Each function checks its arguments like the command line does and
runs the operation (see :mod:`faceswap._run`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from faceswap._run import REQUIRED, call

if TYPE_CHECKING:
    from faceswap_core.eval.evaluator import EvalResult
    from faceswap_core.experiment.compare import CompareReport
    from faceswap_core.experiment.run import RunResult
    from faceswap_core.interfaces.face import Face, Image
    from faceswap_core.pipeline.image import Pipeline
    from faceswap_core.pipeline.stream import Frame
    from faceswap_core.pipeline.video import VideoReport

ImageInput = Any
"""A path, bytes, a PIL image or an RGB ``uint8`` array."""


def swap(
    target: ImageInput = REQUIRED,
    source: ImageInput = REQUIRED,
    *,
    model: str | None = None,
    model_path: str | Path | None = None,
    faces: str | None = None,
    reference: ImageInput = None,
    threshold: float | None = None,
    pixel_boost: int | None = None,
    mask: str | Sequence[str] = (),
    areas: str | Sequence[str] = (),
    regions: str | Sequence[str] = (),
    occluder: str | None = None,
    parser: str | None = None,
    enhancer: str | None = None,
    enhance_blend: float | None = None,
    require_face: bool = False,
    config: str | Path | None = None,
    overrides: Sequence[str] = (),
    runtime: str | Mapping[str, Any] | None = None,
    providers: Sequence[str] = (),
    cluster: str | None = None,
    workers: int | None = None,
    gpus_per_worker: float | None = None,
    img: Any = None,
    src: Any = None,
    **params: Any,
) -> Image:
    """Swap the identity of the largest face in source into the faces of target; returns the image
    (RGB uint8, target's shape; unchanged without a face).

    :param target: Target image (or, on the command line, a folder; repeatable).
    :param source: Image whose (largest) face identity is used.
    :param model: Swapper: classic (default), inswapper, onnx, or a plugin's.
    :param model_path: Model file (or model-store name) for inswapper/onnx.
    :param faces: Which target faces to swap: all, largest, or reference (reference alone
        implies it).
    :param reference: Image of the person to replace (implies faces reference).
    :param threshold: Identity distance for faces reference: above 0, at most 2 (default: the
        recognizer's).
    :param pixel_boost: Align faces at this side and run a fixed-size model (inswapper 128,
        onnx, unet) on its interleaved sub-grids as one batch: sharper faces (default:
        pipeline.pixel_boost).
    :param mask: Paste masks combined by minimum: box, hull, model, auto, area, occlusion,
        region or a plugin's; comma-separated or repeated (default: pipeline.paste.mask).
    :param areas: Face areas the area mask swaps (implies area when mask is not given).
    :param regions: Face parser classes the region mask swaps (implies region when mask is not
        given).
    :param occluder: XSeg occluder of the occlusion mask: a model name (xseg_1) or a .onnx path
        (implies occlusion when mask is not given).
    :param parser: BiSeNet face parser of the region mask: a model name (bisenet_resnet_34) or a
        .onnx path (implies region when mask is not given).
    :param enhancer: Face enhancer on every swapped face: gfpgan_1.4, codeformer, gpen_bfr_256,
        gpen_bfr_512, an enhancer's name, a .onnx path (GFPGAN's contract), or none (default:
        pipeline.enhancer).
    :param enhance_blend: Share of the enhancer's face under the paste mask: 0 keeps the swap, 1
        takes the enhancer's (default: pipeline.enhance_blend, 0.8).
    :param require_face: A target without a face fails (exit 4; 422 no_face in REST) instead of
        being kept.
    :param config: Config file or shipped config name (baseline, smoke); its pipeline section is
        used.
    :param overrides: Override a config value, e.g. pipeline.faces=largest (repeatable).
    :param runtime: Runtime every model runs on: onnxruntime (default) or a plugin's, e.g.
        tensorrt (faceswap-trt). Overrides pipeline.runtime.
    :param providers: ONNX Runtime execution providers in order, comma-separated or repeated:
        cuda,cpu / coreml / openvino / tensorrt, or full names. A GPU provider that is missing
        or fails to start falls back to CPU with a warning.
    :param cluster: Run on a Ray cluster (faceswap-ray): local (a Ray instance on this machine),
        auto (the cluster this machine joined), ray://HOST:PORT or HOST:PORT. Default: this
        process.
    :param workers: Cluster workers, each with its own loaded pipeline (default 1; needs
        cluster).
    :param gpus_per_worker: GPUs each cluster worker reserves; 0.5 puts two workers on one GPU
        (default 0; needs cluster).
    :param img: deprecated; use ``target``.
    :param src: deprecated; use ``source``.
    :param params: deprecated: swapper parameters as keywords; pass
        overrides=['pipeline.swapper.NAME=VALUE'].
    """
    result: Image = call("swap", locals())
    return result


def detect(
    image: ImageInput = REQUIRED,
    *,
    config: str | Path | None = None,
    overrides: Sequence[str] = (),
    runtime: str | Mapping[str, Any] | None = None,
    providers: Sequence[str] = (),
    img: Any = None,
) -> list[Face]:
    """Faces in image with boxes, scores and five keypoints.

    :param image: The image to look for faces in.
    :param config: Config file or shipped config name; its pipeline section (detector, limits)
        is used.
    :param overrides: Override a config value, e.g. pipeline.faces=largest (repeatable).
    :param runtime: Runtime every model runs on: onnxruntime (default) or a plugin's, e.g.
        tensorrt (faceswap-trt). Overrides pipeline.runtime.
    :param providers: ONNX Runtime execution providers in order, comma-separated or repeated:
        cuda,cpu / coreml / openvino / tensorrt, or full names. A GPU provider that is missing
        or fails to start falls back to CPU with a warning.
    :param img: deprecated; use ``image``.
    """
    result: list[Face] = call("detect", locals())
    return result


def swap_video(
    target: ImageInput = REQUIRED,
    source: ImageInput = REQUIRED,
    output: str | Path | None = REQUIRED,
    *,
    model: str | None = None,
    model_path: str | Path | None = None,
    faces: str | None = None,
    reference: ImageInput = None,
    threshold: float | None = None,
    pixel_boost: int | None = None,
    mask: str | Sequence[str] = (),
    areas: str | Sequence[str] = (),
    regions: str | Sequence[str] = (),
    occluder: str | None = None,
    parser: str | None = None,
    enhancer: str | None = None,
    enhance_blend: float | None = None,
    detect_every: int | None = None,
    swap_batch: int | None = None,
    smooth: str | None = None,
    smooth_params: Mapping[str, float] | Sequence[str] = (),
    codec: str | None = None,
    crf: int | None = None,
    preset: str | None = None,
    pix_fmt: str | None = None,
    start: float | None = None,
    end: float | None = None,
    audio: bool = True,
    overwrite: bool = False,
    provenance: bool | None = None,
    on_progress: Callable[[int, int | None], None] | None = None,
    config: str | Path | None = None,
    overrides: Sequence[str] = (),
    runtime: str | Mapping[str, Any] | None = None,
    providers: Sequence[str] = (),
    pipeline: Pipeline | None = None,
    cluster: str | None = None,
    workers: int | None = None,
    gpus_per_worker: float | None = None,
    in_path: Any = None,
    src: Any = None,
    out_path: Any = None,
    progress: Any = None,
    **options: Any,
) -> VideoReport:
    """Swap the identity of the largest face in source through the video target into output;
    returns the job's report (frames, frames/s, per-stage milliseconds, streams).

    :param target: Input video (or, on the command line, a folder of videos; repeatable).
    :param source: Image whose (largest) face identity is used.
    :param output: Output video (.mp4, .mov, .mkv, .webm...); on the command line, the folder
        for several.
    :param model: Swapper: classic (default), inswapper, onnx, or a plugin's.
    :param model_path: Model file (or model-store name) for inswapper/onnx.
    :param faces: Which target faces to swap: all, largest, or reference (reference alone
        implies it).
    :param reference: Image of the person to replace (implies faces reference).
    :param threshold: Identity distance for faces reference: above 0, at most 2 (default: the
        recognizer's).
    :param pixel_boost: Align faces at this side and run a fixed-size model (inswapper 128,
        onnx, unet) on its interleaved sub-grids as one batch: sharper faces (default:
        pipeline.pixel_boost).
    :param mask: Paste masks combined by minimum: box, hull, model, auto, area, occlusion,
        region or a plugin's; comma-separated or repeated (default: pipeline.paste.mask).
    :param areas: Face areas the area mask swaps (implies area when mask is not given).
    :param regions: Face parser classes the region mask swaps (implies region when mask is not
        given).
    :param occluder: XSeg occluder of the occlusion mask: a model name (xseg_1) or a .onnx path
        (implies occlusion when mask is not given).
    :param parser: BiSeNet face parser of the region mask: a model name (bisenet_resnet_34) or a
        .onnx path (implies region when mask is not given).
    :param enhancer: Face enhancer on every swapped face: gfpgan_1.4, codeformer, gpen_bfr_256,
        gpen_bfr_512, an enhancer's name, a .onnx path (GFPGAN's contract), or none (default:
        pipeline.enhancer).
    :param enhance_blend: Share of the enhancer's face under the paste mask: 0 keeps the swap, 1
        takes the enhancer's (default: pipeline.enhance_blend, 0.8).
    :param detect_every: Run the detector every N frames and track faces in between (default:
        pipeline.video.detect_every).
    :param swap_batch: Swap the faces of up to N waiting frames in one model run when the
        swapper batches (an onnx export with a dynamic batch); 1 swaps frame by frame. The
        output is the same (default: pipeline.video.swap_batch, 4).
    :param smooth: Temporal smoothing of face boxes and landmarks (default:
        pipeline.video.smooth).
    :param smooth_params: Smoothing parameter KEY=VALUE, KEY one of min_cutoff, beta, d_cutoff,
        alpha, color_blend, mask_blend (repeatable).
    :param codec: Video encoder (default libx264).
    :param crf: Constant quality (libx264: 18).
    :param preset: Encoder speed preset (libx264: veryfast).
    :param pix_fmt: Encoder pixel format (default yuv420p).
    :param start: Start time (seconds or [HH:]MM:SS).
    :param end: End time (seconds or [HH:]MM:SS).
    :param audio: Keep audio and subtitle streams.
    :param overwrite: Replace OUTPUT if it exists.
    :param provenance: Mark the file as AI-altered (default: pipeline.provenance).
    :param on_progress: Called as on_progress(frames_done, frames_total) while the video is
        swapped.
    :param config: Config file or shipped config name; its pipeline section is used.
    :param overrides: Override a config value, e.g. pipeline.faces=largest (repeatable).
    :param runtime: Runtime every model runs on: onnxruntime (default) or a plugin's, e.g.
        tensorrt (faceswap-trt). Overrides pipeline.runtime.
    :param providers: ONNX Runtime execution providers in order, comma-separated or repeated:
        cuda,cpu / coreml / openvino / tensorrt, or full names. A GPU provider that is missing
        or fails to start falls back to CPU with a warning.
    :param pipeline: A loaded faceswap.Pipeline to run (its models are reused); default: one
        built from config, model and runtime.
    :param cluster: Run on a Ray cluster (faceswap-ray): local (a Ray instance on this machine),
        auto (the cluster this machine joined), ray://HOST:PORT or HOST:PORT. Default: this
        process.
    :param workers: Cluster workers, each with its own loaded pipeline (default 1; needs
        cluster).
    :param gpus_per_worker: GPUs each cluster worker reserves; 0.5 puts two workers on one GPU
        (default 0; needs cluster).
    :param in_path: deprecated; use ``target``.
    :param src: deprecated; use ``source``.
    :param out_path: deprecated; use ``output``.
    :param progress: deprecated; use ``on_progress``.
    :param options: deprecated: pipeline.video settings as keywords (beta=0.5); pass
        smooth_params or overrides=['pipeline.video.NAME=VALUE'].
    """
    result: VideoReport = call("video", locals())
    return result


def stream(
    frames: Iterable[Any],
    source: ImageInput = REQUIRED,
    *,
    model: str | None = None,
    model_path: str | Path | None = None,
    faces: str | None = None,
    reference: ImageInput = None,
    threshold: float | None = None,
    pixel_boost: int | None = None,
    mask: str | Sequence[str] = (),
    areas: str | Sequence[str] = (),
    regions: str | Sequence[str] = (),
    occluder: str | None = None,
    parser: str | None = None,
    enhancer: str | None = None,
    enhance_blend: float | None = None,
    detect_every: int | None = None,
    swap_batch: int | None = None,
    smooth: str | None = None,
    smooth_params: Mapping[str, float] | Sequence[str] = (),
    fps: float = 25.0,
    copy: bool = True,
    config: str | Path | None = None,
    overrides: Sequence[str] = (),
    runtime: str | Mapping[str, Any] | None = None,
    providers: Sequence[str] = (),
    pipeline: Pipeline | None = None,
    src: Any = None,
    **options: Any,
) -> Iterator[Frame]:
    """Swapped Frame objects, in order, for any iterable of RGB frames (detection every N frames,
    tracking in between).

    :param frames: Frames: RGB arrays, (array, seconds) pairs, or decoded video frames.
    :param source: Image whose (largest) face identity is used.
    :param model: Swapper: classic (default), inswapper, onnx, or a plugin's.
    :param model_path: Model file (or model-store name) for inswapper/onnx.
    :param faces: Which target faces to swap: all, largest, or reference (reference alone
        implies it).
    :param reference: Image of the person to replace (implies faces reference).
    :param threshold: Identity distance for faces reference: above 0, at most 2 (default: the
        recognizer's).
    :param pixel_boost: Align faces at this side and run a fixed-size model (inswapper 128,
        onnx, unet) on its interleaved sub-grids as one batch: sharper faces (default:
        pipeline.pixel_boost).
    :param mask: Paste masks combined by minimum: box, hull, model, auto, area, occlusion,
        region or a plugin's; comma-separated or repeated (default: pipeline.paste.mask).
    :param areas: Face areas the area mask swaps (implies area when mask is not given).
    :param regions: Face parser classes the region mask swaps (implies region when mask is not
        given).
    :param occluder: XSeg occluder of the occlusion mask: a model name (xseg_1) or a .onnx path
        (implies occlusion when mask is not given).
    :param parser: BiSeNet face parser of the region mask: a model name (bisenet_resnet_34) or a
        .onnx path (implies region when mask is not given).
    :param enhancer: Face enhancer on every swapped face: gfpgan_1.4, codeformer, gpen_bfr_256,
        gpen_bfr_512, an enhancer's name, a .onnx path (GFPGAN's contract), or none (default:
        pipeline.enhancer).
    :param enhance_blend: Share of the enhancer's face under the paste mask: 0 keeps the swap, 1
        takes the enhancer's (default: pipeline.enhance_blend, 0.8).
    :param detect_every: Run the detector every N frames and track faces in between (default:
        pipeline.video.detect_every).
    :param swap_batch: Swap the faces of up to N waiting frames in one model run when the
        swapper batches (an onnx export with a dynamic batch); 1 swaps frame by frame. The
        output is the same (default: pipeline.video.swap_batch, 4).
    :param smooth: Temporal smoothing of face boxes and landmarks (default:
        pipeline.video.smooth).
    :param smooth_params: Smoothing parameter KEY=VALUE, KEY one of min_cutoff, beta, d_cutoff,
        alpha, color_blend, mask_blend (repeatable).
    :param fps: Frame rate assumed for frames without timestamps.
    :param copy: Paste into a copy of each frame (default) rather than into it.
    :param config: Config file or shipped config name; its pipeline section is used.
    :param overrides: Override a config value, e.g. pipeline.faces=largest (repeatable).
    :param runtime: Runtime every model runs on: onnxruntime (default) or a plugin's, e.g.
        tensorrt (faceswap-trt). Overrides pipeline.runtime.
    :param providers: ONNX Runtime execution providers in order, comma-separated or repeated:
        cuda,cpu / coreml / openvino / tensorrt, or full names. A GPU provider that is missing
        or fails to start falls back to CPU with a warning.
    :param pipeline: A loaded faceswap.Pipeline to run (its models are reused); default: one
        built from config, model and runtime.
    :param src: deprecated; use ``source``.
    :param options: deprecated: pipeline.video settings as keywords (beta=0.5); pass
        smooth_params or overrides=['pipeline.video.NAME=VALUE'].
    """
    result: Iterator[Frame] = call("stream", locals())
    return result


def evaluate(
    config: str | Path | None = None,
    *,
    model: str | None = None,
    model_path: str | Path | None = None,
    pixel_boost: int | None = None,
    mask: str | Sequence[str] = (),
    areas: str | Sequence[str] = (),
    regions: str | Sequence[str] = (),
    occluder: str | None = None,
    parser: str | None = None,
    enhancer: str | None = None,
    enhance_blend: float | None = None,
    run: str | Path | None = None,
    data: str | Path | None = None,
    pairs: str | Path | None = None,
    videos: str | Path | None = None,
    output: str | Path | None = None,
    baseline: str | Path | None = None,
    tolerance: Mapping[str, float] | Sequence[str] = (),
    overrides: Sequence[str] = (),
    runtime: str | Mapping[str, Any] | None = None,
    providers: Sequence[str] = (),
    cluster: str | None = None,
    workers: int | None = None,
    gpus_per_worker: float | None = None,
    out: Any = None,
) -> EvalResult:
    """Evaluate a swapper like faceswap eval: same options, same outputs, same errors
    (RegressionError, exit code 6, when the baseline gate fails).

    :param config: Config file or shipped config name: its eval and pipeline sections.
    :param model: Swapper: classic, inswapper, onnx, or a plugin's.
    :param model_path: Model file (or model-store name) for the swapper.
    :param pixel_boost: Align faces at this side and run a fixed-size model (inswapper 128,
        onnx, unet) on its interleaved sub-grids as one batch: sharper faces (default:
        pipeline.pixel_boost).
    :param mask: Paste masks combined by minimum: box, hull, model, auto, area, occlusion,
        region or a plugin's; comma-separated or repeated (default: pipeline.paste.mask).
    :param areas: Face areas the area mask swaps (implies area when mask is not given).
    :param regions: Face parser classes the region mask swaps (implies region when mask is not
        given).
    :param occluder: XSeg occluder of the occlusion mask: a model name (xseg_1) or a .onnx path
        (implies occlusion when mask is not given).
    :param parser: BiSeNet face parser of the region mask: a model name (bisenet_resnet_34) or a
        .onnx path (implies region when mask is not given).
    :param enhancer: Face enhancer on every swapped face: gfpgan_1.4, codeformer, gpen_bfr_256,
        gpen_bfr_512, an enhancer's name, a .onnx path (GFPGAN's contract), or none (default:
        pipeline.enhancer).
    :param enhance_blend: Share of the enhancer's face under the paste mask: 0 keeps the swap, 1
        takes the enhancer's (default: pipeline.enhance_blend, 0.8).
    :param run: Training run folder: its best checkpoint, with the swapper that loads it.
    :param data: Prepared dataset (manifest.json; eval.split is used) or LFW-layout folder.
    :param pairs: CSV of source,target pairs.
    :param videos: Folder of videos (N evenly spaced frames each).
    :param output: Output folder (new or empty; default work_dirs/eval-<timestamp>).
    :param baseline: Eval folder to gate against: exit 6 when a metric regressed.
    :param tolerance: Allowed slack for --baseline, e.g. identity_top1=0.02, or DELTA for every
        gated metric (repeatable).
    :param overrides: Override a config value, e.g. eval.cross_pairs=20 (repeatable).
    :param runtime: Runtime every model runs on: onnxruntime (default) or a plugin's, e.g.
        tensorrt (faceswap-trt). Overrides pipeline.runtime.
    :param providers: ONNX Runtime execution providers in order, comma-separated or repeated:
        cuda,cpu / coreml / openvino / tensorrt, or full names. A GPU provider that is missing
        or fails to start falls back to CPU with a warning.
    :param cluster: Run on a Ray cluster (faceswap-ray): local (a Ray instance on this machine),
        auto (the cluster this machine joined), ray://HOST:PORT or HOST:PORT. Default: this
        process.
    :param workers: Cluster workers, each with its own loaded pipeline (default 1; needs
        cluster).
    :param gpus_per_worker: GPUs each cluster worker reserves; 0.5 puts two workers on one GPU
        (default 0; needs cluster).
    :param out: deprecated; use ``output``.
    """
    result: EvalResult = call("eval", locals())
    return result


def train(
    config: str | Path,
    *,
    output: str | Path | None = None,
    overrides: Sequence[str] = (),
    resume: bool | str | Path | None = None,
    work_dir: Any = None,
    **settings: Any,
) -> RunResult:
    """Train from a config file, like faceswap train --config CONFIG; returns the run's summary.

    :param config: Config file or shipped config name (its train: section names the runner).
    :param output: Run folder (default: the config's work_dir, else
        work_dirs/<name>-<timestamp>).
    :param overrides: Override a value, e.g. --set train.steps=100 --set data.root=DIR
        (repeatable).
    :param resume: Continue from the newest checkpoint of RUN_DIR (or of this experiment's
        newest run).
    :param work_dir: deprecated; use ``output``.
    :param settings: deprecated: --set overrides as keywords, __ for the dots (train__steps=10);
        pass overrides=['train.steps=10'].
    """
    result: RunResult = call("train", locals())
    return result


def report(
    run_dir: str | Path,
    other: str | Path | None = None,
    *,
    output: str | Path | None = None,
) -> Path:
    """Regenerate a run's report.html (faceswap report); with other, compare two runs.

    :param run_dir: An eval or training run folder.
    :param other: A second run to compare RUN_DIR with.
    :param output: HTML file to write (default RUN_DIR/report.html, or
        RUN_DIR/compare-<B>.html).
    """
    result: Path = call("report", locals())
    return result


def compare(
    run_a: str | Path,
    run_b: str | Path | None = None,
    *,
    baseline: str | Path | None = None,
    metrics: Sequence[str] = (),
    tolerance: Mapping[str, float] | Sequence[str] = (),
    fail_on_regression: Any = None,
) -> CompareReport:
    """Compare two run folders like faceswap compare; with baseline or tolerance, raise
    RegressionError when a gated metric got worse beyond its tolerance.

    :param run_a: The first run folder (the baseline), or the run to check with --baseline.
    :param run_b: The second run folder, compared with RUN_A.
    :param baseline: The baseline run: compare the one run given with it and gate (exit 6 on a
        regression).
    :param metrics: Compare and gate only this metric (repeatable); default: show all, gate
        val/*.
    :param tolerance: Allowed worsening, METRIC=DELTA or DELTA for every gated metric
        (repeatable); with two runs it turns the gate on.
    :param fail_on_regression: deprecated; use ``tolerance``.
    """
    result: CompareReport = call("compare", locals())
    return result


def prepare_lfw(
    src: str | Path,
    output: str | Path | None = REQUIRED,
    *,
    config: str | Path | None = None,
    overrides: Sequence[str] = (),
    out: Any = None,
    **params: Any,
) -> Mapping[str, Any]:
    """Prepare an LFW tree, .tgz or Kaggle zip into output, like faceswap data lfw prepare (needs
    faceswap-unet; torch is not needed to prepare).

    :param src: Raw data: a folder, or an archive the dataset knows (LFW .tgz, Kaggle zip).
    :param output: Prepared dataset folder.
    :param config: Config whose data: section sets the options.
    :param overrides: Override a dataset option, e.g. data.crop_size=112 (repeatable).
    :param out: deprecated; use ``output``.
    :param params: deprecated: the dataset's options as keywords (crop_size=112); pass
        overrides=['data.crop_size=112'].
    """
    result: Mapping[str, Any] = call("prepare", locals())
    return result


def inspect(
    file: str | Path,
    *,
    verify: bool = False,
    trust: str | Path | None = None,
    config: str | Path | None = None,
    overrides: Sequence[str] = (),
) -> dict[str, Any]:
    """A file's format, provenance mark and C2PA state as a dict (faceswap inspect); verify=True
    raises CredentialsError unless the manifest passes.

    :param file: The image or video to inspect.
    :param verify: Fail (exit 3, CredentialsError in Python) unless FILE carries an intact C2PA
        manifest; with --trust, its signer must also chain to one of those CAs.
    :param trust: PEM file of CA certificates to trust: a signer chaining to one is valid, any
        other untrusted (faceswap ships no trust list).
    :param config: Config file or shipped config name (baseline, smoke).
    :param overrides: Override a config value, e.g. pipeline.faces=largest (repeatable).
    """
    result: dict[str, Any] = call("inspect", locals())
    return result


def provenance_keygen(
    output: str | Path | None,
    *,
    alg: str = "es256",
    overwrite: bool = False,
) -> dict[str, Path]:
    """Write an untrusted test CA and a C2PA signer (faceswap provenance keygen); returns the paths
    by role: ca, cert, key.

    :param output: Folder for ca.pem, signer.pem and signer.key (made if missing).
    :param alg: Signing algorithm of the key (pipeline.c2pa.alg).
    :param overwrite: Replace ca.pem, signer.pem and signer.key if present.
    """
    result: dict[str, Path] = call("provenance keygen", locals())
    return result


__all__ = [
    "ImageInput",
    "compare",
    "detect",
    "evaluate",
    "inspect",
    "prepare_lfw",
    "provenance_keygen",
    "report",
    "stream",
    "swap",
    "swap_video",
    "train",
]
