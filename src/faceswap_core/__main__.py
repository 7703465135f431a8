"""``python -m faceswap_core``: the ``faceswap`` command without its console script."""

from __future__ import annotations

from faceswap_core.cli.main import main

if __name__ == "__main__":
    main()
