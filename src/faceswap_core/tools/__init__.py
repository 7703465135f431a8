"""Developer tools on top of the pipeline: the benchmark and the sample faces."""
