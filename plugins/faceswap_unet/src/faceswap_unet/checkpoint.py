"""Checkpoints as safetensors (tensors) plus JSON (everything else); loads never unpickle.

A checkpoint is a folder written by core's training loop under a temporary
name and renamed when complete:

- ``model.safetensors``: the generator (and ``recognizer.*`` when the
  recognizer was randomly initialised, so inference needs nothing else);
- ``discriminator.safetensors`` when an adversarial loss trains one;
- ``optimizer.safetensors``: every tensor of the optimizers' states and the
  torch RNG states;
- ``state.json``: step, format, config hash, the model config, crop size,
  alignment template, embedding size and recognizer, the optimizers'
  non-tensor state (param groups), the scheduler and the python / numpy RNG
  states.
"""

from __future__ import annotations

import errno
import hashlib
import json
import random
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from faceswap_core.config.convert import structure, unstructure
from faceswap_core.errors import ModelFileError
from faceswap_core.io.atomic import atomic_write_json, disk_full_error
from faceswap_unet.configs import ModelConfig

FORMAT = "faceswap-unet/checkpoint-1"
MODEL_FILE = "model.safetensors"
DISCRIMINATOR_FILE = "discriminator.safetensors"
OPTIMIZER_FILE = "optimizer.safetensors"
STATE_FILE = "state.json"


