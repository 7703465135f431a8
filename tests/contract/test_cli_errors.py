"""Exit codes per error class: bugs, plugin components that raise, tampered model files.

Every case ends in exactly one ``Error:`` line (the traceback only with
``--debug``) and leaves no output file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result

from faceswap_core import Register, hookimpl
from faceswap_core.cli.main import make_cli
from faceswap_core.config.schema import PipelineConfig
from faceswap_core.errors import ComponentError
from faceswap_core.models.store import ModelStore, UnverifiedModelWarning
from faceswap_core.pipeline.image import Pipeline
from faceswap_core.plugin.manager import FaceswapPlugins


class BrokenPlugin:
    """A command with a bug, a detector that raises, one that cannot be built, a bad swapper."""

    @hookimpl
    def register_commands(self, cli: click.Group) -> None:
        @cli.command("buggy")
        def buggy() -> None:
            raise ValueError("state went wrong\nsecond line of detail")

    @hookimpl
    def register_detectors(self, register: Register[Any]) -> None:
        register("boom", lambda config, context: Boom())
        register("unbuildable", self.unbuildable)

    @hookimpl
    def register_swappers(self, register: Register[Any]) -> None:
        register("explode", self.exploding_swapper)

    @staticmethod
    def unbuildable(config: Any, context: Any) -> Any:
        raise ImportError("No module named 'fancy_dependency'")

    @staticmethod
    def exploding_swapper(config: Any, context: Any) -> Any:
        class Exploding:
            crop_size, template, recognizer, needs_landmarks = 112, "arcface", None, False

            def prepare_source(self, crop: Any, face: Any) -> Any:
                return None

            def swap(self, crop: Any, face: Any, source: Any) -> Any:
                raise ZeroDivisionError("division by zero")

        return Exploding()


class Boom:
    def detect(self, image: Any) -> Any:
        raise RuntimeError("kaput")


@pytest.fixture(scope="module")
def plugins() -> FaceswapPlugins:
    manager = FaceswapPlugins(strict=True)
    manager.register(BrokenPlugin(), name="faceswap-broken")
    return manager


def run(plugins: FaceswapPlugins, *args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(make_cli(plugins), list(args), env=env)


def lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def test_an_unexpected_error_is_exit_1_with_one_line_and_a_debug_hint(
    plugins: FaceswapPlugins,
) -> None:
    result = run(plugins, "buggy")
    assert result.exit_code == 1
    assert lines(result.output) == [
        "Error: unexpected ValueError: state went wrong; this is a bug: rerun with --debug "
        "for the traceback and report it"
    ]
    debug = run(plugins, "buggy", "--debug")
    assert debug.exit_code == 1
    assert "Traceback (most recent call last)" in debug.output
    assert "second line of detail" in debug.output
    assert lines(debug.output)[-1].startswith("Error: unexpected ValueError: state went wrong")


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        (
            "pipeline.detector=boom",
            "Error: detector 'boom' (plugin faceswap-broken) failed: RuntimeError: kaput; "
            "rerun with --debug for the traceback and report it to the plugin's authors",
        ),
        (
            "pipeline.detector=unbuildable",
            "Error: detector 'unbuildable' (plugin faceswap-broken) could not be built: "
            "ImportError: No module named 'fancy_dependency'; rerun with --debug",
        ),
        (
            "pipeline.swapper=explode",
            "Error: swapper 'explode' (plugin faceswap-broken) failed: ZeroDivisionError: "
            "division by zero; rerun with --debug",
        ),
    ],
    ids=["detector-raises", "factory-raises", "swapper-raises"],
)
def test_a_plugin_component_that_raises_is_named_in_one_line(
    plugins: FaceswapPlugins,
    tom_hanks_path: Path,
    astronaut_image: Any,
    tmp_path: Path,
    override: str,
    expected: str,
) -> None:
    from PIL import Image as PILImage

    target = tmp_path / "astronaut.png"
    PILImage.fromarray(astronaut_image).save(target)
    out = tmp_path / "out.png"
    result = run(
        plugins, "swap", "-s", str(tom_hanks_path), "-t", str(target), "-o", str(out),
        "--set", override,
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    (line,) = lines(result.output)
    assert line.startswith(expected)
    assert "Traceback" not in result.output
    assert not out.exists()


def test_the_python_api_raises_a_component_error_naming_the_plugin(
    plugins: FaceswapPlugins, tom_hanks_image: Any
) -> None:
    pipeline = Pipeline(PipelineConfig(detector={"type": "boom"}), plugins)
    with pytest.raises(ComponentError, match=r"detector 'boom' \(plugin faceswap-broken\)") as info:
        pipeline.swap(tom_hanks_image, tom_hanks_image)
    assert info.value.exit_code == 1
    assert isinstance(info.value.__cause__, RuntimeError)


def test_a_tampered_store_model_used_by_name_is_exit_5_without_output(
    tom_hanks_path: Path, tmp_path: Path
) -> None:
    home = tmp_path / "fshome"
    store = ModelStore(home / "models")
    original = tmp_path / "det_10g.onnx"
    original.write_bytes(b"detector weights, recorded on add" * 50)
    with pytest.warns(UnverifiedModelWarning):  # det_10g's checksum is recorded, not pinned
        stored = store.add("det_10g", original).path
    assert stored is not None
    stored.write_bytes(b"detector weights, changed behind" * 50)  # tampered after it was added
    out = tmp_path / "out.png"
    result = run(
        FaceswapPlugins(strict=True),
        "swap", "-s", str(tom_hanks_path), "-t", str(tom_hanks_path), "-o", str(out),
        "--set", "pipeline.detector=insightface",
        env={"FACESWAP_HOME": str(home)},
    )  # fmt: skip
    assert result.exit_code == 5, result.output
    (line,) = [line for line in lines(result.output) if line.startswith("Error:")]
    assert line.startswith(f"Error: model file corrupt: {stored} has sha256")
    assert "tampered or truncated" in line
    assert not out.exists()
