"""Reproducible runs: work_dirs, environment capture, JSON logs, dataset manifests, seeds,
and the framework-free training loop that training plugins drive."""
