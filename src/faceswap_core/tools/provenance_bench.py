"""The cost of signing outputs with C2PA: per image, per minute of video, and the bytes added.

Run ``python -m faceswap_core.tools.provenance_bench`` (or ``nox -s provenance``)
with ``faceswap-core[c2pa]`` installed. It makes a throwaway test CA and signer
(:func:`~faceswap_core.io.credentials.keygen.write_test_chain`) and measures, on
real pixels (the astronaut sample scaled to the frame size):

- ``signer``: loading and trying a signer, per algorithm (once per pipeline);
- ``image``: encoding a frame in each output format, then signing those bytes as
  ``faceswap swap`` does (target and source ingredients, model hash): the
  signing time and the bytes it adds;
- ``video``: signing a finished H.264 file of ``--seconds`` at the frame size and
  25 fps, written by faceswap's own :class:`~faceswap_core.io.video.writer.VideoWriter`;
  scaled to one minute;
- ``verify``: reading a signed image and the signed video back.

Numbers on a shared machine are noisy: compare ratios within one run, and
repeat. The JSON record goes to ``--output`` when given.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import attrs
import cv2
import numpy as np

from faceswap_core.config.schema import C2paConfig, SigningAlgorithm
from faceswap_core.interfaces.face import Image
from faceswap_core.io.atomic import atomic_write_json
from faceswap_core.io.credentials.keygen import write_test_chain
from faceswap_core.io.credentials.signer import C2paSigner, load_signer
from faceswap_core.io.credentials.verify import read_credentials
from faceswap_core.io.encode import OUTPUT_FORMATS, encode
from faceswap_core.io.provenance import TRAINED_COMPOSITE, Mark, describe_input
from faceswap_core.io.video.writer import VideoWriter
from faceswap_core.tools.samples import load_sample

ALGORITHMS: tuple[SigningAlgorithm, ...] = ("es256", "ps256", "ed25519")


def median_ms(run: Callable[[], Any], repeat: int) -> float:
    """Median wall time of ``run`` in milliseconds, after one warm-up call."""
    run()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000.0)
    return round(statistics.median(times), 3)


def frame(width: int, height: int, shift: int = 0) -> Image:
    """The astronaut sample scaled to cover ``width`` x ``height``, shifted ``shift`` px."""
    picture = load_sample("astronaut")
    scale = max(width / picture.shape[1], height / picture.shape[0]) * 1.1
    big = cv2.resize(picture, None, fx=scale, fy=scale, interpolation=cv2.INTER_LINEAR)
    x = shift % max(big.shape[1] - width, 1)
    return np.ascontiguousarray(big[:height, x : x + width])


def load(folder: Path, alg: SigningAlgorithm) -> C2paSigner:
    paths = write_test_chain(folder / alg, alg)
    signer = load_signer(C2paConfig(str(paths["cert"]), str(paths["key"]), alg), environ={})
    assert signer is not None
    return signer


def bench_signers(folder: Path, repeat: int) -> dict[str, float]:
    paths = {alg: write_test_chain(folder / f"load-{alg}", alg) for alg in ALGORITHMS}

    def loader(alg: SigningAlgorithm) -> Callable[[], Any]:
        config = C2paConfig(str(paths[alg]["cert"]), str(paths[alg]["key"]), alg)
        return lambda: load_signer(config, environ={})

    return {alg: median_ms(loader(alg), repeat) for alg in ALGORITHMS}


def bench_images(signer: C2paSigner, image: Image, repeat: int) -> dict[str, dict[str, Any]]:
    """Per format: encoding alone, then signing the encoded bytes alone (the added cost)."""
    target = encode(image, "jpg", quality=90, provenance=False)
    source = encode(image[: image.shape[0] // 2, : image.shape[1] // 2], "jpg", provenance=False)
    ingredients = (
        describe_input(target, "parentOf", "target image", keep_asset=True),
        describe_input(source, "componentOf", "source face"),
    )
    mark = Mark(TRAINED_COMPOSITE, "inswapper", "0" * 64, ingredients, signer)
    unsigned_mark = attrs.evolve(mark, signer=None)
    results: dict[str, dict[str, Any]] = {}
    for fmt, spec in OUTPUT_FORMATS.items():
        data = encode(image, fmt, provenance=unsigned_mark)

        def encode_once(name: str = fmt) -> bytes:
            return encode(image, name, provenance=unsigned_mark)

        def sign_once(payload: bytes = data, mime: str = spec.mime) -> bytes:
            return signer.sign_bytes(payload, mime, mark)

        results[fmt] = {
            "encode_ms": median_ms(encode_once, repeat),
            "sign_ms": median_ms(sign_once, repeat),
            "bytes": len(data),
            "bytes_added": len(sign_once()) - len(data),
        }
    return results


def write_clip(path: Path, width: int, height: int, seconds: float) -> Path:
    """A pan over the astronaut with sensor-like noise (so the bitrate is a camera's, not a
    still's), encoded by faceswap's own writer (libx264, CRF 18)."""
    frames = round(seconds * 25)
    base = frame(width + frames * 2, height).astype(np.int16)
    rng = np.random.default_rng(0)
    with VideoWriter(path, width=width, height=height, fps=Fraction(25)) as writer:
        for index in range(frames):
            view = base[:, index * 2 : index * 2 + width]
            noisy = view + rng.integers(-6, 7, view.shape, dtype=np.int16)
            writer.write(np.ascontiguousarray(np.clip(noisy, 0, 255).astype(np.uint8)), index)
    return path


def bench_video(
    signer: C2paSigner, folder: Path, width: int, height: int, seconds: float, repeat: int
) -> dict[str, Any]:
    clip = write_clip(folder / "clip.mp4", width, height, seconds)
    mark = Mark(
        TRAINED_COMPOSITE,
        "inswapper",
        "0" * 64,
        (describe_input(clip, "parentOf", "target video", keep_asset=True),),
        signer,
    )
    copy = folder / "signed.mp4"

    def sign() -> None:
        shutil.copyfile(clip, copy)
        signer.sign_file(copy, "video/mp4", mark)

    copy_ms = median_ms(lambda: shutil.copyfile(clip, copy), repeat)
    total_ms = median_ms(sign, repeat)
    sign_ms = max(total_ms - copy_ms, 0.0)
    per_minute = sign_ms * 60.0 / seconds
    return {
        "seconds": seconds,
        "size": f"{width}x{height}",
        "fps": 25,
        "bytes": clip.stat().st_size,
        "bytes_added": copy.stat().st_size - clip.stat().st_size,
        "sign_ms": round(sign_ms, 3),
        "sign_ms_per_minute": round(per_minute, 3),
        "verify_ms": median_ms(lambda: read_credentials(copy), repeat),
    }


def run(width: int, height: int, seconds: float, repeat: int) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="faceswap-provenance-bench-"))
    try:
        signer = load(folder, "es256")
        image = frame(width, height)
        images = bench_images(signer, image, repeat)
        signed_png = encode(image, "png", provenance=Mark(signer=signer))
        return {
            "alg": "es256",
            "size": f"{width}x{height}",
            "repeat": repeat,
            "signer_load_ms": bench_signers(folder, max(3, repeat // 3)),
            "image": images,
            "verify_image_ms": median_ms(
                lambda: read_credentials(signed_png, format="image/png"), repeat
            ),
            "video": bench_video(signer, folder, width, height, seconds, max(3, repeat // 5)),
        }
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def table(record: dict[str, Any]) -> str:
    lines = [f"C2PA signing cost ({record['alg']}, {record['size']}, median of {record['repeat']})"]
    loads = ", ".join(f"{alg} {ms:.1f} ms" for alg, ms in record["signer_load_ms"].items())
    lines.append(f"  signer load + trial signature: {loads}")
    for fmt, row in record["image"].items():
        lines.append(
            f"  {fmt:4s}: encode {row['encode_ms']:.1f} ms, then sign {row['sign_ms']:.1f} ms, "
            f"+{row['bytes_added']} bytes on {row['bytes']}"
        )
    lines.append(f"  verify one image: {record['verify_image_ms']:.1f} ms")
    video = record["video"]
    mbps = video["bytes"] * 8 / video["seconds"] / 1e6
    lines.append(
        f"  video {video['size']} {video['seconds']:g} s at {mbps:.1f} Mbit/s "
        f"({video['bytes']} bytes): sign {video['sign_ms']:.1f} ms = "
        f"{video['sign_ms_per_minute']:.1f} ms per minute, +{video['bytes_added']} bytes; "
        f"verify {video['verify_ms']:.1f} ms"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="1280x720", help="frame size WxH (default 1280x720)")
    parser.add_argument("--seconds", type=float, default=60.0, help="video length (default 60)")
    parser.add_argument("--repeat", type=int, default=15, help="timed runs per measure")
    parser.add_argument("--output", type=Path, default=None, help="write the JSON record here")
    args = parser.parse_args(argv)
    width, height = (int(v) for v in args.size.lower().split("x"))
    record = run(width, height, args.seconds, args.repeat)
    print(table(record))
    if args.output is not None:
        atomic_write_json(args.output, record)
    else:
        print(json.dumps(record))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
