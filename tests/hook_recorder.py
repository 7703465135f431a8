"""A pytest plugin that records which hooks the plugin manager called on test plugins.

``tests/contract/test_docs.py`` runs the ``test_hook_*`` tests with
``-p tests.hook_recorder`` and reads ``$FACESWAP_HOOK_RECORD`` afterwards, so
"every hook has a test" means the manager really called that hook on a
plugin other than core's built-ins, not merely that a test has the right name.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

from faceswap_core.plugin.kinds import COMMANDS_HOOK, Kind
from faceswap_core.plugin.manager import CORE_DISTRIBUTION, FaceswapPlugins

RECORD_ENV = "FACESWAP_HOOK_RECORD"
CALLED: set[tuple[str, str]] = set()


def _record(manager: FaceswapPlugins, hook: str) -> None:
    for impl in getattr(manager.pm.hook, hook).get_hookimpls():
        if impl.plugin_name != CORE_DISTRIBUTION:
            CALLED.add((hook, impl.plugin_name))


def pytest_configure(config: pytest.Config) -> None:
    collect, add_commands = FaceswapPlugins._collect, FaceswapPlugins.add_commands

    def recording_collect(self: FaceswapPlugins, kind: Kind[Any]) -> Any:
        registry = collect(self, kind)  # every implementation ran without raising
        _record(self, kind.hook)
        return registry

    def recording_add_commands(self: FaceswapPlugins, cli: Any) -> None:
        add_commands(self, cli)
        _record(self, COMMANDS_HOOK)

    extra = FaceswapPlugins._extra

    def recording_extra(self: FaceswapPlugins, hook: str, build: Any) -> None:
        extra(self, hook, build)  # every implementation ran without raising
        _record(self, hook)

    FaceswapPlugins._collect = recording_collect  # type: ignore[method-assign]
    FaceswapPlugins.add_commands = recording_add_commands  # type: ignore[method-assign]
    FaceswapPlugins._extra = recording_extra  # type: ignore[method-assign]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    path = os.environ.get(RECORD_ENV)
    if path:
        with open(path, "w", encoding="utf-8") as handle:
            json.dump({"exitstatus": int(exitstatus), "called": sorted(CALLED)}, handle)
