"""Option checking, estimator dispatch and the data's scale, shared by shrink and rolling_shrink (private)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Literal

import numpy as np
import pandas as pd

from riskkit._core.validation import check_choice, check_int, check_real, format_items
from riskkit.exceptions import DataError, InvalidParameterError
from riskkit.shrinkage import _kernels as K

Method = Literal["sample", "ewma", "riskmetrics", "ledoit_wolf", "oas", "oas_paper", "nonlinear", "denoise"]
Target = Literal["identity", "constant_correlation", "single_index"]
METHODS: tuple[str, ...] = (
    "sample",
    "ewma",
    "riskmetrics",
    "ledoit_wolf",
    "oas",
    "oas_paper",
    "nonlinear",
    "denoise",
)
TARGETS: tuple[str, ...] = ("identity", "constant_correlation", "single_index")
METHOD_NAMES = {  # each method as a reader names it (a report's prose and tables)
    "sample": "sample covariance", "ewma": "EWMA", "riskmetrics": "RiskMetrics EWMA",
    "ledoit_wolf": "Ledoit-Wolf", "oas": "OAS", "oas_paper": "OAS (as published)",
    "nonlinear": "nonlinear shrinkage", "denoise": "denoised",
}  # fmt: skip
RISKMETRICS_LAMBDA = 0.94


@dataclass(frozen=True)
class Opts:
    method: str
    target: str
    intensity: float | None
    lam: float | None
    ddof: int
    detone: bool
    assume_centered: bool


def options(method, target, intensity, halflife, lam, ddof, detone, assume_centered) -> Opts:
    check_choice("method", method, METHODS)
    check_choice("target", target, TARGETS)
    if method != "ledoit_wolf" and target != "identity":
        raise InvalidParameterError(
            f"target={target!r} applies to method='ledoit_wolf'; got method={method!r}."
        )
    if intensity is not None:
        if method != "ledoit_wolf":
            raise InvalidParameterError(
                "intensity (a fixed shrinkage intensity) applies to method='ledoit_wolf'."
            )
        intensity = check_real("intensity", intensity, low=0.0, high=1.0)
    if ddof is not None:
        if method not in ("sample", "denoise"):
            raise InvalidParameterError(
                f"ddof applies to method='sample' or 'denoise'; method={method!r} "
                "uses the normalisation of its paper."
            )
        ddof = check_int("ddof", ddof, minimum=0)
    if not isinstance(detone, bool) or (detone and method != "denoise"):
        raise InvalidParameterError("detone must be a bool and applies to method='denoise' only.")
    if not isinstance(assume_centered, bool):
        raise InvalidParameterError(f"assume_centered must be True or False, got {assume_centered!r}.")
    if method == "ewma":
        if (halflife is None) == (lam is None):
            raise InvalidParameterError("method='ewma' needs exactly one of halflife= or lam=.")
        if halflife is not None:
            lam = 0.5 ** (1.0 / check_real("halflife", halflife, low=0.0, low_open=True))
        else:
            lam = check_real("lam", lam, low=0.0, high=1.0, low_open=True, high_open=True)
    elif halflife is not None or lam is not None:
        raise InvalidParameterError(
            "halflife and lam apply to method='ewma' only ('riskmetrics' fixes lam=0.94)."
        )
    if method == "riskmetrics":
        lam, assume_centered = RISKMETRICS_LAMBDA, True
    default_ddof = 1 if method in ("sample", "denoise") else 0
    return Opts(
        method, target, intensity, lam, default_ddof if ddof is None else ddof, detone, assume_centered
    )


def estimate(X, mo, o: Opts, market) -> K.Estimate:
    if o.method in ("ewma", "riskmetrics"):
        return K.ewma(X, lam=o.lam, assume_centered=o.assume_centered)
    if o.method == "sample":
        if mo.T - o.ddof <= 0:
            raise DataError(f"ddof={o.ddof} leaves no degrees of freedom with {mo.T} observations.")
        return K.sample(mo, ddof=o.ddof)
    if o.method in ("oas", "oas_paper"):
        return K.oas(mo, paper=o.method == "oas_paper")
    if o.method == "nonlinear":
        n_eff = mo.T - (0 if o.assume_centered else 1)
        if n_eff < 12:
            raise DataError(
                f"method='nonlinear' needs an effective sample size of at least 12, got {n_eff} "
                f"from {mo.T} observations of {mo.N} assets (n_samples={mo.T}, n_features={mo.N})."
            )
        return K.nonlinear(mo)
    if o.method == "denoise":
        return K.denoise(mo, ddof=o.ddof, detone=o.detone)
    if o.intensity is not None:
        return K.fixed(mo, target=o.target, intensity=o.intensity, market=market)
    if o.target == "identity":
        return K.ledoit_wolf_identity(mo)
    if o.target == "constant_correlation":
        return K.ledoit_wolf_constant_correlation(mo)
    return K.ledoit_wolf_single_index(mo, market)


def resolve(x):
    return x() if callable(x) else x


def check_variance(X: np.ndarray, m: np.ndarray, var: np.ndarray, columns: pd.Index, where: str = "") -> None:
    """Name the assets whose returns are constant (zero variance).

    Columns whose variance is within rounding of zero relative to their mean
    are checked exactly (max == min), so a tiny but real variance passes.
    """
    candidates = np.flatnonzero(var <= 1e-24 * np.maximum(m * m, np.finfo(float).tiny))
    if candidates.size:
        const = [columns[j] for j in candidates if np.ptp(X[:, j]) == 0]
        if const:
            raise DataError(
                f"returns of {format_items(const)} are constant{where} (zero variance): "
                "no correlation can be "
                "estimated for them. Remove these assets."
            )


def market_series(market, index: pd.Index, T: int) -> np.ndarray:
    if isinstance(market, pd.Series):
        if not market.index.equals(index):
            missing = index.difference(market.index)
            extra = market.index.difference(index)
            raise InvalidParameterError(
                "market must have the same dates as returns; "
                f"missing: {format_items(missing) or 'none'}; extra: {format_items(extra) or 'none'}."
            )
        values = market.to_numpy(dtype=float)
    else:
        values = np.asarray(market, dtype=float).ravel()
    if values.shape != (T,):
        raise InvalidParameterError(f"market must have {T} observations, got {values.shape[0]}.")
    if not np.isfinite(values).all():
        bad = index[~np.isfinite(values)]
        raise InvalidParameterError(f"market has missing or infinite values on {format_items(bad)}.")
    if np.ptp(values) == 0:
        raise DataError("market returns are constant; the single-index target needs a varying market.")
    return values


def on_a_safe_scale(X: np.ndarray):
    """Returns near 1e150 overflow the fourth-moment sums of the shrinkage formulas, returns
    near 1e-150 underflow them to 0 / 0: such data are scaled by a power of two (exact) toward 1
    before the kernels, and ``unscale(estimate)`` scales an estimate back (covariances by the
    square, the intensity not at all). For :func:`shrink` and :func:`rolling_shrink` alike. Data
    of ordinary size are left as they are, bit for bit. Returns ``(X scaled, unscale)``."""
    hi, lo = (float(X.max()), float(X.min())) if X.size else (0.0, 0.0)  # two passes, no copy
    big = max(abs(hi), abs(lo))
    if not np.isfinite(big):  # NaN or inf (reported later): the largest finite value decides
        with np.errstate(invalid="ignore"):
            big = float(np.nanmax(np.abs(X), initial=0.0, where=np.isfinite(X)))
    if big == 0.0 or 2.0**-100 < big < 2.0**100:
        return X, _as_is
    c = 2.0 ** -int(np.round(np.log2(big)))
    return X * c, partial(_unscale, 1.0 / (c * c))


def _as_is(est: K.Estimate) -> K.Estimate:
    return est


def _unscale(back: float, est: K.Estimate) -> K.Estimate:
    est.cov, est.base, est.target = est.cov * back, _scaled(est.base, back), _scaled(est.target, back)
    return est


def _scaled(x, back: float):
    """``x * back``; for a function making ``x`` on first use, a picklable function making it scaled."""
    if x is None:
        return None
    if callable(x):
        return partial(_made_scaled, x, back)
    return x * back


def _made_scaled(make, back: float):
    return resolve(make) * back
