"""Registry: unique names per kind, clashes naming both plugins, helpful unknown-name errors."""

from __future__ import annotations

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from faceswap_core.errors import ComponentClashError, FaceswapError, UnknownComponentError
from faceswap_core.registry import KINDS, KNOWN_PROVIDERS, Registry

names = st.text(min_size=1, max_size=30)
kinds = st.sampled_from(KINDS)


@attrs.frozen
class _Config:
    value: int = 0


def _factory(config: _Config) -> tuple[str, int]:
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


@pytest.mark.parametrize(("kind", "name"), sorted(KNOWN_PROVIDERS))
def test_unknown_name_of_our_own_plugins_says_what_to_install(kind: str, name: str) -> None:
    registry: Registry[object] = Registry(kind)
    registry.add("something-else", object, plugin="p")
    with pytest.raises(UnknownComponentError) as caught:
        registry.get(name)
    assert caught.value.install_hint == KNOWN_PROVIDERS[(kind, name)]
    assert str(caught.value).endswith(f"pip install {KNOWN_PROVIDERS[(kind, name)]}")
    assert "something-else" in str(caught.value)


def test_known_providers_name_real_kinds_and_our_distributions() -> None:
    ours = {"faceswap-retinaface", "faceswap-unet", "faceswap-trt", "faceswap-rest"}
    for (kind, _name), dist in KNOWN_PROVIDERS.items():
        assert kind in KINDS
        assert dist in ours


@given(kind=st.text(max_size=12).filter(lambda k: k not in KINDS))
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
