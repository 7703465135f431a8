"""Test helpers for plugin authors, shipped as an opt-in pytest plugin.

Installing faceswap-core makes pytest load this module (entry point
``pytest11: faceswap``), so it must stay inert: it defines fixtures and
helpers only, no autouse fixtures, no hooks, no environment changes. Nothing
happens unless a test asks for one of:

- ``faceswap_plugins``: a fresh, strict manager with core's built-ins only,
  installed as the process-wide manager for the test and restored afterwards.
- ``register_plugin``: ``register_plugin(obj_or_module, name=None)`` registers a
  plugin into ``faceswap_plugins`` for this test and unregisters it afterwards.
- ``faceswap_cli``: ``faceswap_cli("plugins", "--all")`` runs the ``faceswap``
  command line on ``faceswap_plugins`` (or ``manager=``) in-process and returns
  click's :class:`~click.testing.Result`.
- ``small_disk``: ``small_disk("64k")`` mounts a tmpfs of that size under the
  test's ``tmp_path`` and returns its folder, to see what a full disk does to
  your writer (a real ENOSPC, not a mock). Mounting needs root; elsewhere the
  test is skipped with the reason.

Outside fixtures, :func:`register_plugin` is a context manager,
:func:`isolated_plugins` builds a manager with chosen installed distributions,
and :func:`build_component` builds one component the way a pipeline does
(through its factory, with a real build context). :func:`write_onnx_export`
writes a tiny ``onnx`` swapper export with its own recognizer graph and probe
faces (by default :func:`sample_probe_faces`), without torch, and
:func:`pin_companions` re-pins those files in its metadata after a test
changed them.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from click.testing import Result

    from faceswap_core.interfaces import Face, Image
    from faceswap_core.plugin.manager import FaceswapPlugins

# Core modules are imported inside the helpers: pytest loads this module before
# coverage starts, and an import here would hide their module-level lines.

__all__ = [
    "build_component",
    "isolated_plugins",
    "mounted_tmpfs",
    "only_error_line",
    "pin_companions",
    "register_plugin",
    "remount_tmpfs",
    "run_cli",
    "sample_probe_faces",
    "use_plugins",
    "write_onnx_export",
]


def isolated_plugins(load: Iterable[str] = (), *, strict: bool = True) -> FaceswapPlugins:
    """A manager with core's built-ins plus only the named installed distributions.

    :param load: distribution names (``faceswap-hello``) whose entry points to load;
        empty loads none, whatever ``FACESWAP_LOAD_PLUGINS`` says.
    :param strict: raise :class:`~faceswap_core.errors.PluginError` on a broken plugin.
    """
    from faceswap_core.plugin.manager import FaceswapPlugins

    names = list(load)
    return FaceswapPlugins(load_entry_points=bool(names), strict=strict, only=names)


def build_component(
    kind: str,
    ref: str | Mapping[str, Any],
    *,
    manager: FaceswapPlugins | None = None,
    runtime: str | Mapping[str, Any] = "onnxruntime",
) -> Any:
    """Build a component by kind and reference, as a pipeline would.

    :param kind: ``detector``, ``swapper``... (see ``faceswap components``).
    :param ref: its name or ``{type: NAME, **params}``.
    :param manager: the plugin manager; defaults to the process-wide one.
    :param runtime: the runtime reference the component loads its models with.
    """
    from faceswap_core.pipeline.context import build_context
    from faceswap_core.plugin.manager import get_plugins

    target = manager if manager is not None else get_plugins()
    context = build_context(target, runtime=runtime)
    return target.build(kind, ref, context=context)


@contextmanager
def use_plugins(manager: FaceswapPlugins) -> Iterator[FaceswapPlugins]:
    """Install ``manager`` as the process-wide one (``get_plugins()``) inside the block."""
    from faceswap_core.plugin.manager import set_plugins

    previous = set_plugins(manager)
    try:
        yield manager
    finally:
        set_plugins(previous)


@contextmanager
def register_plugin(
    plugin: object, name: str | None = None, *, manager: FaceswapPlugins | None = None
) -> Iterator[str]:
    """Register ``plugin`` (an object or module with ``@hookimpl`` functions) inside the block.

    :param plugin: the plugin object or module.
    :param name: its plugin name; defaults to the module or class name.
    :param manager: where to register it; defaults to the process-wide manager.
    """
    from faceswap_core.plugin.manager import get_plugins

    target = manager if manager is not None else get_plugins()
    registered = target.register(plugin, name=name)
    try:
        yield registered
    finally:
        target.unregister(registered)


def run_cli(
    *args: str,
    manager: FaceswapPlugins | None = None,
    input: str | bytes | None = None,
    env: Mapping[str, str | None] | None = None,
    catch_exceptions: bool = True,
) -> Result:
    """Run ``faceswap ARGS`` in-process on ``manager`` (default: the process-wide one)."""
    from click.testing import CliRunner

    from faceswap_core.cli.main import make_cli
    from faceswap_core.plugin.manager import get_plugins

    target = manager if manager is not None else get_plugins()
    with use_plugins(target):  # make_cli installs its manager; put the old one back after
        cli = make_cli(target)
        return CliRunner().invoke(
            cli,
            list(args),
            input=input,
            env=env,
            catch_exceptions=catch_exceptions,
            prog_name="faceswap",
        )


def only_error_line(result: Result) -> str:
    """The one ``Error: ...`` line a failed command printed (nothing else, no log lines).

    :raises AssertionError: the output has other lines, or its line is not an error.
    """
    lines = [line for line in result.output.splitlines() if line.strip()]
    if len(lines) != 1 or not lines[0].startswith("Error: "):
        raise AssertionError(f"expected one 'Error: ...' line, got:\n{result.output}")
    return lines[0]


def sample_probe_faces(count: int = 4) -> list[tuple[Image, Face]]:
    """Real faces with context for probes: the installed detector's faces in the sample
    images (astronaut, Tom Hanks, then t1's group), each in its face box grown by half."""
    import numpy as np

    from faceswap_core.config.schema import PipelineConfig
    from faceswap_core.pipeline.image import Pipeline
    from faceswap_core.plugin.manager import get_plugins
    from faceswap_core.tools.samples import load_sample
    from faceswap_core.vision.crop import crop_around, grown_box

    pipeline = Pipeline(PipelineConfig(), get_plugins())
    probes: list[tuple[Image, Face]] = []
    for name in ("astronaut", "tom_hanks", "t1"):
        image = load_sample(name)
        for face in pipeline.detect(image):
            left, top, _, _ = grown_box(face, 0.5, image.shape)
            shift = np.array([left, top], np.float32)
            moved = face.evolve(
                bbox=face.bbox - np.concatenate([shift, shift]), kps=face.kps - shift
            )
            probes.append((crop_around(image, face, 0.5), moved))
            if len(probes) == count:
                return probes
    return probes


def write_onnx_export(
    path: Path,
    probe_faces: Sequence[tuple[Image, Face]] | None = None,
    *,
    size: int = 64,
    dim: int = 32,
    template: str = "arcface",
    recognizer: str = "testing:linear",
    seed: int = 0,
) -> Path:
    """A tiny export as ``faceswap export onnx`` lays it out, built without torch.

    ``path`` (the swapper: ``output = (target + sigmoid(source @ P)) / 2``),
    ``NAME.recognizer.onnx`` (a seeded linear map of the 8 x 8 average-pooled
    crop, L2-normalised) and ``NAME.probes.npz`` (``probe_faces`` with that
    recognizer's embeddings, computed through the same alignment the ``onnx``
    swapper uses), pinned by SHA-256 in the swapper's metadata.

    :param probe_faces: images with one face each; default :func:`sample_probe_faces`.
    """
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    from faceswap_core.runtime.onnxruntime import OnnxRuntime
    from faceswap_core.swappers.blobs import to_blob
    from faceswap_core.swappers.export_recognizer import Probes, companion_paths
    from faceswap_core.vision.align import align

    if probe_faces is None:
        probe_faces = sample_probe_faces()
    rng = np.random.default_rng(seed)
    graph_path, probe_path = companion_paths(path)
    pool = size // 8
    weight = rng.standard_normal((3 * 8 * 8, dim)).astype(np.float32)
    recognizer_graph = helper.make_graph(
        [
            helper.make_node("AveragePool", ["crop"], ["pooled"], kernel_shape=[pool, pool],
                             strides=[pool, pool]),
            helper.make_node("Flatten", ["pooled"], ["flat"]),
            helper.make_node("MatMul", ["flat", "weight"], ["raw"]),
            helper.make_node("LpNormalization", ["raw"], ["embedding"], axis=1, p=2),
        ],
        "testing_recognizer",
        [helper.make_tensor_value_info("crop", TensorProto.FLOAT, ["N", 3, size, size])],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["N", dim])],
        initializer=[numpy_helper.from_array(weight, "weight")],
    )  # fmt: skip
    metadata = {
        "faceswap.crop_size": str(size),
        "faceswap.template": template,
        "faceswap.recognizer": recognizer,
        "faceswap.embedding_dim": str(dim),
    }
    model = helper.make_model(recognizer_graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    helper.set_model_props(model, {**metadata, "faceswap.kind": "recognizer"})
    onnx.checker.check_model(model)
    graph_path.write_bytes(model.SerializeToString())

    session = OnnxRuntime().load(graph_path)
    crops = [to_blob(align(image, face, size, template).crop, size) for image, face in probe_faces]
    embeddings = np.concatenate([session.run({"crop": crop})["embedding"] for crop in crops])
    side = max(max(image.shape[:2]) for image, _ in probe_faces)
    images = np.zeros((len(probe_faces), side, side, 3), np.uint8)
    for index, (image, _) in enumerate(probe_faces):
        images[index, : image.shape[0], : image.shape[1]] = image
    probes = Probes(
        images=images,
        boxes=np.stack([face.bbox for _, face in probe_faces]).astype(np.float32),
        kps=np.stack([face.kps for _, face in probe_faces]).astype(np.float32),
        embeddings=embeddings.astype(np.float32),
    )
    probe_path.write_bytes(probes.encode())

    proj = (rng.standard_normal((dim, 3)) * 2.0).astype(np.float32)
    swapper_graph = helper.make_graph(
        [
            helper.make_node("MatMul", ["source", "proj"], ["colour"]),
            helper.make_node("Sigmoid", ["colour"], ["colour_sig"]),
            helper.make_node("Reshape", ["colour_sig", "shape"], ["colour_img"]),
            helper.make_node("Add", ["target", "colour_img"], ["sum"]),
            helper.make_node("Mul", ["sum", "half"], ["output"]),
        ],
        "testing_swapper",
        [
            helper.make_tensor_value_info("target", TensorProto.FLOAT, ["N", 3, size, size]),
            helper.make_tensor_value_info("source", TensorProto.FLOAT, ["N", dim]),
        ],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["N", 3, size, size])],
        initializer=[
            numpy_helper.from_array(proj, "proj"),
            numpy_helper.from_array(np.array([-1, 3, 1, 1], np.int64), "shape"),
            numpy_helper.from_array(np.array(0.5, np.float32), "half"),
        ],
    )
    model = helper.make_model(swapper_graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    helper.set_model_props(model, metadata)
    onnx.checker.check_model(model)
    path.write_bytes(model.SerializeToString())
    pin_companions(path)
    return path


def pin_companions(path: Path) -> None:
    """Write the SHA-256 of ``path``'s recognizer graph and probe file into its metadata."""
    import onnx

    from faceswap_core.io.hashing import sha256_file
    from faceswap_core.swappers.export_recognizer import (
        PROBES_SHA256,
        RECOGNIZER_SHA256,
        companion_paths,
    )

    graph_path, probe_path = companion_paths(path)
    model = onnx.load(str(path))
    props = {prop.key: prop.value for prop in model.metadata_props}
    props[RECOGNIZER_SHA256] = sha256_file(graph_path)
    props[PROBES_SHA256] = sha256_file(probe_path)
    del model.metadata_props[:]
    onnx.helper.set_model_props(model, props)
    onnx.save(model, str(path))


@pytest.fixture(name="faceswap_plugins")
def faceswap_plugins() -> Iterator[FaceswapPlugins]:
    """A strict manager with core's built-ins only, process-wide for the test."""
    with use_plugins(isolated_plugins()) as manager:
        yield manager


@pytest.fixture(name="register_plugin")
def _register_plugin_fixture(
    faceswap_plugins: FaceswapPlugins,
) -> Iterator[Callable[..., str]]:
    """``register_plugin(obj, name=None) -> name``: registered until the test ends."""
    registered: list[str] = []

    def register(plugin: object, name: str | None = None) -> str:
        plugin_name = faceswap_plugins.register(plugin, name=name)
        registered.append(plugin_name)
        return plugin_name

    yield register
    for plugin_name in reversed(registered):
        faceswap_plugins.unregister(plugin_name)


@pytest.fixture(name="faceswap_cli")
def faceswap_cli(faceswap_plugins: FaceswapPlugins) -> Callable[..., Result]:
    """``faceswap_cli(*args, manager=None, input=None, env=None) -> click Result``."""

    def invoke(*args: str, manager: FaceswapPlugins | None = None, **kwargs: Any) -> Result:
        return run_cli(*args, manager=manager or faceswap_plugins, **kwargs)

    return invoke


@contextmanager
def mounted_tmpfs(folder: Path, size: str) -> Iterator[Path]:
    """Mount a tmpfs of ``size`` (``"64k"``, ``"2m"``) at ``folder`` for the block.

    A real small disk: writes past ``size`` fail with ``ENOSPC`` in the kernel.
    Skips the calling test where mounting is not allowed (not root, or a
    container without ``CAP_SYS_ADMIN``).
    """
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs (a real full disk) needs root")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip() or mounted.returncode}")
    try:
        yield folder
    finally:
        done = subprocess.run(["umount", str(folder)], capture_output=True, check=False)
        if done.returncode != 0:  # still busy: detach it now, the kernel frees it when idle
            subprocess.run(["umount", "-l", str(folder)], capture_output=True, check=False)


def remount_tmpfs(folder: Path, size: str) -> None:
    """Grow (or shrink) a tmpfs mounted by :func:`mounted_tmpfs`: free space without a new mount."""
    subprocess.run(["mount", "-o", f"remount,size={size}", str(folder)], check=True)


@pytest.fixture(name="small_disk")
def small_disk(tmp_path: Path) -> Iterator[Callable[[str], Path]]:
    """``small_disk("64k") -> Path``: a folder on a tmpfs of that size, unmounted after the test."""
    with ExitStack() as stack:
        count = [0]

        def make(size: str) -> Path:
            count[0] += 1
            return stack.enter_context(mounted_tmpfs(tmp_path / f"disk{count[0]}", size))

        yield make
