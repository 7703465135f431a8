"""The model store: a catalog of named model files, verified, downloadable, usable offline."""
