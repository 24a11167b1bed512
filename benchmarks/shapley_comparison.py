"""Leverage scores versus Monte Carlo Shapley values, on small designs (n <= 200).

Two cooperative games on the rows of X:

- the rank game v(S) = rank(X_S), whose Shapley values sum to rank(X), as the
  exact leverage scores do;
- the log-det utility v(S) = log det(I + X_S^T X_S / lambda), the D-optimal
  criterion, whose marginal gain at S is log(1 + h_S(x)) with h_S the ridge
  leverage of x against S.

Shapley values are estimated by averaging marginal contributions over random
permutations (Castro, Gomez and Tejada, "Polynomial calculation of the Shapley
value based on sampling", Computers & Operations Research 36(5), 2009). Along a
permutation both games are updated in O(d^2) per row: the rank game by
Gram-Schmidt against the current basis, the log-det game by a Sherman-Morrison
update of A^-1. Each permutation's contributions sum exactly to v(all rows), so
the estimates are efficient by construction.

The table gives Spearman rank correlations between each score and each Shapley
estimate, over the rows (NaN when one side is constant).

Run::

    python benchmarks/shapley_comparison.py [--permutations 4000]
"""

from __future__ import annotations

import argparse
import os
import pathlib
import sys
import time

import numpy as np
import scipy.stats

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from _results import machine_line, write_section  # noqa: E402

import dleverage as dl  # noqa: E402

RIDGE = 1.0
RANK_TOLERANCE = 1e-9


def designs():
    rng = np.random.default_rng(0)
    gaussian = rng.standard_normal((60, 4))
    heavy = rng.standard_normal((100, 5)) * np.abs(rng.standard_t(1.5, size=(100, 1)))
    # Rows on a few lines and planes of R^6, with different multiplicities, plus
    # two zero rows and duplicates: the rank game is far from uniform here.
    basis = np.eye(6)
    parts = [
        rng.standard_normal((40, 2)) @ basis[:2],  # 40 rows in a plane
        rng.standard_normal((12, 1)) @ basis[2:3],  # 12 rows on a line
        rng.standard_normal((4, 1)) @ basis[3:4],  # 4 rows on a line
        rng.standard_normal((1, 1)) @ basis[4:5],  # one row on e5, in the plane below
        rng.standard_normal((20, 2)) @ basis[4:6] * 0.1,  # 20 small rows in a plane
        np.zeros((2, 6)),
    ]
    clusters = np.vstack(parts)
    clusters = np.vstack([clusters, clusters[:3]])  # three duplicated rows
    return [
        ("Gaussian, n=60, d=4 (general position)", gaussian),
        ("heavy-tailed row norms, n=100, d=5", heavy),
        ("collinear clusters, n=82, d=6, zeros and duplicates", clusters),
    ]


def shapley_mc(x, permutations, ridge, seed):
    """Return Monte Carlo Shapley values of both games and their standard errors."""
    n, d = x.shape
    rng = np.random.default_rng(seed)
    orders = np.argsort(rng.random((permutations, n)), axis=1)
    basis = np.zeros((permutations, d, d))
    used = np.zeros(permutations, dtype=np.int64)
    inverse = np.broadcast_to(np.eye(d) / ridge, (permutations, d, d)).copy()
    rank_sum = np.zeros(n)
    rank_sq = np.zeros(n)
    logdet_sum = np.zeros(n)
    logdet_sq = np.zeros(n)
    batch = np.arange(permutations)
    for position in range(n):
        rows = orders[:, position]
        z = x[rows]
        # Rank game: the row adds 1 if its residual against the basis is nonzero.
        residual = z - np.einsum("tij,tj->ti", basis, np.einsum("tji,tj->ti", basis, z))
        norm = np.linalg.norm(residual, axis=1)
        scale = np.maximum(np.linalg.norm(z, axis=1), 1e-300)
        adds = norm > RANK_TOLERANCE * scale
        grow = batch[adds]
        basis[grow, :, used[grow]] = residual[grow] / norm[grow, None]
        used[grow] += 1
        # Log-det game: gain log(1 + z^T A^-1 z), then Sherman-Morrison.
        u = np.einsum("tij,tj->ti", inverse, z)
        h = np.einsum("ti,ti->t", z, u)
        inverse -= np.einsum("ti,tj->tij", u, u) / (1 + h)[:, None, None]
        gain = np.log1p(h)
        np.add.at(rank_sum, rows, adds)
        np.add.at(rank_sq, rows, adds.astype(float))
        np.add.at(logdet_sum, rows, gain)
        np.add.at(logdet_sq, rows, gain**2)
    phi_rank = rank_sum / permutations
    phi_logdet = logdet_sum / permutations
    se_rank = np.sqrt(
        np.maximum(rank_sq / permutations - phi_rank**2, 0) / permutations
    )
    se_logdet = np.sqrt(
        np.maximum(logdet_sq / permutations - phi_logdet**2, 0) / permutations
    )
    return phi_rank, phi_logdet, se_rank.max(), se_logdet.max()


def spearman(a, b):
    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return float("nan")
    return float(scipy.stats.spearmanr(a, b).statistic)


