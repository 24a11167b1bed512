"""Summary statistics and a plot of a score vector, computed out of core.

The spread of the scores measures how far leverage sampling is from uniform: with
p_i = h_i / sum_j h_j the two coincide when every h_i is equal, and importance
sampling gains the most when a few rows hold much of the total. The report shows
a histogram of the positive scores on a log axis, the cumulative share of total
leverage held by the highest-scoring fraction of rows (a Lorenz curve read from
the top), and the effective dimension for ridge scores.
"""

from __future__ import annotations

import base64
import html
import io
import logging
import math
import os
from typing import Any

import dask.array as da
import numpy as np

from dleverage._compute import compute
from dleverage._validation import check_positive_int
from dleverage.errors import InvalidInputError
from dleverage.io.atomic import check_target, require_location
from dleverage.sampling._input import ScoreSource, as_scores

__all__ = ["render_report", "score_summary", "summarize"]

logger = logging.getLogger(__name__)

#: Histogram bins between the smallest positive and the largest score.
DEFAULT_BINS = 100

#: Fraction of rows whose share of the total is reported exactly.
TOP_FRACTION = 0.01


def score_summary(scores: object) -> dict[str, Any]:
    """Return spread statistics of ``scores``, in any form :func:`sample` accepts.

    Returns
    -------
    dict
        ``n_samples``, ``total`` (sum h_i: the rank or d_eff for leverage scores),
        ``mean``, ``max``, ``max_over_mean``, ``min_positive``, ``n_zero``, and
        ``top_1pct_share``: the share of the total held by the ceil(n / 100)
        highest scores (exact).
    """
    return summarize(as_scores(scores))[0]


