"""Typed configuration: strict structuring, YAML files with inheritance, ``--set`` overrides.

- :mod:`~faceswap_core.config.convert`: the strict cattrs converter (imports only errors).
- :mod:`~faceswap_core.config.yaml_safe`: YAML parsed safely with one-line errors.
- :mod:`~faceswap_core.config.loader`: files, ``_base_`` inheritance, :func:`load_config`.
- :mod:`~faceswap_core.config.overrides`: ``--set key.path=value``.
- :mod:`~faceswap_core.config.schema`: :class:`ExperimentConfig` and :class:`PipelineConfig`.
- :mod:`~faceswap_core.config.requirements`: the ``plugins:`` requirements check.
"""
