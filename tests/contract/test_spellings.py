"""One spelling per idea: old names keep working with one warning, missing plugins say what to
install, plugin config sections are checked like core's, ``--json`` means JSON Lines.

The aliases of other commands are tested beside them: ``train`` (tests/unit/test_run.py),
``compare`` (tests/unit/test_compare.py), ``models add`` (test_own_models.py), ``mos export``
(test_cli_mos.py), ``eval`` (test_cli_eval.py), ``export`` (the plugins' export tests),
``data lfw prepare`` (faceswap-unet's tests), REST's ``video`` part (faceswap-rest's tests).
"""

from __future__ import annotations

import importlib.util
import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner, Result
from PIL import Image as PILImage

import faceswap
from faceswap.errors import FaceswapWarning, MissingPluginError
from faceswap_core.cli.main import make_cli
from faceswap_core.config.loader import load_config
from faceswap_core.interfaces.face import Image
from faceswap_core.plugin.directory import install_hint
from faceswap_core.plugin.manager import FaceswapPlugins

HAS_REST = importlib.util.find_spec("faceswap_rest") is not None
REST_HINT = "pip install faceswap-rest (from a checkout: pip install ./plugins/faceswap_rest)"


@pytest.fixture(scope="module")
def plugins() -> FaceswapPlugins:
    return FaceswapPlugins(strict=True)


def run(manager: FaceswapPlugins, *args: str | Path) -> Result:
    return CliRunner().invoke(make_cli(manager), [str(a) for a in args])


def warning_lines(result: Result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("Warning:")]


# -- Python: old keyword names ---------------------------------------------------------------


def test_old_keywords_of_swap_and_detect_work_and_warn_once(
    tom_hanks_image: Image, astronaut_image: Image
) -> None:
    new = faceswap.swap(astronaut_image, tom_hanks_image, faces="largest")
    with pytest.warns(FaceswapWarning) as caught:
        old = faceswap.swap(img=astronaut_image, src=tom_hanks_image, faces="largest")
    assert [str(w.message) for w in caught] == [
        "img= is deprecated; use target=",
        "src= is deprecated; use source=",
    ]
    assert {w.filename for w in caught} == {__file__}  # the warning points at the caller
    assert np.array_equal(old, new)
    with pytest.warns(FaceswapWarning, match="img= is deprecated; use image="):
        faces = faceswap.detect(img=astronaut_image)
    assert len(faces) == len(faceswap.detect(astronaut_image)) == 1
    with pytest.raises(TypeError, match=r"swap\(\) missing required argument: 'source'"):
        faceswap.swap(astronaut_image)
    with pytest.raises(faceswap.errors.ConfigError, match="img and target name the same thing"):
        faceswap.swap(astronaut_image, tom_hanks_image, img=astronaut_image)


def test_the_api_checks_values_like_the_cli(astronaut_image: Image) -> None:
    with pytest.raises(faceswap.errors.ConfigError, match=r"^threshold: must be above 0\.0"):
        faceswap.swap(astronaut_image, astronaut_image, threshold=3.0)
    with pytest.raises(faceswap.errors.ConfigError, match=r"^faces reference needs reference"):
        faceswap.swap(astronaut_image, astronaut_image, faces="reference")
    with pytest.raises(faceswap.errors.ConfigError, match=r"^faces: expected one of all"):
        faceswap.stream([], astronaut_image, faces="everyone")


def test_old_keywords_of_stream_work(tom_hanks_image: Image, astronaut_image: Image) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frames = list(
            faceswap.stream([astronaut_image] * 2, src=tom_hanks_image, beta=0.5, detect_every=2)
        )
    messages = [str(w.message) for w in caught if issubclass(w.category, FaceswapWarning)]
    assert messages == [
        "src= is deprecated; use source=",
        "stream(beta=) is deprecated; pass smooth_params={...} (smoothing) or "
        "overrides=['pipeline.video.KEY=VALUE']",
    ]
    assert [frame.detected for frame in frames] == [True, False]  # detect_every=2: tracked
    assert all(frame.swapped for frame in frames)


# -- the command line: old option names -------------------------------------------------------


def test_detect_draw_is_the_old_output(
    plugins: FaceswapPlugins, t1_path: Path, tmp_path: Path
) -> None:
    drawn = tmp_path / "drawn.png"
    old = run(plugins, "detect", t1_path, "--draw", drawn)
    assert old.exit_code == 0, old.output
    assert warning_lines(old) == ["Warning: --draw is deprecated; use -o/--output"]
    assert drawn.is_file()
    both = run(plugins, "detect", t1_path, "--draw", drawn, "-o", tmp_path / "x.png")
    assert both.exit_code == 2
    assert both.stderr.strip() == (
        "Error: --draw and -o/--output name the same thing; pass only -o/--output"
    )


# -- missing plugins --------------------------------------------------------------------------


