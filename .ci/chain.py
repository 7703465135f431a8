"""One model from training to deployment, end to end (``nox -s chain``, run by ``.ci/run``).

``python .ci/chain.py train DIR`` (a venv with faceswap-unet, so torch):

1. an LFW-layout folder of real faces from installed packages
   (``faceswap_unet.data.tiny.write_raw_tree``), prepared with ``faceswap data lfw prepare``;
2. ``faceswap train`` of the smoke config on it (20 steps, validated twice): the best
   checkpoint is chosen by a validation metric;
3. ``faceswap eval --run RUN`` on the raw folder: the run's own swapper on its best checkpoint;
4. ``faceswap export onnx --run RUN``.

``python .ci/chain.py deploy DIR`` (a venv with core, faceswap-retinaface and faceswap-rest,
without torch):

5. ``faceswap eval --config RUN/config.yaml --model onnx --model-path m.onnx`` on the same
   folder and pairs (the run's pipeline settings, as ``eval --run`` uses them);
6. the two evaluations agree: identity cosines and SSIM within :data:`AGREE`;
7. ``faceswap serve`` (uvicorn on 127.0.0.1) with the exported model: one swap over HTTP,
   which must equal ``faceswap swap`` with the same model, pixel for pixel;

then prints one summary JSON line. A failed step or check exits 1 with one
``chain: FAILED ...`` line on stderr.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SMOKE = ROOT / "configs" / "face_swap" / "smoke.yaml"
TRAIN_SETTINGS = ("train.steps=20", "train.eval.every=10")
"""Two validations, so the best checkpoint is a choice between two."""
EVAL_SETTINGS = ("eval.cross_pairs=12", "eval.self_pairs=4")
AGREE = 0.02
"""Largest difference allowed between the torch and the ONNX evaluation of a compared metric."""
COMPARED = ("identity_cos_source", "identity_cos_target", "ssim")
READY_TIMEOUT_S = 180.0


class ChainError(Exception):
    """A step of the chain failed or one of its checks did not hold."""


def faceswap(*args: str, cwd: Path, timeout: float = 900) -> str:
    """``faceswap ARGS`` of this venv; its stdout, or a ChainError with its last stderr lines."""
    command = [str(Path(sys.executable).parent / "faceswap"), *args]
    done = subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )
    if done.returncode != 0:
        tail = " | ".join(done.stderr.strip().splitlines()[-3:])
        raise ChainError(f"faceswap {' '.join(args[:3])} exited {done.returncode}: {tail}")
    return done.stdout


def last_json(text: str) -> dict[str, Any]:
    """The ``{"summary": {...}}`` line every ``--json`` command ends with, unwrapped."""
    data = json.loads(text.strip().splitlines()[-1])
    summary = data.get("summary") if isinstance(data, dict) else None
    if not isinstance(summary, dict):
        raise ChainError(f'expected {{"summary": {{...}}}} last, got {data!r}')
    return summary


class Clock:
    """Wall seconds per step."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._started = time.monotonic()

    def step(self, name: str) -> None:
        now = time.monotonic()
        self.seconds[name] = round(now - self._started, 1)
        self._started = now


def evaluate(folder: Path, out: str, *model: str) -> dict[str, Any]:
    """``faceswap eval`` on the raw folder with the chain's pairs; the metrics and model."""
    args = ["eval", *model, "--data", "raw", "-o", out, "--json"]
    for setting in EVAL_SETTINGS:
        args += ["--set", setting]
    summary = last_json(faceswap(*args, cwd=folder))
    document = json.loads((folder / out / "metrics.json").read_text())
    return {"metrics": summary["metrics"], "model": document["model"]}


# -- where torch is --------------------------------------------------------------------------


