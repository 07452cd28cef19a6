"""Benchmark ``xl_addin.domain.btyd`` against the ``lifetimes`` package.

Run from the repository root::

    python benchmarks/bench_btyd.py --customers 200000 --repeats 3

What it does
------------
1. Simulates a deterministic synthetic customer base (fixed seed) from the BG/NBD
   generative process (Fader, Hardie & Lee 2005) with the CDNOW estimates
   r=0.243, alpha=4.414, a=0.793, b=2.426 (weeks) and Gamma-Gamma spends with
   p=6.25, q=3.74, gamma=15.44 (Fader & Hardie 2013). As in CDNOW, customers make
   their first purchase on one of the first 84 days and are observed until day 273;
   purchase times are rounded to whole days and expressed in weeks (days / 7).
2. Times, as the median of ``--repeats`` runs (wall clock and process CPU time):
   * ``fit_bgnbd`` + ``bgnbd_p_alive`` vs ``BetaGeoFitter().fit`` +
     ``conditional_probability_alive``;
   * ``fit_gamma_gamma`` vs ``GammaGammaFitter().fit`` (lifetimes gets only the
     customers with frequency > 0, which it requires; ours filters internally);
   * ``fit_mbgnbd`` + ``mbgnbd_p_alive`` vs ``ModifiedBetaGeoFitter().fit`` +
     ``conditional_probability_alive`` on the same BG/NBD population;
   * ``fit_pareto_nbd`` + ``pareto_nbd_p_alive`` vs ``ParetoNBDFitter().fit`` +
     ``conditional_probability_alive`` on a second population of the same size drawn
     from the Pareto/NBD process with the CDNOW estimates of Fader, Hardie & Lee (2005,
     section 5): r=0.55, alpha=10.58, s=0.61, beta=11.67 (weeks), same observation
     window. lifetimes' Pareto/NBD starts Nelder-Mead from random parameters unless
     told otherwise; it is given a fixed start (1, 1, 1, 1) here so that runs repeat,
     and its default tolerance.
3. Prints a markdown table with both times, the speed-up, and the largest absolute
   difference of the fitted parameters and of P(alive), then the largest relative
   difference of the parameters.

lifetimes is optional and is never a runtime dependency of CustomerBook. Without it
the script prints a note and times our code only. lifetimes 0.11.3 (archived) was
installed for this benchmark with a plain ``pip install lifetimes`` (pulls ``autograd``
and ``dill``); it imports on numpy 2.4 / pandas 3.1 / scipy 1.17 as long as
``pkg_resources`` is available, which its ``lifetimes.datasets`` module imports at
package import time. setuptools 81+ no longer ships ``pkg_resources``; if
``import lifetimes`` fails with ``ModuleNotFoundError: pkg_resources``, run
``pip install 'setuptools<81'`` (the environment this was measured on had
setuptools 65.5, so no shim was needed).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from xl_addin.domain.btyd import (  # noqa: E402
    bgnbd_p_alive,
    fit_bgnbd,
    fit_gamma_gamma,
    fit_mbgnbd,
    fit_pareto_nbd,
    mbgnbd_p_alive,
    pareto_nbd_p_alive,
)

BGNBD_TRUE = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PARETO_TRUE = {"r": 0.55, "alpha": 10.58, "s": 0.61, "beta": 11.67}
GG_TRUE = {"p": 6.25, "q": 3.74, "v": 15.44}
SEED = 20050401


def simulate(n: int, seed: int = SEED) -> dict[str, np.ndarray]:
    """Deterministic BG/NBD + Gamma-Gamma population of ``n`` customers (weeks)."""
    rng = np.random.default_rng(seed)
    r, alpha, a, b = BGNBD_TRUE.values()
    first_day = rng.integers(0, 84, size=n)  # first purchases in the first 12 weeks
    t_days = (273 - first_day).astype(float)  # observed until day 273 (39 weeks)
    lam = rng.gamma(r, 1.0 / alpha, size=n) / 7.0  # purchases per day
    p = rng.beta(a, b, size=n)
    poisson = rng.poisson(lam * t_days)  # repeat purchases if nobody dropped out
    death_after = rng.geometric(p)  # dies right after this many repeat purchases
    x = np.minimum(poisson, death_after)
    # time of the x-th of `poisson` uniform arrivals on (0, T]: T * Beta(x, N - x + 1)
    frac = rng.beta(np.maximum(x, 1), np.maximum(poisson - x + 1, 1))
    t_x_days = np.where(x > 0, np.clip(np.round(frac * t_days), 1, t_days), 0.0)
    gp, gq, gv = GG_TRUE.values()
    nu = rng.gamma(gq, 1.0 / gv, size=n)
    m = np.where(x > 0, rng.gamma(gp * np.maximum(x, 1), 1.0 / (nu * np.maximum(x, 1))), 0.0)
    return {
        "frequency": x.astype(float),
        "recency": t_x_days / 7.0,
        "T": t_days / 7.0,
        "monetary_value": np.round(m, 2),
    }


def simulate_pareto(n: int, seed: int = SEED) -> dict[str, np.ndarray]:
    """Deterministic Pareto/NBD population of ``n`` customers (weeks), CDNOW's window.

    Purchase rates ~ Gamma(r, alpha), dropout rates ~ Gamma(s, beta) (per week); a
    customer buys as a Poisson process until an exponential lifetime ends; purchase
    days are rounded and times expressed in weeks.
    """
    rng = np.random.default_rng(seed + 1)
    r, alpha, s, beta = PARETO_TRUE.values()
    first_day = rng.integers(0, 84, size=n)
    t_days = (273 - first_day).astype(float)
    lam = rng.gamma(r, 1.0 / alpha, size=n) / 7.0  # purchases per day
    mu = rng.gamma(s, 1.0 / beta, size=n) / 7.0  # dropout rate per day
    alive_days = np.minimum(rng.exponential(1.0 / mu), t_days)
    x = rng.poisson(lam * alive_days)
    # the last of x uniform purchase times on (0, alive]: alive * Beta(x, 1)
    last = alive_days * rng.beta(np.maximum(x, 1), 1.0)
    t_x_days = np.where(x > 0, np.clip(np.round(last), 1, t_days), 0.0)
    return {"frequency": x.astype(float), "recency": t_x_days / 7.0, "T": t_days / 7.0}


def timed(fn: Callable[[], Any], repeats: int) -> tuple[float, float, Any]:
    """Median wall and CPU seconds over ``repeats`` runs, and the last result."""
    walls, cpus, out = [], [], None
    for _ in range(repeats):
        w0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    return statistics.median(walls), statistics.median(cpus), out


def import_lifetimes() -> tuple[Any, str]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import lifetimes
        return lifetimes, ""
    except Exception as exc:  # ImportError, or a broken archived dependency chain
        return None, f"{type(exc).__name__}: {exc}"


def _row(
    task: str,
    ours: tuple[float, float],
    theirs: tuple[float, float],
    ours_params: np.ndarray,
    their_params: np.ndarray,
    alive_diff: str,
) -> list[str]:
    return [
        task,
        f"{ours[0]:.3f}",
        f"{ours[1]:.3f}",
        f"{theirs[0]:.3f}",
        f"{theirs[1]:.3f}",
        f"{theirs[0] / ours[0]:.1f}x",
        f"{theirs[1] / ours[1]:.1f}x",
        f"{np.max(np.abs(ours_params - their_params)):.2e}",
        alive_diff,
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument(
        "--skip-pareto",
        action="store_true",
        help="leave out the Pareto/NBD comparison (lifetimes needs ~1 minute per 200,000)",
    )
    args = parser.parse_args(argv)

    data = simulate(args.customers, args.seed)
    x, tx, age, m = data["frequency"], data["recency"], data["T"], data["monetary_value"]
    rep = x > 0
    print(
        f"Synthetic population: {args.customers:,} customers (seed {args.seed}), "
        f"{int(rep.sum()):,} repeat buyers, {int(x.sum()):,} repeat purchases; "
        f"median of {args.repeats} run(s)."
    )
    pareto = None if args.skip_pareto else simulate_pareto(args.customers, args.seed)
    if pareto is not None:
        px, ptx, page = pareto["frequency"], pareto["recency"], pareto["T"]
        print(
            f"Pareto/NBD population: {args.customers:,} customers, "
            f"{int(np.count_nonzero(px)):,} repeat buyers, {int(px.sum()):,} repeat purchases."
        )

    def ours_bg() -> tuple[Any, np.ndarray]:
        fit = fit_bgnbd(x, tx, age)
        return fit, bgnbd_p_alive(fit, x, tx, age)

    def ours_gg() -> Any:
        return fit_gamma_gamma(x, m)

    def ours_mbg() -> tuple[Any, np.ndarray]:
        fit = fit_mbgnbd(x, tx, age)
        return fit, mbgnbd_p_alive(fit, x, tx, age)

    def ours_pnbd() -> tuple[Any, np.ndarray]:
        fit = fit_pareto_nbd(px, ptx, page)
        return fit, pareto_nbd_p_alive(fit, px, ptx, page)

    bg_wall, bg_cpu, (bg_fit, bg_alive) = timed(ours_bg, args.repeats)
    gg_wall, gg_cpu, gg_fit = timed(ours_gg, args.repeats)
    mbg_wall, mbg_cpu, (mbg_fit, mbg_alive) = timed(ours_mbg, args.repeats)
    if pareto is not None:
        pn_wall, pn_cpu, (pn_fit, pn_alive) = timed(ours_pnbd, args.repeats)

    lifetimes, why = import_lifetimes()
    rows: list[list[str]] = []
    if lifetimes is None:
        print(f"\nNOTE: lifetimes is not importable ({why}); comparison columns skipped.\n")
        print("| task | ours wall s | ours CPU s |")
        print("|---|---:|---:|")
        print(f"| BG/NBD fit + P(alive) | {bg_wall:.3f} | {bg_cpu:.3f} |")
        print(f"| Gamma-Gamma fit | {gg_wall:.3f} | {gg_cpu:.3f} |")
        print(f"| MBG/NBD fit + P(alive) | {mbg_wall:.3f} | {mbg_cpu:.3f} |")
        if pareto is not None:
            print(f"| Pareto/NBD fit + P(alive) | {pn_wall:.3f} | {pn_cpu:.3f} |")
        _print_fits(bg_fit, gg_fit)
        return 0

    def theirs_bg() -> tuple[Any, np.ndarray]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            bgf = lifetimes.BetaGeoFitter().fit(x, tx, age)
            return bgf, np.asarray(bgf.conditional_probability_alive(x, tx, age))

    def theirs_gg() -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return lifetimes.GammaGammaFitter().fit(x[rep], m[rep])

    def theirs_mbg() -> tuple[Any, np.ndarray]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            mbgf = lifetimes.ModifiedBetaGeoFitter().fit(x, tx, age)
            return mbgf, np.asarray(mbgf.conditional_probability_alive(x, tx, age))

    def theirs_pnbd() -> tuple[Any, np.ndarray]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pnf = lifetimes.ParetoNBDFitter().fit(px, ptx, page, initial_params=np.ones(4))
            return pnf, np.asarray(pnf.conditional_probability_alive(px, ptx, page))

    lt_bg_wall, lt_bg_cpu, (bgf, lt_alive) = timed(theirs_bg, args.repeats)
    lt_gg_wall, lt_gg_cpu, ggf = timed(theirs_gg, args.repeats)
    lt_mbg_wall, lt_mbg_cpu, (mbgf, lt_mbg_alive) = timed(theirs_mbg, args.repeats)

    ours_bg_params = np.array([bg_fit.r, bg_fit.alpha, bg_fit.a, bg_fit.b])
    lt_bg_params = bgf.params_[["r", "alpha", "a", "b"]].to_numpy(float)
    ours_gg_params = np.array([gg_fit.p, gg_fit.q, gg_fit.v])
    lt_gg_params = ggf.params_[["p", "q", "v"]].to_numpy(float)
    ours_mbg_params = np.array(list(mbg_fit.params.values()))
    lt_mbg_params = mbgf.params_[["r", "alpha", "a", "b"]].to_numpy(float)
    rel = {
        "BG/NBD": (ours_bg_params, lt_bg_params),
        "Gamma-Gamma": (ours_gg_params, lt_gg_params),
        "MBG/NBD": (ours_mbg_params, lt_mbg_params),
    }
    rows.append(
        _row(
            "BG/NBD fit + P(alive)",
            (bg_wall, bg_cpu),
            (lt_bg_wall, lt_bg_cpu),
            ours_bg_params,
            lt_bg_params,
            f"{np.max(np.abs(bg_alive - lt_alive)):.2e}",
        )
    )
    rows.append(
        _row(
            "Gamma-Gamma fit",
            (gg_wall, gg_cpu),
            (lt_gg_wall, lt_gg_cpu),
            ours_gg_params,
            lt_gg_params,
            "n/a",
        )
    )
    rows.append(
        _row(
            "MBG/NBD fit + P(alive)",
            (mbg_wall, mbg_cpu),
            (lt_mbg_wall, lt_mbg_cpu),
            ours_mbg_params,
            lt_mbg_params,
            f"{np.max(np.abs(mbg_alive - lt_mbg_alive)):.2e}",
        )
    )
    if pareto is not None:
        lt_pn_wall, lt_pn_cpu, (pnf, lt_pn_alive) = timed(theirs_pnbd, args.repeats)
        ours_pn_params = np.array(list(pn_fit.params.values()))
        lt_pn_params = pnf.params_[["r", "alpha", "s", "beta"]].to_numpy(float)
        rel["Pareto/NBD"] = (ours_pn_params, lt_pn_params)
        rows.append(
            _row(
                "Pareto/NBD fit + P(alive)",
                (pn_wall, pn_cpu),
                (lt_pn_wall, lt_pn_cpu),
                ours_pn_params,
                lt_pn_params,
                f"{np.max(np.abs(pn_alive - lt_pn_alive)):.2e}",
            )
        )
    print(f"\nlifetimes {getattr(lifetimes, '__version__', '?')} | numpy {np.__version__}\n")
    print(
        "| task | ours wall s | ours CPU s | lifetimes wall s | lifetimes CPU s "
        "| speed-up (wall) | speed-up (CPU) | max abs diff params | max abs diff P(alive) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    _print_fits(bg_fit, gg_fit)
    print(
        "lifetimes BG/NBD: "
        + ", ".join(
            f"{k}={v:.5g}" for k, v in zip(("r", "alpha", "a", "b"), lt_bg_params, strict=True)
        )
        + " | Gamma-Gamma: "
        + ", ".join(f"{k}={v:.5g}" for k, v in zip(("p", "q", "v"), lt_gg_params, strict=True))
    )
    print(
        _params_line("ours MBG/NBD", mbg_fit.params)
        + " | "
        + _params_line("lifetimes", dict(zip(("r", "alpha", "a", "b"), lt_mbg_params, strict=True)))
    )
    if pareto is not None:
        at_theirs = _pareto_log_likelihood(lt_pn_params, px, ptx, page)
        print(
            f"Pareto/NBD log-likelihood: ours {pn_fit.log_likelihood:.6f}, at lifetimes' "
            f"parameters {at_theirs:.6f} (higher is closer to the maximum)"
        )
        print(
            _params_line("ours Pareto/NBD", pn_fit.params)
            + f", LL={pn_fit.log_likelihood:.1f}, converged={pn_fit.converged} | "
            + _params_line(
                "lifetimes", dict(zip(("r", "alpha", "s", "beta"), lt_pn_params, strict=True))
            )
        )
    print(
        "max relative diff of the parameters: "
        + "; ".join(
            f"{task} {np.max(np.abs(ours - theirs) / np.abs(theirs)):.1e}"
            for task, (ours, theirs) in rel.items()
        )
    )
    return 0


def _pareto_log_likelihood(
    params: np.ndarray, x: np.ndarray, tx: np.ndarray, age: np.ndarray
) -> float:
    """Our Pareto/NBD log-likelihood (weeks) at the given (r, alpha, s, beta)."""
    from xl_addin.domain.btyd.pareto_nbd import _ParetoNBDObjective

    scale = 1.0 / float(age.max())
    obj = _ParetoNBDObjective(x, tx * scale, age * scale, np.ones(x.size))
    theta = np.log(params * np.array([1.0, scale, 1.0, scale]))
    value, _ = obj(theta)
    return float(-value * obj.total + obj.sum_wx * np.log(scale))


def _params_line(label: str, params: dict[str, float]) -> str:
    return f"{label}: " + ", ".join(f"{k}={v:.5g}" for k, v in params.items())


def _print_fits(bg_fit: Any, gg_fit: Any) -> None:
    print(
        f"\nours BG/NBD: r={bg_fit.r:.5g}, alpha={bg_fit.alpha:.5g}, a={bg_fit.a:.5g}, "
        f"b={bg_fit.b:.5g}, LL={bg_fit.log_likelihood:.1f}, converged={bg_fit.converged} "
        f"| Gamma-Gamma: p={gg_fit.p:.5g}, q={gg_fit.q:.5g}, v={gg_fit.v:.5g}, "
        f"converged={gg_fit.converged}"
    )


if __name__ == "__main__":
    raise SystemExit(main())
