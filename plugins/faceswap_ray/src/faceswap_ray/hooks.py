"""Entry point of faceswap-ray: registers the ``ray`` runner; imports no Ray.

Ray loads when a runner is built (:func:`faceswap_ray.runner.connect`), so
``faceswap --help`` and ``faceswap plugins`` stay fast with the plugin installed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from faceswap_core import hookimpl
from faceswap_ray.config import RayRunnerConfig

if TYPE_CHECKING:
    from faceswap_core import BuildContext, Register, Runner


def _ray(config: RayRunnerConfig, context: BuildContext) -> Runner:
    from faceswap_ray.runner import connect

    return connect(config)


@hookimpl
def register_runners(register: Register[Runner]) -> None:
    register("ray", _ray, config=RayRunnerConfig)
