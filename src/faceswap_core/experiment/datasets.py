"""``faceswap data``: prepare, download and update datasets through the registry.

Core drives the commands; the dataset itself (``lfw`` from faceswap-unet)
does the work, so a dataset nobody registered is an error that names what to
install. ``update`` finds the dataset from the ``name`` in the folder's
manifest, so one command serves every registered dataset.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from faceswap_core.config.schema import ComponentRef
from faceswap_core.errors import InputError
from faceswap_core.experiment.manifest import MANIFEST_NAME, read_manifest
from faceswap_core.interfaces.train import Dataset, ProgressFn
from faceswap_core.models.store import ModelStore
from faceswap_core.plugin.context import BuildContext
from faceswap_core.plugin.kinds import DATASET
from faceswap_core.plugin.manager import FaceswapPlugins, get_plugins


def build_dataset(
    ref: ComponentRef | str, plugins: FaceswapPlugins | None = None, *, path: str = "$.data"
) -> Dataset:
    """Build a dataset by name or ``{type: NAME, **params}`` with a default build context."""
    manager = plugins if plugins is not None else get_plugins()
    context = BuildContext(manager, ModelStore())
    return manager.build(DATASET, ref, context=context, path=path)


def prepare_dataset(
    ref: ComponentRef | str,
    source: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    plugins: FaceswapPlugins | None = None,
    progress: ProgressFn | None = None,
) -> Mapping[str, Any]:
    """Prepare raw data at ``source`` into ``out`` (``faceswap data NAME prepare``)."""
    dataset = build_dataset(ref, plugins)
    return dataset.prepare(Path(source), Path(out), progress=progress)


def download_dataset(
    ref: ComponentRef | str,
    out: str | os.PathLike[str],
    *,
    name: str | None = None,
    plugins: FaceswapPlugins | None = None,
) -> Mapping[str, Any]:
    """Download and prepare a dataset into ``out`` (``faceswap data NAME download``)."""
    return build_dataset(ref, plugins).download(Path(out), name=name)


def dataset_name(root: str | os.PathLike[str]) -> str:
    """The dataset a prepared folder belongs to, from its manifest's ``name``."""
    manifest_file = Path(root) / MANIFEST_NAME
    if not manifest_file.is_file():
        raise InputError(
            f"{root} has no {MANIFEST_NAME}: it is not a prepared dataset; "
            "prepare it first (faceswap data lfw prepare --src RAW -o DIR)"
        )
    manifest = read_manifest(manifest_file)
    if not manifest.name:
        raise InputError(f"{manifest_file} names no dataset; prepare the folder again")
    return manifest.name


def update_dataset(
    root: str | os.PathLike[str], *, plugins: FaceswapPlugins | None = None
) -> Mapping[str, Any]:
    """Re-verify a prepared folder and record changes (``faceswap data update DIR``)."""
    dataset = build_dataset(dataset_name(root), plugins)
    return dataset.update(Path(root))


__all__ = ["build_dataset", "dataset_name", "download_dataset", "prepare_dataset", "update_dataset"]
