"""Per-class budgets of the ``stratified`` scheme.

A stratified sample splits the size m over the classes of a labels array and runs
a base scheme (``iid``, ``bernoulli``, ``topk`` or ``uniform``) inside each class
on its own, with probabilities relative to the class. The budget rule is
``proportional`` (m_g close to m n_g / n) or ``equal`` (m_g close to m / G).
"""

from __future__ import annotations

import dask.array as da
import numpy as np

from dleverage._compute import compute
from dleverage.errors import InvalidLabelsError

__all__ = ["BUDGETS", "class_budgets", "label_classes"]

#: Budget rules of the stratified scheme.
BUDGETS = ("proportional", "equal")


def label_classes(labels: da.Array) -> tuple[np.ndarray, np.ndarray]:
    """Return the sorted distinct labels and the rows of each, in one pass.

    Raises
    ------
    InvalidLabelsError
        If a float label array slipped through holding NaN (NaN is not a class).
    """
    classes, counts = compute(da.unique(labels, return_counts=True))
    classes = np.asarray(classes)
    if classes.dtype.kind == "f" and np.isnan(classes).any():
        raise InvalidLabelsError("The labels contain NaN, which is not a class.")
    return classes, np.asarray(counts, dtype=np.int64)


def class_budgets(size: int, class_rows: np.ndarray, rule: str) -> np.ndarray:
    """Split ``size`` over classes with ``class_rows`` rows each.

    ``proportional`` gives each class the integer part of m n_g / n, then one more
    to the classes with the largest remainders (the lower class first on ties), so
    the budgets sum to m and each is within 1 of m n_g / n. ``equal`` gives m // G
    to each class and one more to the first m mod G classes in sorted label order.
    """
    n_classes = class_rows.size
    if rule == "equal":
        budgets = np.full(n_classes, size // n_classes, dtype=np.int64)
        budgets[: size % n_classes] += 1
        return budgets
    exact = size * class_rows / class_rows.sum()
    budgets = np.floor(exact).astype(np.int64)
    short = size - int(budgets.sum())
    order = np.lexsort((np.arange(n_classes), -(exact - budgets)))
    budgets[order[:short]] += 1
    return budgets
