"""Core subcommands of ``faceswap``, one module each, each exposing ``command``."""