def train(folder: Path) -> dict[str, Any]:
    from faceswap_unet.data.tiny import write_raw_tree

    clock = Clock()
    images = write_raw_tree(folder / "raw")
    prepare = ["data", "lfw", "prepare", "--src", "raw", "-o", "prepared", "--json"]
    prepared = last_json(faceswap(*prepare, "--config", str(SMOKE), cwd=folder))
    clock.step("prepare")

    args = ["train", "--config", str(SMOKE), "-o", "run", "--json", "--set", "data.root=prepared"]
    for setting in TRAIN_SETTINGS:
        args += ["--set", setting]
    trained = last_json(faceswap(*args, cwd=folder))
    clock.step("train")
    best = trained.get("best") or {}
    if not str(best.get("metric", "")).startswith("val/"):
        raise ChainError(f"the best checkpoint was not chosen by a validation metric: {best}")
    pointer = json.loads((folder / "run" / "checkpoints" / "last_checkpoint").read_text())
    best_checkpoint = str(pointer["state"]["best_checkpoint"])

    evaluated = evaluate(folder, "eval-run", "--run", "run")
    clock.step("eval_run")
    model = evaluated["model"]
    swapper = (model.get("swapper") or {}).get("type")
    if swapper != "unet" or not str(model.get("checkpoint") or "").endswith(best_checkpoint):
        raise ChainError(
            f"faceswap eval --run evaluated {model}, not the run's unet swapper on its best "
            f"checkpoint {best_checkpoint}"
        )

    exported = last_json(
        faceswap("export", "onnx", "--run", "run", "-o", "export/m.onnx", "--json", cwd=folder)
    )
    clock.step("export")
    if not str(exported["checkpoint"]).endswith(best_checkpoint):
        raise ChainError(f"export onnx exported {exported['checkpoint']}, not {best_checkpoint}")
    return {
        "images": images,
        "prepared": {"crops": prepared.get("crops"), "identities": prepared.get("identities")},
        "best": {
            "metric": best["metric"], "step": best.get("step"), "value": best.get("value"),
            "checkpoint": best_checkpoint,
        },
        "eval_run": evaluated,
        "export": {
            "max_abs_diff": exported["max_abs_diff"],
            "recognizer": exported["recognizer"],
            "recognizer_max_abs_diff": exported["recognizer_graph"]["max_abs_diff"],
            "probes": exported["probes"]["count"],
        },
        "seconds": clock.seconds,
    }  # fmt: skip


# -- the torch-free deployment ------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def multipart(files: dict[str, Path], fields: dict[str, str]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    for name, path in files.items():
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{path.name}"\r\nContent-Type: application/octet-stream\r\n\r\n'
        )
        parts.append(head.encode() + path.read_bytes() + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), boundary


