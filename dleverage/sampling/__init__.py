"""Distributed sampling of training subsets from leverage scores.

One module per scheme (:mod:`~dleverage.sampling.iid`,
:mod:`~dleverage.sampling.bernoulli`, :mod:`~dleverage.sampling.topk`,
:mod:`~dleverage.sampling.uniform`, budgets in
:mod:`~dleverage.sampling.stratified`), the shared block pass in
:mod:`~dleverage.sampling.blocks`, random streams in
:mod:`~dleverage.sampling.seeding`, and the result type and its Zarr layout in
:mod:`~dleverage.sampling.result`.
"""

from dleverage.sampling.api import BASE_SCHEMES, SCHEMES, sample
from dleverage.sampling.result import SampleResult, read_sample

__all__ = ["BASE_SCHEMES", "SCHEMES", "SampleResult", "read_sample", "sample"]
