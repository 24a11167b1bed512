"""The Examples sections of the sampling, valuation and training docstrings run."""

from __future__ import annotations

import doctest

import pytest

import dleverage.sampling.api
import dleverage.valuation

MODULES = [dleverage.sampling.api, dleverage.valuation]


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_docstring_examples(module):
    failures, tried = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert tried > 0
    assert failures == 0