def arch_hash(model: Mapping[str, Any], embedding_dim: int) -> str:
    """What must match for weights to load: the model config and the embedding size."""
    text = json.dumps({"model": dict(model), "embedding_dim": embedding_dim}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _tensors(state: Mapping[str, torch.Tensor], prefix: str = "") -> dict[str, torch.Tensor]:
    return {f"{prefix}{k}": v.detach().to("cpu").clone().contiguous() for k, v in state.items()}


def _flatten_optimizer(
    name: str, state: Mapping[str, Any]
) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    tensors: dict[str, torch.Tensor] = {}
    plain: dict[str, Any] = {"param_groups": state["param_groups"], "state": {}}
    for pid, values in state["state"].items():
        kept: dict[str, Any] = {}
        for key, value in values.items():
            if isinstance(value, torch.Tensor):
                tensors[f"{name}.{pid}.{key}"] = value.detach().to("cpu").clone().contiguous()
            else:
                kept[key] = value
        plain["state"][str(pid)] = kept
    return tensors, plain


def _unflatten_optimizer(
    name: str, plain: Mapping[str, Any], tensors: Mapping[str, torch.Tensor]
) -> dict[str, Any]:
    state: dict[int, dict[str, Any]] = {
        int(pid): dict(values) for pid, values in plain["state"].items()
    }
    prefix = f"{name}."
    for key, value in tensors.items():
        if key.startswith(prefix):
            pid, field = key[len(prefix) :].split(".", 1)
            state.setdefault(int(pid), {})[field] = value
    return {"state": state, "param_groups": plain["param_groups"]}


def rng_state() -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    tensors = {"rng.torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        for index, state in enumerate(torch.cuda.get_rng_state_all()):
            tensors[f"rng.cuda.{index}"] = state
    kind, keys, pos, has_gauss, gauss = np.random.get_state()
    plain = {
        "python": [random.getstate()[0], list(random.getstate()[1]), random.getstate()[2]],
        "numpy": [kind, np.asarray(keys).tolist(), int(pos), int(has_gauss), float(gauss)],
    }
    return tensors, plain


def restore_rng(tensors: Mapping[str, torch.Tensor], plain: Mapping[str, Any]) -> None:
    if "rng.torch" in tensors:
        torch.set_rng_state(tensors["rng.torch"])
    if torch.cuda.is_available():
        states = [tensors[k] for k in sorted(tensors) if k.startswith("rng.cuda.")]
        if states:
            torch.cuda.set_rng_state_all(states)
    if "python" in plain:
        version, state, gauss = plain["python"]
        random.setstate((version, tuple(state), gauss))
    if "numpy" in plain:
        kind, keys, pos, has_gauss, gauss = plain["numpy"]
        np.random.set_state((kind, np.asarray(keys, np.uint32), pos, has_gauss, gauss))


def _save_tensors(tensors: dict[str, torch.Tensor], file: Path, **options: Any) -> None:
    """``safetensors.save_file``, whose I/O errors (a full disk) become faceswap's errors."""
    try:
        save_file(tensors, str(file), **options)
    except SafetensorError as exc:
        found = re.search(r"os error (\d+)", str(exc))
        code = int(found.group(1)) if found else errno.EIO
        full = disk_full_error(OSError(code, str(exc)), repr(str(file)))
        if full is not None:
            raise full from exc
        raise OSError(code, f"cannot write {file}: {exc}") from exc


def checkpoint_meta(
    step: int,
    *,
    arch: str,
    model: ModelConfig,
    template: str,
    embedding_dim: int,
    recognizer: Mapping[str, Any],
    config_sha256: str,
    seed: int,
    data_version: Any,
) -> dict[str, Any]:
    """What a training session records in ``state.json`` besides the loop's own state."""
    return {
        "step": step,
        "arch": arch,
        "model": unstructure(model),
        "crop_size": model.crop_size,
        "template": template,
        "embedding_dim": embedding_dim,
        "recognizer": dict(recognizer),
        "config_sha256": config_sha256,
        "seed": seed,
        "data_version": data_version,
    }


def save_checkpoint(
    folder: Path,
    *,
    generator: torch.nn.Module,
    meta: Mapping[str, Any],
    optimizers: Mapping[str, torch.optim.Optimizer],
    schedulers: Mapping[str, Any],
    discriminator: torch.nn.Module | None = None,
    recognizer: torch.nn.Module | None = None,
) -> None:
    """Write a checkpoint folder at ``folder`` (a temporary path the loop renames)."""
    folder.mkdir(parents=True)
    model = _tensors(generator.state_dict())
    if recognizer is not None:
        model.update(_tensors(recognizer.state_dict(), "recognizer."))
    _save_tensors(model, folder / MODEL_FILE, metadata={"format": FORMAT})
    if discriminator is not None:
        _save_tensors(_tensors(discriminator.state_dict()), folder / DISCRIMINATOR_FILE)
    optimizer_tensors, rng_plain = rng_state()
    optimizer_plain: dict[str, Any] = {}
    for name, optimizer in optimizers.items():
        tensors, plain = _flatten_optimizer(name, optimizer.state_dict())
        optimizer_tensors.update(tensors)
        optimizer_plain[name] = plain
    _save_tensors(optimizer_tensors, folder / OPTIMIZER_FILE)
    state = {
        **meta,
        "format": FORMAT,
        "optimizers": optimizer_plain,
        "schedulers": {name: s.state_dict() for name, s in schedulers.items()},
        "rng": rng_plain,
        "model_sha256": model_digest(model),
    }
    atomic_write_json(folder / STATE_FILE, state)


def model_digest(tensors: Mapping[str, torch.Tensor]) -> str:
    """sha256 over the generator's tensors (names, dtypes, shapes, bytes), in name order."""
    digest = hashlib.sha256()
    for key in sorted(k for k in tensors if not k.startswith("recognizer.")):
        value = tensors[key].detach().to("cpu").contiguous()
        digest.update(f"{key}:{value.dtype}:{tuple(value.shape)}".encode())
        digest.update(value.view(torch.uint8).numpy().tobytes() if value.numel() else b"")
    return digest.hexdigest()


def read_state(folder: Path) -> dict[str, Any]:
    file = folder / STATE_FILE
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelFileError(
            f"{folder} is not a faceswap-unet checkpoint (no {STATE_FILE})"
        ) from None
    except (OSError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"cannot read {file}: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        found = data.get("format") if isinstance(data, dict) else None
        raise ModelFileError(f"{file}: format {found!r} is not {FORMAT}")
    return data


def read_tensors(file: Path) -> dict[str, torch.Tensor]:
    try:
        return load_file(str(file))
    except FileNotFoundError:
        raise ModelFileError(f"checkpoint file missing: {file}") from None
    except (SafetensorError, OSError, ValueError) as exc:
        raise ModelFileError(f"{file} is not a valid safetensors file: {exc}") from None


def model_config_of(state: Mapping[str, Any]) -> ModelConfig:
    try:
        return structure(state["model"], ModelConfig, path=f"{STATE_FILE}.model")
    except KeyError:
        raise ModelFileError(f"{STATE_FILE} has no model config") from None


def load_weights(module: torch.nn.Module, tensors: Mapping[str, torch.Tensor], what: str) -> None:
    """Strict load with a one-line error naming the mismatch (another architecture)."""
    own = module.state_dict()
    missing = sorted(set(own) - set(tensors))
    unexpected = sorted(set(tensors) - set(own))
    wrong = sorted(k for k in set(own) & set(tensors) if own[k].shape != tensors[k].shape)
    if missing or unexpected or wrong:
        detail = "; ".join(
            part
            for part in (
                f"missing {', '.join(missing[:3])}" if missing else "",
                f"unexpected {', '.join(unexpected[:3])}" if unexpected else "",
                f"shape of {wrong[0]} is {tuple(tensors[wrong[0]].shape)}, "
                f"expected {tuple(own[wrong[0]].shape)}"
                if wrong
                else "",
            )
            if part
        )
        raise ModelFileError(f"{what} is from a different architecture: {detail}")
    module.load_state_dict(dict(tensors))


def load_checkpoint(
    folder: Path,
    *,
    generator: torch.nn.Module,
    expected_arch: str,
    optimizers: Mapping[str, torch.optim.Optimizer],
    schedulers: Mapping[str, Any],
    discriminator: torch.nn.Module | None = None,
) -> dict[str, Any]:
    """Restore a training state written by :func:`save_checkpoint`; returns ``state.json``."""
    state = read_state(folder)
    if state.get("arch") != expected_arch:
        raise ModelFileError(
            f"checkpoint {folder} is from a different architecture (model {state.get('model')}, "
            f"embedding {state.get('embedding_dim')}); resume with its config or start a new run"
        )
    model = read_tensors(folder / MODEL_FILE)
    load_weights(
        generator, {k: v for k, v in model.items() if not k.startswith("recognizer.")}, str(folder)
    )
    if discriminator is not None:
        load_weights(
            discriminator, read_tensors(folder / DISCRIMINATOR_FILE), f"{folder} discriminator"
        )
    tensors = read_tensors(folder / OPTIMIZER_FILE)
    for name, optimizer in optimizers.items():
        plain = state["optimizers"].get(name)
        if plain is None:
            raise ModelFileError(f"{folder} has no state for optimizer {name!r}")
        optimizer.load_state_dict(_unflatten_optimizer(name, plain, tensors))
    for name, scheduler in schedulers.items():
        scheduler.load_state_dict(state["schedulers"][name])
    restore_rng(tensors, state.get("rng", {}))
    return state


def describe(meta_model: ModelConfig) -> dict[str, Any]:
    data: dict[str, Any] = unstructure(meta_model)
    return data


__all__ = [
    "FORMAT",
    "MODEL_FILE",
    "STATE_FILE",
    "arch_hash",
    "checkpoint_meta",
    "load_checkpoint",
    "load_weights",
    "model_config_of",
    "model_digest",
    "read_state",
    "read_tensors",
    "save_checkpoint",
]
