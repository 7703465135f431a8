"""Engine cache keys change with every part they depend on, and entries are written whole."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from faceswap_core.io.atomic import is_temp_path
from faceswap_trt.cache import EngineCache, EngineKey, sidecar_path

shapes = st.lists(st.integers(1, 2048), min_size=1, max_size=4).map(tuple)
profiles = st.lists(
    st.tuples(st.text(min_size=1, max_size=8), shapes, shapes, shapes), max_size=3
).map(lambda items: tuple(sorted(items)))
keys = st.builds(
    EngineKey,
    onnx_sha256=st.text(alphabet="0123456789abcdef", min_size=64, max_size=64),
    trt_version=st.sampled_from(["10.0.1", "10.3.0", "10.7.0.23"]),
    gpu=st.sampled_from(["NVIDIA Orin", "NVIDIA H100 80GB HBM3", "NVIDIA GeForce RTX 4090"]),
    precision=st.sampled_from(["fp16", "fp32"]),
    profile=profiles,
)
FIELDS = ("onnx_sha256", "trt_version", "gpu", "precision", "profile")


@given(keys)
def test_the_same_facts_give_the_same_key(key: EngineKey) -> None:
    copy = EngineKey(**attrs.asdict(key, recurse=False))
    assert copy.digest() == key.digest()
    assert len(key.digest()) == 64


@given(keys, keys, st.sampled_from(FIELDS))
def test_changing_any_one_part_changes_the_key(a: EngineKey, b: EngineKey, field: str) -> None:
    changed = attrs.evolve(a, **{field: getattr(b, field)})
    if getattr(a, field) == getattr(b, field):
        assert changed.digest() == a.digest()
    else:
        assert changed.digest() != a.digest()


def test_the_key_is_a_hash_of_its_facts_written_out() -> None:
    # Worked by hand: the digest is SHA-256 of the sorted, compact JSON of the facts.
    import hashlib

    key = EngineKey("ab" * 32, "10.3.0", "NVIDIA Orin", "fp16", (("x", (1, 3), (2, 3), (4, 3)),))
    text = (
        '{"gpu":"NVIDIA Orin","key_version":1,"onnx_sha256":"' + "ab" * 32 + '",'
        '"precision":"fp16","profile":[{"max":[4,3],"min":[1,3],"name":"x","opt":[2,3]}],'
        '"trt_version":"10.3.0"}'
    )
    assert key.digest() == hashlib.sha256(text.encode()).hexdigest()


def _key(**changes: Any) -> EngineKey:
    return attrs.evolve(EngineKey("0" * 64, "10.3.0", "NVIDIA Orin", "fp16"), **changes)


def test_put_then_get_round_trips_and_leaves_no_temporaries(tmp_path: Path) -> None:
    cache = EngineCache(tmp_path / "engines")
    key = _key()
    assert cache.get(key) is None
    stored = cache.put(key, b"plan-bytes", {"faceswap.crop_size": "112"})
    found = cache.get(key)
    assert found is not None
    assert found.path.read_bytes() == b"plan-bytes"
    assert found.metadata == {"faceswap.crop_size": "112"}
    assert found.key == stored.key == key.digest()
    assert cache.get(_key(precision="fp32")) is None
    assert not [p for p in (tmp_path / "engines").iterdir() if is_temp_path(p)]


@pytest.mark.parametrize("damage", ["missing", "not json", "other key"])
def test_an_entry_with_a_bad_sidecar_is_a_miss(tmp_path: Path, damage: str) -> None:
    cache = EngineCache(tmp_path)
    key = _key()
    cache.put(key, b"plan", {})
    _, sidecar = cache.paths(key)
    if damage == "missing":
        sidecar.unlink()
    elif damage == "not json":
        sidecar.write_text("{")
    else:
        sidecar.write_text(json.dumps({"key": _key(gpu="other").facts(), "metadata": {}}))
    assert cache.get(key) is None


def test_timing_caches_are_per_version_and_gpu(tmp_path: Path) -> None:
    cache = EngineCache(tmp_path)
    assert cache.timing_cache("10.3", "Orin") == cache.timing_cache("10.3", "Orin")
    assert cache.timing_cache("10.3", "Orin") != cache.timing_cache("10.4", "Orin")
    assert cache.timing_cache("10.3", "Orin") != cache.timing_cache("10.3", "H100")
    assert sidecar_path(Path("/x/swap.engine")) == Path("/x/swap.engine.json")