def run_design(name, x, permutations):
    start = time.perf_counter()
    exact = dl.leverage_scores(x).compute()
    ridge = dl.leverage_scores(x, ridge=RIDGE).compute()
    phi_rank, phi_logdet, se_rank, se_logdet = shapley_mc(x, permutations, RIDGE, 1)
    # The last marginal of the log-det game: removing row i from all rows loses
    # log(1 / (1 - h_i)) with h_i the ridge leverage (leave-one-out value).
    loo = -np.log1p(-ridge)
    rank_total = np.linalg.matrix_rank(x)
    logdet_total = np.linalg.slogdet(np.eye(x.shape[1]) + x.T @ x / RIDGE)[1]
    return {
        "name": name,
        "n": x.shape[0],
        "rank": int(rank_total),
        "rank_sum": float(phi_rank.sum()),
        "logdet_total": float(logdet_total),
        "logdet_sum": float(phi_logdet.sum()),
        "rank_constant": bool(np.ptp(phi_rank) == 0),
        "rank_values": np.unique(np.round(phi_rank, 3)).size,
        "se_rank": se_rank,
        "se_logdet": se_logdet,
        "rho": {
            "exact vs rank game": spearman(exact, phi_rank),
            "exact vs log-det": spearman(exact, phi_logdet),
            "ridge vs rank game": spearman(ridge, phi_rank),
            "ridge vs log-det": spearman(ridge, phi_logdet),
            "leave-one-out vs log-det": spearman(loo, phi_logdet),
        },
        "top10_overlap": int(
            np.intersect1d(np.argsort(-ridge)[:10], np.argsort(-phi_logdet)[:10]).size
        ),
        "exact": exact,
        "phi_rank": phi_rank,
        "seconds": time.perf_counter() - start,
    }


def markdown(reports, permutations, seconds):
    keys = list(reports[0]["rho"])
    lines = [
        "### Leverage versus Monte Carlo Shapley values (small n)",
        "",
        f"Command: `python benchmarks/shapley_comparison.py --permutations "
        f"{permutations}` ({seconds:.0f} s). Machine: {machine_line()}, load "
        f"average {os.getloadavg()[0]:.1f}.",
        "",
        f"Spearman rank correlation over the rows; lambda = {RIDGE} for ridge "
        "leverage and the log-det game v(S) = log det(I + X_S^T X_S / lambda). "
        "Shapley values from "
        f"{permutations} random permutations; `max SE` is the largest standard "
        "error of a row's estimate. NaN: the rank game's Shapley values are all "
        "equal, so no ranking exists.",
        "",
        "| design | " + " | ".join(keys) + " | top-10 overlap, ridge vs log-det "
        "| max SE rank / log-det |",
        "| --- | " + " | ".join("---:" for _ in keys) + " | ---: | ---: |",
    ]
    for report in reports:
        cells = " | ".join(f"{report['rho'][k]:.3f}" for k in keys)
        lines.append(
            f"| {report['name']} | {cells} | {report['top10_overlap']}/10 | "
            f"{report['se_rank']:.3f} / {report['se_logdet']:.3f} |"
        )
    lines += ["", "Checks: each permutation's marginals sum to v(all rows), so"]
    for report in reports:
        lines.append(
            f"- {report['name']}: sum of rank-game values {report['rank_sum']:.6f} "
            f"= rank {report['rank']}; sum of log-det values "
            f"{report['logdet_sum']:.6f} vs log det {report['logdet_total']:.6f}; "
            f"{report['rank_values']} distinct rank-game values (rounded to 1e-3)."
        )
    return "\n".join(lines)


def interpretation(reports):
    gaussian, heavy, clusters = reports
    return "\n".join(
        [
            "Where they agree and where not:",
            "",
            "- Rank game: leverage is *not* its Shapley value. When every d rows are "
            "independent (the Gaussian and heavy-tailed designs), a row adds 1 to the "
            "rank exactly when it comes among the first d of a permutation, so every "
            "row's Shapley value is exactly d / n (4/60 and 5/100), whatever its "
            "leverage. The Monte Carlo estimates only scatter around d / n (max SE "
            f"{gaussian['se_rank']:.3f} and {heavy['se_rank']:.3f}), and their rank "
            f"correlations with leverage ({gaussian['rho']['exact vs rank game']:.3f}, "
            f"{heavy['rho']['exact vs rank game']:.3f}) are noise. Both share the "
            "dummy, symmetry and efficiency axioms (the sums equal the rank), but "
            "leverage measures a row's share given all other rows, the Shapley value "
            "its average over coalition sizes.",
            "- With exact collinearity (the cluster design) the rank game rewards rows "
            "on rarely populated directions, and so does leverage: Spearman "
            f"{clusters['rho']['exact vs rank game']:.3f}. They still differ inside a "
            "direction: the rank game splits a line's unit equally among its rows, "
            "while leverage splits it in proportion to x_i^2 along the line. Ridge "
            "leverage is further from the rank game "
            f"({clusters['rho']['ridge vs rank game']:.3f}), because lambda shrinks "
            "the small rows' directions.",
            "- Log-det utility: ridge leverage ranks rows almost as its Shapley value "
            f"does (Spearman {gaussian['rho']['ridge vs log-det']:.3f}, "
            f"{heavy['rho']['ridge vs log-det']:.3f}, "
            f"{clusters['rho']['ridge vs log-det']:.3f}; top-10 overlap "
            f"{gaussian['top10_overlap']}, {heavy['top10_overlap']} and "
            f"{clusters['top10_overlap']} of 10). The leave-one-out loss "
            "log(1 / (1 - h_i)) is a monotone function of h_i, so it ranks rows "
            "identically. The agreement is weakest in the cluster design, plausibly "
            "because there a row's gain early in a permutation (alone in its "
            "direction) differs most from its gain at the end (sharing it).",
            "",
        ]
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--permutations", type=int, default=4000)
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    start = time.perf_counter()
    reports = [run_design(name, x, args.permutations) for name, x in designs()]
    text = markdown(reports, args.permutations, time.perf_counter() - start)
    print(text)
    for report in reports:
        print(report["name"], "exact leverage by row:", np.round(report["exact"], 3))
        print(report["name"], "rank Shapley by row:", np.round(report["phi_rank"], 3))
    if not args.no_write:
        write_section("shapley_comparison", text + "\n\n" + interpretation(reports))


if __name__ == "__main__":
    main()
