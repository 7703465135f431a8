"""The two costly loops of an evaluation as work for any runner: embedding and scoring.

With a :class:`~faceswap_core.interfaces.WorkRunner` (e.g. a Ray cluster),
embedding the gallery images (:class:`EmbedWork`) and scoring the pairs
(:class:`ScoreWork`) are sharded over its workers. Each task carries the
bytes the driver read, the work object is picklable and loads the models
once per worker, and results come back in the items' order, so the driver
folds them exactly as a local run does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TypeVar

import attrs

from faceswap_core.config.schema import ExperimentConfig
from faceswap_core.eval.pairs import EvalImage, Pair
from faceswap_core.eval.retrieval import Embedded, IdentityGallery
from faceswap_core.eval.scoring import PairScorer, Scored, build_scorer_parts
from faceswap_core.interfaces import FloatArray
from faceswap_core.interfaces.eval import Need
from faceswap_core.interfaces.jobs import Work, WorkRunner
from faceswap_core.io.read import FileBytes
from faceswap_core.plugin.manager import FaceswapPlugins

ItemT = TypeVar("ItemT")
ResultT = TypeVar("ResultT")


@attrs.frozen(eq=False)
class EmbedTask:
    """One gallery image as a worker gets it: the image and its bytes."""

    image: EvalImage
    data: FileBytes


@attrs.frozen(eq=False)
class PairTask:
    """One pair as a worker gets it: the pair and its two images' bytes."""

    pair: Pair
    source: FileBytes
    target: FileBytes


@attrs.frozen(eq=False)
class EmbedWork:
    """Embeds gallery images on a worker (picklable; the models load once per worker)."""

    experiment: ExperimentConfig
    needs: frozenset[Need]
    plugins: tuple[str, ...] | None = None

    def scorer(self) -> PairScorer:
        parts = build_scorer_parts(self.experiment, self.needs, FaceswapPlugins(only=self.plugins))
        return PairScorer(parts.pipeline, self.needs, parts.recognizer, parts.landmarker)

    def start(self) -> Callable[[EmbedTask], Embedded]:
        scorer = self.scorer()

        def embed(task: EmbedTask) -> Embedded:
            scorer.inputs = {task.image.key: task.data}
            return scorer.embed_one(task.image)

        return embed


@attrs.frozen(eq=False)
class ScoreWork(EmbedWork):
    """Scores pairs on a worker, with the gallery the driver folded from :class:`EmbedWork`."""

    embeddings: Mapping[str, tuple[str, FloatArray]] = attrs.field(factory=dict)

    def start(self) -> Callable[[PairTask], Scored]:  # type: ignore[override]
        scorer = self.scorer()
        scorer.gallery = IdentityGallery(self.embeddings)
        gallery = scorer.gallery.index() if scorer.recognizer is not None else None

        def score(task: PairTask) -> Scored:
            scorer.inputs = {task.pair.source.key: task.source, task.pair.target.key: task.target}
            return scorer.score(task.pair, gallery)

        return score


def map_work(
    runner: WorkRunner | None, work: Work[ItemT, ResultT], items: Iterable[ItemT]
) -> Iterator[ResultT]:
    """``work`` over ``items`` on ``runner``, results in the items' order; ``None``: here."""
    if runner is None:  # this process, as the local runner does it (eval imports no runner)
        run = work.start()
        return (run(item) for item in items)
    return runner.map(work, items)


__all__ = ["EmbedTask", "EmbedWork", "PairTask", "ScoreWork", "map_work"]
