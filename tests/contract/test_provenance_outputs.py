"""Provenance on every output: CLI, Python API and demo, PNG, JPEG and WebP.

The metadata is read back by walking each container by hand
(:func:`tests.conftest.xmp_packets`) and parsing the XMP with the standard
library, not with faceswap's own reader. The source type is the one the
swapper declares: the classic warp (the default) moves captured pixels and
generates none, so it is a composite of captures, never "trained" media.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from tests.conftest import digital_source_types, xmp_packets

from faceswap_core.cli.main import make_cli
from faceswap_core.io.encode import encode, write_image
from faceswap_core.plugin.manager import FaceswapPlugins

COMPOSITE = "http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia"
CAPTURES = "http://cv.iptc.org/newscodes/digitalsourcetype/compositeCapture"
FORMATS = ("png", "jpg", "webp")


@pytest.fixture(scope="module")
def plugins() -> FaceswapPlugins:
    return FaceswapPlugins(strict=True)


@pytest.mark.parametrize("fmt", FORMATS)
def test_cli_outputs_carry_provenance_unless_turned_off(
    plugins: FaceswapPlugins, tom_hanks_path: Path, t1_path: Path, tmp_path: Path, fmt: str
) -> None:
    marked, plain = tmp_path / f"marked.{fmt}", tmp_path / f"plain.{fmt}"
    base = ["swap", "-s", str(tom_hanks_path), "-t", str(t1_path), "--faces", "largest"]
    result = CliRunner().invoke(make_cli(plugins), [*base, "-o", str(marked)])
    assert result.exit_code == 0, result.output
    assert digital_source_types(marked.read_bytes()) == [CAPTURES]

    result = CliRunner().invoke(make_cli(plugins), [*base, "-o", str(plain), "--no-provenance"])
    assert result.exit_code == 0, result.output
    data = plain.read_bytes()
    assert xmp_packets(data) == []
    assert b"digitalsourcetype" not in data
    assert b"faceswap" not in data  # no software tag either


@pytest.mark.parametrize("fmt", FORMATS)
def test_python_api_outputs_carry_provenance_unless_turned_off(
    tmp_path: Path, tom_hanks_image: np.ndarray, fmt: str
) -> None:
    assert digital_source_types(encode(tom_hanks_image, fmt)) == [COMPOSITE]
    written = write_image(tmp_path / f"out.{fmt}", tom_hanks_image, model="classic")
    assert digital_source_types(written.read_bytes()) == [COMPOSITE]
    bare = encode(tom_hanks_image, fmt, provenance=False)
    assert xmp_packets(bare) == []
    assert b"compositeWithTrainedAlgorithmicMedia" not in bare


def test_demo_outputs_carry_provenance(plugins: FaceswapPlugins, tmp_path: Path) -> None:
    result = CliRunner().invoke(make_cli(plugins), ["demo", "-o", str(tmp_path / "demo")])
    assert result.exit_code == 0, result.output
    for name in ("swap.png", "side_by_side.png"):
        assert digital_source_types((tmp_path / "demo" / name).read_bytes()) == [CAPTURES], name
