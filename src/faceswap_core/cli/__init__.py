"""The ``faceswap`` command line: :mod:`~.main` builds the click group, one module per
command in :mod:`~.commands`; plugins add theirs through ``register_commands``."""
