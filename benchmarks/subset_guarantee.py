"""Ridge regression on a sampled subset: leverage sampling versus uniform sampling.

For each dataset the full ridge solution theta* = argmin ||X theta - Y||^2 +
lambda ||theta||^2 is compared with the sketch-and-solve solution theta_S on m
sampled rows (weighted by counts * weights^2, see ``dleverage.train``). Because
the ridge risk L is quadratic with Hessian A = X^T X + lambda I,

    L(theta_S) - L(theta*) = ||theta_S - theta*||_A^2,

so the relative excess risk is ||theta_S - theta*||_A^2 / L(theta*) and the
parameter error is ||theta_S - theta*||_A / ||theta*||_A. Both are reported as
mean and standard deviation over 20 seeds, for iid and bernoulli ridge-leverage
sampling and for uniform sampling without replacement.

Run::

    python benchmarks/subset_guarantee.py [--mnist DIR] [--seeds 20]
"""

from __future__ import annotations

import argparse
import os
import pathlib
import sys
import time

import dask
import numpy as np
import scipy.linalg

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from _results import machine_line, write_section  # noqa: E402

import dleverage as dl  # noqa: E402
from dleverage.io.idx import load_mnist  # noqa: E402

RIDGE = "rel:0.01"
SCHEMES = ("iid", "bernoulli", "uniform")
DEFAULT_MNIST = (
    pathlib.Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"
)


def one_hot(labels):
    classes = np.unique(labels)
    return (labels[:, None] == classes[None, :]).astype(np.float64)


def datasets(mnist_dir):
    from sklearn.datasets import load_breast_cancer, load_digits

    out = []
    if (pathlib.Path(mnist_dir) / "t10k-images-idx3-ubyte.gz").exists():
        images, labels = load_mnist(mnist_dir, split="test")
        out.append(
            (
                "MNIST test pixels / 255 (one-hot labels)",
                images.astype(np.float64) / 255.0,
                one_hot(labels),
                (750, 1500, 3000, 6000),
            )
        )
    else:
        print(f"MNIST not found in {mnist_dir}; skipped", file=sys.stderr)
    digits = load_digits()
    out.append(
        (
            "scikit-learn digits (one-hot labels)",
            digits.data.astype(np.float64),
            one_hot(digits.target),
            (100, 200, 400, 800),
        )
    )
    cancer = load_breast_cancer()
    out.append(
        (
            "scikit-learn breast cancer, raw features (0/1 target)",
            cancer.data.astype(np.float64),
            cancer.target.astype(np.float64)[:, None],
            (50, 100, 200, 400),
        )
    )
    rng = np.random.default_rng(0)
    n, d = 20000, 50
    scale = np.abs(rng.standard_t(1.5, size=(n, 1)))
    x = rng.standard_normal((n, d)) * scale
    theta = rng.standard_normal((d, 1))
    y = x @ theta + rng.standard_normal((n, 1))
    out.append(
        (
            "synthetic, n=20000, d=50, row norms ~ |t(1.5)|",
            x,
            y,
            (200, 500, 1000, 2000),
        )
    )
    return out


def weighted_gram(rows, weights):
    """Return the upper triangle of rows^T diag(weights) rows (BLAS syrk)."""
    scaled = np.asfortranarray(rows * np.sqrt(weights)[:, None])
    return scipy.linalg.blas.dsyrk(1.0, scaled, trans=1)


def solve(gram, rhs, ridge):
    # Only the upper triangle of gram is read.
    a = gram + ridge * np.eye(gram.shape[0])
    return scipy.linalg.cho_solve(scipy.linalg.cho_factor(a, lower=False), rhs)


def errors(theta, theta_star, a, risk_star):
    diff = theta - theta_star
    excess = float(np.sum(diff * (a @ diff)))
    norm_star = float(np.sum(theta_star * (a @ theta_star)))
    return excess / risk_star, np.sqrt(excess / norm_star)


def run_dataset(name, x, y, sizes, seeds):
    start = time.perf_counter()
    result = dl.leverage_scores(x, ridge=RIDGE)
    scores = result.compute()
    ridge = result.factor.ridge
    stats = dl.score_summary(scores)
    gram = x.T @ x
    a = gram + ridge * np.eye(x.shape[1])
    theta_star = solve(gram, x.T @ y, ridge)
    residual = x @ theta_star - y
    risk_star = float(np.sum(residual**2) + ridge * np.sum(theta_star**2))
    rows = []
    for m in sizes:
        for scheme in SCHEMES:
            excess, parameter, distinct = [], [], []
            for seed in range(seeds):
                chosen = dl.sample(scores, size=m, scheme=scheme, seed=seed)
                xs = x[chosen.indices]
                w = chosen.sample_weight
                rhs = xs.T @ (w[:, None] * y[chosen.indices])
                theta = solve(weighted_gram(xs, w), rhs, ridge)
                e, p = errors(theta, theta_star, a, risk_star)
                excess.append(e)
                parameter.append(p)
                distinct.append(chosen.n_selected)
            rows.append(
                (m, scheme, np.array(excess), np.array(parameter), np.mean(distinct))
            )
    seconds = time.perf_counter() - start
    return {
        "name": name,
        "shape": x.shape,
        "targets": y.shape[1],
        "ridge": ridge,
        "d_eff": result.factor.d_eff,
        "stats": stats,
        "rows": rows,
        "seconds": seconds,
    }


