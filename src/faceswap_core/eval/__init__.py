"""Evaluation: swap held-out pairs, score them, and report.

``pairs`` reads the data (a prepared dataset's manifest, an LFW-layout
folder, a CSV of pairs, or videos) and samples seeded pairs; ``evaluator``
runs the pipeline on them and feeds the metrics (``metrics``, ``pose``,
registered in ``hooks``); ``plots``, ``contact_sheets`` and ``report`` turn the
results into pictures and a self-contained HTML page; ``gate`` compares a run
with a baseline; ``mos`` exports and imports human rating sheets.
"""
