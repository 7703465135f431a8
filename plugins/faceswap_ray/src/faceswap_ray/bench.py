"""``python -m faceswap_ray.bench``: ``faceswap bench --cluster local`` with a small object store.

The bench itself is core's (:mod:`faceswap_core.tools.cluster_bench`, run by
``faceswap bench --cluster ADDRESS --workers N``); this entry point starts the
``local`` Ray instance sized for a small machine (all CPUs, a 256 MB object
store) and is what ``nox -s bench_ray`` runs.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Sequence

from faceswap_core.tools.cluster_bench import format_rows, run_cluster_bench


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m faceswap_ray.bench", description=__doc__)
    parser.add_argument("--images", type=int, default=24)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--workers", type=int, action="append")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--json", dest="as_json", action="store_true")
    args = parser.parse_args(argv)
    rows = run_cluster_bench(
        "local",
        args.workers or [1, 2],
        images=args.images,
        size=args.size,
        repeat=args.repeat,
        settings={"num_cpus": os.cpu_count(), "object_store_mb": 256},
        progress=print,
    )
    print(format_rows(rows))
    print(
        "overhead = (wall - local wall) / images: what the cluster path adds per image "
        "(worker start and model load, object store, pickling, Ray Data scheduling); "
        f"{os.cpu_count()} CPUs, OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}"
    )
    if args.as_json:
        print(json.dumps([row.to_dict() for row in rows]))


if __name__ == "__main__":
    main()