def dataset_markdown(report, seeds):
    stats = report["stats"]
    n, d = report["shape"]
    lines = [
        f"#### {report['name']}",
        "",
        f"n = {n}, d = {d}, {report['targets']} target column(s), lambda = "
        f"{report['ridge']:.4g} ({RIDGE}), d_eff = {report['d_eff']:.1f}. Score "
        f"spread: max/mean = {stats['max_over_mean']:.1f}, top 1% of rows hold "
        f"{stats['top_1pct_share']:.1%} of the total, Gini = {stats['gini']:.2f}. "
        f"({report['seconds']:.0f} s)",
        "",
        "| m | scheme | distinct rows | rel. excess risk, mean ± sd "
        "| param. error, mean ± sd | excess risk / uniform |",
        "| ---: | --- | ---: | ---: | ---: | ---: |",
    ]
    by_m = {}
    for m, scheme, excess, parameter, distinct in report["rows"]:
        by_m.setdefault(m, {})[scheme] = (excess, parameter, distinct)
    for m, schemes in by_m.items():
        uniform = schemes["uniform"][0].mean()
        for scheme, (excess, parameter, distinct) in schemes.items():
            label = scheme if scheme == "uniform" else f"leverage {scheme}"
            lines.append(
                f"| {m} | {label} | {distinct:.0f} | {excess.mean():.3e} ± "
                f"{excess.std():.1e} | {parameter.mean():.4f} ± "
                f"{parameter.std():.4f} | {excess.mean() / uniform:.3g} |"
            )
    lines.append("")
    return "\n".join(lines)


def ratio_range(report, scheme):
    """Return the min and max over m of mean excess risk, scheme / uniform."""
    by_m = {}
    for m, name, excess, _, _ in report["rows"]:
        by_m.setdefault(m, {})[name] = excess.mean()
    ratios = [entry[scheme] / entry["uniform"] for entry in by_m.values()]
    return min(ratios), max(ratios)


def interpretation(reports):
    lines = ["Reading the tables:", ""]
    for report in reports:
        stats = report["stats"]
        low, high = ratio_range(report, "bernoulli")
        lines.append(
            f"- {report['name']}: max/mean {stats['max_over_mean']:.1f}, top 1% "
            f"share {stats['top_1pct_share']:.1%}, Gini {stats['gini']:.2f}; "
            f"leverage bernoulli has {low:.3g} to {high:.3g} times the excess risk "
            "of uniform over the m above."
        )
    lines += [
        "",
        "The gap follows the spread of the scores: with equal scores p_i = 1 / n "
        "and leverage sampling is uniform sampling. On MNIST and digits, whose "
        "scores are nearly flat, leverage bernoulli is within about 25% of "
        "uniform, and the gain grows with m. With heavy-tailed row norms a few "
        "rows carry most of the leverage; "
        "uniform sampling misses them and its excess risk is orders of magnitude "
        "larger. The raw breast cancer features (columns on very different "
        "scales) sit in between.",
        "",
        "iid draws with replacement lose to uniform on the flat datasets at large "
        "m: many of the m draws repeat rows (see `distinct rows`), and the weights "
        "1 / sqrt(m p_i) vary, while uniform without replacement uses m distinct "
        "rows with equal weights. Bernoulli sampling keeps each row at most once "
        "and is the fair comparison with uniform sampling without replacement.",
        "",
    ]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--mnist", default=os.environ.get("DLEVERAGE_MNIST_DIR", DEFAULT_MNIST)
    )
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    start = time.perf_counter()
    reports = []
    with dask.config.set(scheduler="synchronous"):
        for name, x, y, sizes in datasets(args.mnist):
            report = run_dataset(name, x, y, sizes, args.seeds)
            print(dataset_markdown(report, args.seeds), flush=True)
            reports.append(report)
    total = time.perf_counter() - start
    body = [
        "### Subset guarantee: ridge on a sampled subset, leverage vs uniform",
        "",
        f"Command: `python benchmarks/subset_guarantee.py --seeds {args.seeds}` "
        f"({total:.0f} s in all). Machine: {machine_line()}, Dask synchronous "
        "scheduler, load average "
        f"{os.getloadavg()[0]:.1f} at the end (the cores were shared with other "
        "jobs, so the times are upper bounds).",
        "",
        "theta_S solves the weighted ridge problem on the m sampled rows with the "
        "full-data lambda; the excess risk over theta* equals ||theta_S - "
        "theta*||_A^2 with A = X^T X + lambda I. Schemes: `leverage iid` (m draws "
        "with replacement, p_i proportional to the ridge leverage), `leverage "
        "bernoulli` (expected size m), `uniform` (m rows without replacement). "
        "Mean ± standard deviation over the seeds 0..19; `distinct rows` is the "
        "mean subset size (iid draws repeat rows, bernoulli varies around m); the "
        "last column is the mean excess risk divided by that of uniform at the "
        "same m. Score spread: max/mean score, the share of the total leverage "
        "held by the top 1% of rows (1% if the scores were equal) and the Gini "
        "coefficient of the scores (0 if equal).",
        "",
        *[dataset_markdown(report, args.seeds) for report in reports],
        interpretation(reports),
    ]
    if not args.no_write:
        write_section("subset_guarantee", "\n".join(body))


if __name__ == "__main__":
    main()