def test_a_command_of_a_plugin_that_is_not_installed_says_how_to_install_it() -> None:
    bare = FaceswapPlugins(load_entry_points=False, strict=True)
    result = run(bare, "serve", "--port", "9000")
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: faceswap serve is not installed. It comes from faceswap-rest, which is "
        "installed but not loaded; add it to FACESWAP_LOAD_PLUGINS or unset that variable.\n"
        if HAS_REST
        else f"Error: faceswap serve is not installed. Install it with: {REST_HINT}\n"
    )
    unknown = run(bare, "servve")
    assert unknown.exit_code == 2
    assert "No such command 'servve'" in unknown.stderr  # nobody declares it: click's answer


def test_an_install_hint_names_the_distribution_and_the_checkout_folder() -> None:
    assert install_hint("faceswap-rest") == REST_HINT
    assert install_hint("faceswap-somebody-else") == "pip install faceswap-somebody-else"
    from faceswap_core.plugin.directory import hint_for

    hint = hint_for("runtime", "tensorrt", loaded={}, installed={})
    assert hint == (
        "Install it with: pip install faceswap-trt (from a checkout: pip install "
        "./plugins/faceswap_trt)"
    )


def test_a_config_requiring_a_missing_plugin_says_how_to_install_it(tmp_path: Path) -> None:
    config = tmp_path / "needs.yaml"
    config.write_text("plugins: [faceswap-nothere>=1, faceswap-trt>=99]\n")
    with pytest.raises(MissingPluginError) as info:
        load_config(config)
    assert str(info.value).endswith(
        "Install them with: pip install 'faceswap-nothere>=1' 'faceswap-trt>=99' "
        "(from a checkout: pip install ./plugins/faceswap_trt)"
    )


# -- plugin config sections -------------------------------------------------------------------


@pytest.mark.skipif(not HAS_REST, reason="faceswap-rest is not installed")
def test_the_serve_section_is_checked_like_cores(plugins: FaceswapPlugins, tmp_path: Path) -> None:
    shown = run(plugins, "config", "show", "serve", "--set", "serve.port=9001")
    assert shown.exit_code == 0, shown.output
    assert "serve:\n  host: 127.0.0.1\n  port: 9001\n" in shown.stdout
    config = tmp_path / "serve.yaml"
    config.write_text("serve:\n  port: 8080\n  limits: {max_pixel: 5}\n")
    bad = run(plugins, "config", "show", config)
    assert bad.exit_code == 2
    assert bad.stderr.strip() == (
        "Error: $.serve.limits.max_pixel: unknown key (did you mean 'max_pixels'?)"
    )
    wrong = run(plugins, "config", "show", "serve", "--set", "serve.port=70000")
    assert wrong.exit_code == 2
    assert "$.serve.port: must be between 0 and 65535, got 70000" in wrong.stderr
    typo = run(plugins, "config", "show", "serve", "--set", "serve.prot=1")
    assert typo.exit_code == 2
    assert "unknown key $.serve.prot (did you mean 'port'?)" in typo.stderr
    # any command's --config reads a file with a serve: section (it was "$.serve: unknown key")
    config.write_text("serve:\n  port: 8080\npipeline:\n  faces: largest\n")
    loaded, _ = load_config(config)
    assert loaded.pipeline.faces == "largest"
    assert loaded.serve.port == 8080  # type: ignore[attr-defined]


def test_a_section_of_a_plugin_that_is_not_loaded_names_the_plugin(tmp_path: Path) -> None:
    from faceswap_core.plugin.manager import set_plugins

    config = tmp_path / "serve.yaml"
    config.write_text("serve:\n  port: 8080\n")
    previous = set_plugins(FaceswapPlugins(load_entry_points=False, strict=True))
    try:
        with pytest.raises(MissingPluginError) as info:
            load_config(config)
    finally:
        set_plugins(previous)
    assert str(info.value) == (
        f"$.serve: the serve section comes from faceswap-rest, which is not loaded; "
        f"install it with: {REST_HINT}"
    )


# -- --json is JSON Lines everywhere ----------------------------------------------------------


def json_lines(result: Result) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Every stdout line is a JSON object; the last is ``{"summary": ...}``."""
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert rows, "no JSON on stdout"
    assert all(isinstance(row, dict) for row in rows)
    *items, last = rows
    assert list(last) == ["summary"]
    assert all("summary" not in item for item in items)
    return items, last["summary"]


def test_json_lines_of_detect_inspect_models_and_export_verify(
    plugins: FaceswapPlugins, t1_path: Path, tmp_path: Path
) -> None:
    items, summary = json_lines(run(plugins, "detect", t1_path, "--json"))
    assert [len(item["faces"]) for item in items] == [6]
    assert summary == {"images": 1, "faces": 6, "output": None}
    image = tmp_path / "a.png"
    PILImage.fromarray(np.zeros((8, 8, 3), np.uint8)).save(image)
    items, summary = json_lines(run(plugins, "inspect", image, "--json"))
    assert items[0]["format"] == "PNG"
    assert summary == {"files": 1, "c2pa": "absent"}
    home = {"FACESWAP_HOME": str(tmp_path / "home")}
    listed = CliRunner(env=home).invoke(make_cli(plugins), ["models", "list", "--json"])
    items, summary = json_lines(listed)
    assert summary["models"] == len(items) > 0
    assert {item["name"] for item in items} >= {"retinaface_mnet025"}
