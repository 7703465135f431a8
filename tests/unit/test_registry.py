"""Registry: unique names per kind, clashes naming both plugins, helpful unknown-name errors."""

from __future__ import annotations

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from faceswap_core.errors import ComponentClashError, FaceswapError, UnknownComponentError
from faceswap_core.plugin.kinds import KIND_NAMES
from faceswap_core.plugin.registry import Registry

names = st.text(min_size=1, max_size=30)
kinds = st.sampled_from(KIND_NAMES)


@attrs.frozen
class _Config:
    value: int = 0


def _factory(config: _Config, context: object = None) -> tuple[str, int]:
    return ("built", config.value)


@given(kind=kinds, name=names, plugin=names)
def test_register_then_lookup_round_trips(kind: str, name: str, plugin: str) -> None:
    registry: Registry[tuple[str, int]] = Registry(kind)
    added = registry.add(name, _factory, config=_Config, plugin=plugin)
    found = registry.get(name)
    assert found is added
    assert (found.kind, found.name, found.plugin, found.config) == (kind, name, plugin, _Config)
    assert found.factory(_Config(5)) == ("built", 5)
    assert name in registry
    assert len(registry) == 1


@given(kind=kinds, many=st.sets(names, min_size=1, max_size=12))
def test_names_are_sorted_and_iteration_follows_them(kind: str, many: set[str]) -> None:
    registry: Registry[object] = Registry(kind)
    for name in many:
        registry.add(name, object, plugin="p")
    assert registry.names() == sorted(many)
    assert [component.name for component in registry] == sorted(many)
    assert len(registry) == len(many)


@given(kind=kinds, name=names)
def test_a_second_registration_clashes_and_names_both_plugins(kind: str, name: str) -> None:
    registry: Registry[object] = Registry(kind)
    registry.add(name, object, plugin="faceswap-first")
    with pytest.raises(ComponentClashError) as caught:
        registry.add(name, dict, plugin="faceswap-second")
    message = str(caught.value)
    assert "faceswap-first" in message
    assert "faceswap-second" in message
    assert kind in message
    # The first registration is kept, not silently replaced.
    assert registry.get(name).factory is object
    assert registry.get(name).plugin == "faceswap-first"


@given(
    kind=kinds,
    present=st.sets(st.text(alphabet="abcdefgh", min_size=1, max_size=6), max_size=5),
    missing=st.text(alphabet="xyz", min_size=1, max_size=6),
)
def test_unknown_name_lists_what_is_available(kind: str, present: set[str], missing: str) -> None:
    registry: Registry[object] = Registry(kind)
    for name in present:
        registry.add(name, object, plugin="p")
    with pytest.raises(UnknownComponentError) as caught:
        registry.get(missing)
    error = caught.value
    assert isinstance(error, KeyError)
    assert isinstance(error, FaceswapError)
    assert error.exit_code == 2
    assert (error.kind, error.name, error.available) == (kind, missing, tuple(sorted(present)))
    message = str(error)
    assert message.startswith(f"unknown {kind} {missing!r}.")
    assert f"Available: {', '.join(sorted(present)) or 'none'}." in message
    assert "pip install" not in message
    assert "\n" not in message


def test_unknown_name_ends_with_the_hint_the_registry_was_given() -> None:
    asked: list[tuple[str, str]] = []

    def hint(kind: str, name: str) -> str | None:
        asked.append((kind, name))
        return "Install it with: pip install faceswap-unet" if name == "unet" else None

    registry: Registry[object] = Registry("swapper", hint=hint)
    registry.add("classic", _factory, plugin="faceswap-core")
    with pytest.raises(UnknownComponentError) as caught:
        registry.get("unet")
    assert str(caught.value) == (
        "unknown swapper 'unet'. Available: classic. Install it with: pip install faceswap-unet"
    )
    assert caught.value.hint == "Install it with: pip install faceswap-unet"
    with pytest.raises(UnknownComponentError) as other:
        registry.get("simswap")
    assert str(other.value) == "unknown swapper 'simswap'. Available: classic."
    assert asked == [("swapper", "unet"), ("swapper", "simswap")]


@given(kind=st.text(max_size=12).filter(lambda k: k not in KIND_NAMES))
def test_unknown_kind_is_refused(kind: str) -> None:
    with pytest.raises(ValueError, match="unknown component kind"):
        Registry(kind)


@pytest.mark.parametrize("bad", ["", None, 3])
def test_names_must_be_non_empty_strings(bad: object) -> None:
    registry: Registry[object] = Registry("detector")
    with pytest.raises(ValueError, match="non-empty strings"):
        registry.add(bad, object, plugin="p")  # type: ignore[arg-type]


def test_factory_must_be_callable_and_config_a_class() -> None:
    registry: Registry[object] = Registry("detector")
    with pytest.raises(TypeError, match="factory is not callable"):
        registry.add("x", "not callable", plugin="p")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="config must be a class"):
        registry.add("x", object, config=_Config(), plugin="p")  # type: ignore[arg-type]
    assert len(registry) == 0
