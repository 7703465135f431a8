"""The ``lfw`` dataset component: what core's ``faceswap data`` commands and runners call."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs

from faceswap_core.errors import ConfigError
from faceswap_core.interfaces.train import ProgressFn
from faceswap_unet.configs import LfwConfig
from faceswap_unet.data.download import download_lfw
from faceswap_unet.data.prepare import prepare_lfw, update_lfw
from faceswap_unet.data.samples import LfwSplit, Prepared, open_prepared
from faceswap_unet.data.split import SPLITS


class LfwDataset:
    """LFW: prepare a tree / ``.tgz`` / Kaggle zip, download from Kaggle, update, read splits."""

    name = "lfw"

    def __init__(self, config: LfwConfig | None = None) -> None:
        self.config = config or LfwConfig()

    def prepare(
        self, source: Path, out: Path, *, progress: ProgressFn | None = None
    ) -> dict[str, Any]:
        return prepare_lfw(Path(source), Path(out), self.config, progress=progress)

    def download(self, out: Path, *, name: str | None = None) -> dict[str, Any]:
        return download_lfw(Path(out), name, lambda raw, dest: self.prepare(raw, dest))

    def update(self, root: Path) -> dict[str, Any]:
        return update_lfw(Path(root))

    def root(self) -> Path:
        """The prepared folder: ``root`` from the config, else the cached ``tiny`` set."""
        if self.config.root:
            return Path(self.config.root)
        from faceswap_unet.data.tiny import build_tiny

        return build_tiny(self.config)

    def open(self, root: Path | None = None, *, verify: bool = True) -> Prepared:
        return open_prepared(root or self.root(), verify=verify)

    def split(self, root: Path, name: str) -> LfwSplit:
        if name not in SPLITS:
            raise ConfigError(f"unknown split {name!r}; splits are {', '.join(SPLITS)}")
        return LfwSplit(open_prepared(root), name)

    def with_root(self, root: str | None) -> LfwDataset:
        return LfwDataset(attrs.evolve(self.config, root=root))


__all__ = ["LfwDataset"]
