"""Regenerate the pinned runtime lock (what ``nox -s lock`` runs).

Usage: ``python requirements/make_lock.py requirements/lock-py311.txt``.

A thin wrapper over ``python -m faceswap_core.experiment.env lock PATH`` for the
``nox -s lock`` session; run it in an environment where the five faceswap
distributions are installed.
"""

from __future__ import annotations

import sys

from faceswap_core.experiment.env import main

if __name__ == "__main__":
    raise SystemExit(main(["lock", *sys.argv[1:]]))