def serve_one_swap(folder: Path, source: Path, target: Path) -> dict[str, Any]:
    """Start ``faceswap serve`` on the export, wait until ready, swap once, stop it."""
    config = folder / "serve.yaml"
    config.write_text(
        "serve:\n  threads: 1\n  max_streams: 0\n  max_jobs: 0\n"
        f"  jobs_dir: {folder / 'jobs'}\n  reports_dir: {folder / 'reports'}\n"
        f"pipeline:\n  swapper: {{type: onnx, model: {folder / 'export' / 'm.onnx'}}}\n"
    )
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = folder / "serve.log"
    script = Path(sys.executable).parent / "faceswap"
    with open(log, "wb") as stderr:
        server = subprocess.Popen(
            [str(script), "serve", "--config", str(config), "--host", "127.0.0.1",
             "--port", str(port), "--log-level", "warning"],
            cwd=folder, stdout=subprocess.DEVNULL, stderr=stderr,
        )  # fmt: skip
    try:
        started = time.monotonic()
        while True:
            if server.poll() is not None:
                tail = log.read_text(errors="replace").strip().splitlines()[-3:]
                raise ChainError(f"faceswap serve exited {server.returncode}: {' | '.join(tail)}")
            try:
                with urllib.request.urlopen(f"{url}/readyz", timeout=5) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() - started > READY_TIMEOUT_S:
                raise ChainError(f"faceswap serve not ready after {READY_TIMEOUT_S:.0f} s")
            time.sleep(0.5)
        ready_s = time.monotonic() - started
        body, boundary = multipart({"source": source, "target": target}, {"format": "png"})
        request = urllib.request.Request(
            f"{url}/v1/swap",
            data=body,
            method="POST",
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                status, headers, image = response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as exc:
            raise ChainError(f"POST /v1/swap: {exc.code} {exc.read()[:300]!r}") from None
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    return {
        "status": status,
        "ready_s": round(ready_s, 1),
        "faces_swapped": int(headers.get("x-faces-swapped", "0")),
        "image": image,
    }


def deploy(folder: Path) -> dict[str, Any]:
    if importlib.util.find_spec("torch") is not None:
        raise ChainError("torch is installed in the deployment venv")
    record = json.loads((folder / "train.json").read_text())
    clock = Clock()
    # The run's own pipeline settings (faces, paste, limits), with the exported swapper.
    deployed = evaluate(
        folder, "eval-onnx", "--config", "run/config.yaml",
        "--model", "onnx", "--model-path", "export/m.onnx",
    )  # fmt: skip
    clock.step("eval_onnx")
    torch_metrics, onnx_metrics = record["eval_run"]["metrics"], deployed["metrics"]
    differences = {}
    for name in COMPARED:
        a, b = torch_metrics.get(name), onnx_metrics.get(name)
        if not isinstance(a, int | float) or not isinstance(b, int | float):
            raise ChainError(f"{name} missing from an evaluation: torch {a}, onnx {b}")
        differences[name] = float(f"{abs(a - b):.2g}")
    worst = max(differences, key=lambda key: differences[key])
    if differences[worst] > AGREE:
        raise ChainError(
            f"the evaluations disagree: {worst} {torch_metrics[worst]:.4f} (torch, eval --run) vs "
            f"{onnx_metrics[worst]:.4f} (onnx export), more than {AGREE}"
        )

    from faceswap_core.tools.samples import sample_path

    source = sample_path("tom_hanks")
    target = folder / "raw" / "Eileen_Collins" / "Eileen_Collins_0001.jpg"
    served = serve_one_swap(folder, source, target)
    clock.step("serve")
    cli_out = folder / "swap-cli.png"
    faceswap(
        "swap", "-s", str(source), "-t", str(target), "-o", str(cli_out), "--overwrite",
        "--model", "onnx", "--model-path", "export/m.onnx", cwd=folder,
    )  # fmt: skip
    from faceswap_core.io.decode import decode

    over_http, on_cli = decode(served.pop("image")), decode(cli_out)
    same = over_http.shape == on_cli.shape and bool((over_http == on_cli).all())
    if served["status"] != 200 or served["faces_swapped"] != 1 or not same:
        raise ChainError(f"the served swap is not the CLI's: {served}, identical={same}")
    seconds = {**record["seconds"], **clock.seconds}
    seconds["total"] = round(sum(seconds.values()), 1)
    return {
        "chain": "passed",
        "best": record["best"],
        "eval_run": {"model": record["eval_run"]["model"]["swapper"], **{
            name: round(torch_metrics[name], 4) for name in COMPARED}},
        "eval_onnx": {"model": deployed["model"]["swapper"], **{
            name: round(onnx_metrics[name], 4) for name in COMPARED}},
        "max_difference": differences,
        "export": record["export"],
        "serve": {**served, "same_as_cli": same},
        "torch_free": True,
        "seconds": seconds,
    }  # fmt: skip


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("train", "deploy"):
        print("usage: python .ci/chain.py train|deploy DIR", file=sys.stderr)
        return 2
    stage, folder = argv[0], Path(argv[1]).resolve()
    os.environ.setdefault("FACESWAP_HOME", str(folder / "home"))
    try:
        if stage == "train":
            folder.mkdir(parents=True, exist_ok=True)
            record = train(folder)
            (folder / "train.json").write_text(json.dumps(record, indent=2) + "\n")
            print(json.dumps({"chain": "trained", **record["best"]}, sort_keys=True))
        else:
            print(json.dumps(deploy(folder), sort_keys=True))
    except (ChainError, OSError, ValueError, KeyError, subprocess.TimeoutExpired) as exc:
        print(f"chain: FAILED in {stage}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