def summarize(
    source: ScoreSource, *, bins: int = DEFAULT_BINS
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Return the statistics of :func:`score_summary` and the binned curves.

    Two passes over the scores: one for totals, extremes and the top rows, one for
    the histogram of counts and of mass over log-spaced bins.

    Raises
    ------
    InvalidInputError
        If the scores hold NaN or negative values, or have no positive score.
    """
    h = source.scores.astype(np.float64)
    n = source.n_samples
    k_top = max(1, math.ceil(TOP_FRACTION * n))
    positive = da.where(h > 0, h, np.inf)
    total, largest, smallest, zeros, invalid, top = compute(
        (
            h.sum(),
            h.max(),
            positive.min(),
            (h == 0).sum(),
            (~da.isfinite(h) | (h < 0)).sum(),
            da.topk(h, k_top).sum(),
        )
    )
    if invalid or not total > 0:
        raise InvalidInputError(
            f"Cannot summarize scores with {int(invalid)} NaN, infinite or negative "
            f"values and total {float(total)!r}. Expected finite scores >= 0 with a "
            "positive sum."
        )
    stats: dict[str, Any] = {
        "n_samples": n,
        "total": float(total),
        "mean": float(total) / n,
        "max": float(largest),
        "max_over_mean": float(largest) * n / float(total),
        "min_positive": float(smallest),
        "n_zero": int(zeros),
        "top_1pct_share": float(top) / float(total),
    }
    stats.update(source.factor)
    curves = _curves(h, stats, bins)
    stats["gini"] = _gini(curves["row_fraction"], curves["mass_share"])
    return stats, curves


def _curves(h: da.Array, stats: dict[str, Any], bins: int) -> dict[str, np.ndarray]:
    low, high = stats["min_positive"], stats["max"]
    if high <= low:
        high = low * (1 + 1e-9)
    edges = np.geomspace(low, high, bins + 1)
    edges[-1] = np.nextafter(high, np.inf)
    counts, mass = compute(
        (da.histogram(h, bins=edges)[0], da.histogram(h, bins=edges, weights=h)[0])
    )
    counts = np.asarray(counts, dtype=np.float64)
    mass = np.asarray(mass, dtype=np.float64)
    # Read from the highest bin down: the fraction of rows and the share of the
    # total they hold, starting at (0, 0).
    row_fraction = np.concatenate([[0.0], np.cumsum(counts[::-1]) / stats["n_samples"]])
    mass_share = np.concatenate([[0.0], np.cumsum(mass[::-1]) / stats["total"]])
    return {
        "edges": edges,
        "counts": counts,
        "row_fraction": row_fraction,
        "mass_share": mass_share,
    }


def _gini(row_fraction: np.ndarray, mass_share: np.ndarray) -> float:
    # Rows with a zero score hold no mass; they complete the curve to (1, 1).
    x = np.append(row_fraction, 1.0)
    y = np.append(mass_share, 1.0)
    area = float(np.sum(np.diff(x) * (y[1:] + y[:-1]) / 2))
    return 2.0 * area - 1.0


def _figure(stats: dict[str, Any], curves: dict[str, np.ndarray]) -> Any:
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    figure = Figure(figsize=(13, 4.2), layout="constrained")
    histogram, lorenz, text = figure.subplots(1, 3)
    edges = curves["edges"]
    histogram.stairs(curves["counts"], edges, fill=True, alpha=0.7)
    histogram.set_xscale("log")
    histogram.set_xlabel("score h_i (log scale)")
    histogram.set_ylabel("rows")
    histogram.set_title(f"Histogram ({stats['n_zero']} zero scores not shown)")
    lorenz.plot(
        np.append(curves["row_fraction"], 1.0),
        np.append(curves["mass_share"], 1.0),
        label="scores",
    )
    lorenz.plot([0, 1], [0, 1], linestyle="--", color="grey", label="uniform")
    lorenz.set_xlabel("fraction of rows, highest scores first")
    lorenz.set_ylabel("share of total leverage")
    lorenz.set_title("Cumulative share of leverage")
    lorenz.legend(loc="lower right")
    text.axis("off")
    text.text(0.0, 1.0, "\n".join(_stat_lines(stats)), va="top", family="monospace")
    return figure


def _stat_lines(stats: dict[str, Any]) -> list[str]:
    lines = [
        f"rows            {stats['n_samples']:,}",
        f"sum of scores   {stats['total']:.6g}",
        f"mean score      {stats['mean']:.4g}",
        f"max score       {stats['max']:.4g}",
        f"max / mean      {stats['max_over_mean']:.4g}",
        f"top 1% share    {stats['top_1pct_share']:.2%}",
        f"Gini (binned)   {stats['gini']:.3f}",
    ]
    if stats.get("ridge"):
        lines += [
            f"lambda          {stats['ridge']:.4g} ({stats.get('ridge_spec')})",
            f"d_eff           {stats['d_eff']:.6g}",
        ]
    elif "rank" in stats:
        lines.append(f"rank            {stats['rank']}")
    return lines


def render_report(
    scores: object,
    out: str | os.PathLike[str],
    *,
    bins: int = DEFAULT_BINS,
    overwrite: bool = False,
) -> dict[str, Any]:
    """Write the score report to ``out`` (``.png``, ``.svg``, ``.pdf`` or ``.html``).

    An HTML report embeds the PNG and a table of the statistics. The file is
    written under a temporary name and renamed, so a failed run leaves no file.

    Returns
    -------
    dict
        The statistics (see :func:`score_summary`) and ``out``.

    Raises
    ------
    InvalidInputError
        For an unknown file extension, a missing parent folder, or scores that
        cannot be summarized.
    OutputExistsError
        If ``out`` exists and ``overwrite`` is False, or it is not a file.
    """
    target = os.path.abspath(require_location(out))
    extension = os.path.splitext(target)[1].lower()
    if extension not in (".png", ".svg", ".pdf", ".html"):
        raise InvalidInputError(
            f"Invalid report file {target!r}. Expected a .png, .svg, .pdf or .html "
            "file name."
        )
    check_target(target, overwrite=overwrite, is_replaceable=os.path.isfile)
    bins = check_positive_int(bins, name="bins")
    stats, curves = summarize(as_scores(scores), bins=bins)
    figure = _figure(stats, curves)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png" if extension == ".html" else extension[1:])
    payload = buffer.getvalue()
    if extension == ".html":
        payload = _html(stats, payload).encode()
    temporary = f"{target}.tmp-{os.getpid()}"
    with open(temporary, "wb") as handle:
        handle.write(payload)
    os.replace(temporary, target)
    logger.info("wrote report %s", target)
    return {**stats, "out": target}


def _html(stats: dict[str, Any], png: bytes) -> str:
    rows = "".join(
        f"<tr><th>{html.escape(str(key))}</th><td>{html.escape(str(value))}</td></tr>"
        for key, value in stats.items()
    )
    image = base64.b64encode(png).decode()
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>dleverage score "
        f"report</title></head><body><h1>Score report</h1><img alt='score plots' "
        f"src='data:image/png;base64,{image}'><table>{rows}</table></body></html>\n"
    )
