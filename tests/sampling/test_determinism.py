"""Same seed, same sample: whatever the scheduler, workers or threads."""

from __future__ import annotations

import dask
import dask.array as da
import numpy as np
import pytest

import dleverage as dl

SCHEMES = [
    {"scheme": "iid"},
    {"scheme": "bernoulli"},
    {"scheme": "topk"},
    {"scheme": "uniform"},
    {"scheme": "uniform", "replace": True},
    {"scheme": "stratified", "base": "bernoulli"},
]


def _scores_and_labels():
    rng = np.random.default_rng(99)
    scores = rng.pareto(1.0, size=5000)
    labels = rng.integers(0, 4, size=5000)
    return da.from_array(scores, chunks=512), da.from_array(labels, chunks=700)


def _draw(options):
    scores, labels = _scores_and_labels()
    if options["scheme"] == "stratified":
        options = {**options, "labels": labels}
    return dl.sample(scores, size=300, seed=123, **options)


def _assert_same(first, second):
    for name in ("indices", "counts", "weights", "probabilities"):
        np.testing.assert_array_equal(getattr(first, name), getattr(second, name))


@pytest.mark.cluster
@pytest.mark.parametrize(
    "options", SCHEMES, ids=lambda o: "-".join(map(str, o.values()))
)
def test_same_seed_any_scheduler(options, client):
    on_cluster = _draw(options)
    with dask.config.set(scheduler="synchronous"):
        synchronous = _draw(options)
    with dask.config.set(scheduler="threads", num_workers=4):
        threads = _draw(options)
    _assert_same(on_cluster, synchronous)
    _assert_same(on_cluster, threads)


def test_seed_changes_sample():
    first = _draw({"scheme": "iid"})
    scores, _ = _scores_and_labels()
    other = dl.sample(scores, size=300, seed=124)
    assert not np.array_equal(first.indices, other.indices)


def test_chunking_enters_the_draw():
    # Documented: the block streams follow the row chunks, so rechunking the same
    # scores gives a different (equally distributed) sample.
    scores, _ = _scores_and_labels()
    first = dl.sample(scores, size=300, seed=5)
    second = dl.sample(scores.rechunk(1000), size=300, seed=5)
    assert not np.array_equal(first.indices, second.indices)
    assert first.source["blake2b"] != second.source["blake2b"]
