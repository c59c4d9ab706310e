"""Argument and data checks shared by every riskkit module.

One place for the rules and for the wording of their errors: each error
names the argument, the rule and the offending labels, dates or value.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from riskkit._core.formats import date
from riskkit.exceptions import (
    DuplicateError,
    EmptyDataError,
    InvalidParameterError,
    InvalidTypeError,
    MissingDataError,
    NonFiniteError,
    NonNumericError,
    NonPositivePriceError,
)

_SHOW = 8  # how many offending items an error message lists


def count(n: int, noun: str) -> str:
    """``n`` and ``noun``, plural unless ``n`` is 1.

    >>> count(1, "asset"), count(12, "asset"), count(10_000, "asset")
    ('1 asset', '12 assets', '10,000 assets')
    """
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def format_items(items: Iterable[Any], *, limit: int = _SHOW) -> str:
    """``'a', 'b', 'c'`` with ``... (N more)`` past ``limit`` items."""
    items = list(items)
    shown = ", ".join(_fmt(x) for x in items[:limit])
    if len(items) > limit:
        shown += f", ... ({len(items) - limit} more)"
    return shown


def _fmt(x: Any) -> str:
    """An offending item in a message: a date as ``_core.formats.date`` writes it, else its repr."""
    return date(x) if isinstance(x, pd.Timestamp) else repr(x)


def format_cells(mask: pd.DataFrame, *, limit: int = _SHOW) -> str:
    """List the (asset, date) cells where a boolean frame is True, by asset."""
    parts = []
    for col in mask.columns[mask.any(axis=0).to_numpy()]:
        dates = mask.index[mask[col].to_numpy()]
        parts.append(f"{col!r} on {len(dates)} date(s): {format_items(dates, limit=4)}")
    return "; ".join(parts[:limit]) + (
        f"; ... ({len(parts) - limit} more assets)" if len(parts) > limit else ""
    )


def check_choice(name: str, value: Any, choices: Sequence[Any]) -> Any:
    """Raise unless ``value`` is one of ``choices``; the error lists them."""
    if not isinstance(value, str | int | float | type(None)) or value not in choices:
        raise InvalidParameterError(
            f"{name}={value!r} is not a valid choice; expected one of {format_items(choices, limit=50)}."
        )
    return value


def check_int(name: str, value: Any, *, minimum: int | None = None, allow_none: bool = False) -> Any:
    """An integer (not a bool), at least ``minimum``."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InvalidTypeError(f"{name} must be an integer, got {value!r} ({type(value).__name__}).")
    if minimum is not None and value < minimum:
        raise InvalidParameterError(f"{name} must be >= {minimum}, got {value!r}.")
    return int(value)


def check_real(
    name: str,
    value: Any,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """A finite real number in the interval [low, high] (ends open on request)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidTypeError(f"{name} must be a real number, got {value!r} ({type(value).__name__}).")
    value = float(value)
    if not np.isfinite(value):
        raise InvalidParameterError(f"{name} must be finite, got {value!r}.")
    bad = (low is not None and (value <= low if low_open else value < low)) or (
        high is not None and (value >= high if high_open else value > high)
    )
    if bad:
        left = "(" if low_open else "["
        right = ")" if high_open else "]"
        lo = "-inf" if low is None else f"{low:g}"
        hi = "inf" if high is None else f"{high:g}"
        raise InvalidParameterError(f"{name} must lie in {left}{lo}, {hi}{right}, got {value!r}.")
    return value


def _hint(obj: Any) -> str:
    """What to pass instead of a riskkit object that holds the table asked for."""
    if type(obj).__name__ == "PriceData":
        return "; pass its table, data.prices (e.g. rk.data.to_returns(data.prices))"
    return ""


def check_frame(name: str, obj: Any) -> pd.DataFrame:
    """A pandas DataFrame with at least one row and one column."""
    if not isinstance(obj, pd.DataFrame):
        raise InvalidTypeError(f"{name} must be a pandas DataFrame, got {type(obj).__name__}{_hint(obj)}.")
    if obj.shape[0] == 0 or obj.shape[1] == 0:
        raise EmptyDataError(
            f"{name} is empty (shape {obj.shape}); it needs at least one row and one column."
        )
    return obj


def check_unique_columns(name: str, frame: pd.DataFrame) -> None:
    """Asset names must be unique."""
    dup = frame.columns[frame.columns.duplicated()].unique()
    if len(dup):
        raise DuplicateError(f"{name} has duplicated asset names: {format_items(dup)}.")


def check_numeric(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Every column numeric; strings that are not numbers are named with their dates.

    Returns a float64 copy. Columns of strings holding numbers (``"1.5"``) are
    converted; anything else raises :class:`NonNumericError`.
    """
    X = frame.to_numpy()  # float64 only when every column holds floats or ints (bools, text: object)
    if len(frame.columns) and X.dtype == np.float64:
        return pd.DataFrame(X.copy(), index=frame.index, columns=frame.columns, copy=False)
    out = {}
    problems = []
    for col in frame.columns:
        s = frame[col]
        if pd.api.types.is_bool_dtype(s.dtype):
            problems.append(f"{col!r} is boolean")
            continue
        if pd.api.types.is_numeric_dtype(s.dtype):
            out[col] = s.astype("float64")
            continue
        conv = pd.to_numeric(s, errors="coerce")
        bad = conv.isna() & s.notna()
        if bad.any():
            vals = s[bad]
            shown = ", ".join(f"{_fmt(d)}: {v!r}" for d, v in list(vals.items())[:4])
            more = f" ... ({bad.sum() - 4} more)" if bad.sum() > 4 else ""
            problems.append(f"{col!r} has {int(bad.sum())} non-numeric value(s) ({shown}{more})")
        else:
            out[col] = conv.astype("float64")
    if problems:
        raise NonNumericError(f"{name} must hold numbers only: " + "; ".join(problems) + ".")
    result = pd.DataFrame(out, index=frame.index)
    result.columns = frame.columns
    return result


def check_no_missing(name: str, frame: pd.DataFrame, *, hint: str = "") -> None:
    """No NaN anywhere; the error lists the assets and dates."""
    if not np.isnan(frame.to_numpy(dtype=float)).any():
        return
    mask = frame.isna()
    if mask.to_numpy().any():
        raise MissingDataError(
            f"{name} has {int(mask.to_numpy().sum())} missing value(s): {format_cells(mask)}.{hint}"
        )


def check_no_inf(name: str, frame: pd.DataFrame) -> None:
    """No +/-inf anywhere; the error lists the assets and dates."""
    inf = np.isinf(frame.to_numpy(dtype=float))
    if not inf.any():
        return
    mask = pd.DataFrame(inf, index=frame.index, columns=frame.columns)
    if mask.to_numpy().any():
        raise NonFiniteError(f"{name} has infinite value(s): {format_cells(mask)}.")


def check_min_rows(name: str, frame: pd.DataFrame, minimum: int, *, what: str = "rows") -> None:
    if frame.shape[0] < minimum:
        raise EmptyDataError(f"{name} needs at least {minimum} {what}, got {frame.shape[0]}.")


_PRICE_ROWS = 50  # rows of returns looked at for prices passed instead (a cheap test)
_PRICE_LEVEL = 0.5  # a mean return above 50% a period, never negative: those are prices


def returns_matrix(
    name: str, returns: Any, *, check_finite: bool = True
) -> tuple[np.ndarray, pd.Index, pd.Index]:
    """A float64 (T, N) array from a returns DataFrame (or 2-D array), with its labels.

    Rules: a DataFrame or 2-D array, at least two rows, unique asset names,
    numeric columns only, no missing or infinite values (named by asset and
    date). The check for bad values is one pass (or, with
    ``check_finite=False``, left to the caller, who has a cheaper test at hand:
    see :func:`check_finite_values`). The array may be a view of the input:
    never write to it.
    """
    if isinstance(returns, np.ndarray):
        if returns.ndim != 2:
            raise InvalidTypeError(
                f"{name} must be 2-dimensional (observations x assets), got {returns.ndim} dimensions."
            )
        returns = pd.DataFrame(returns)
    if not isinstance(returns, pd.DataFrame):
        raise InvalidTypeError(
            f"{name} must be a pandas DataFrame of dates x assets, "
            f"got {type(returns).__name__}{_hint(returns)}."
        )
    check_frame(name, returns)
    if not returns.columns.is_unique:
        check_unique_columns(name, returns)
    X = returns.to_numpy(copy=False)
    if X.dtype.kind != "f":  # ints are fine; bools, strings and objects are named
        bad = [
            c
            for c, t in returns.dtypes.items()
            if not pd.api.types.is_numeric_dtype(t) or pd.api.types.is_bool_dtype(t)
        ]
        if bad:
            raise NonNumericError(
                f"{name} must hold numbers only; non-numeric column(s): {format_items(bad)}."
            )
    X = X.astype(np.float64, copy=False)
    if returns.shape[0] < 2:
        raise EmptyDataError(f"{name} needs at least 2 observations, got {returns.shape[0]}.")
    head = X[:_PRICE_ROWS]
    dated = isinstance(returns.index, pd.DatetimeIndex)  # dated returns; an array is any data
    if dated and head.shape[0] >= 2 and bool(np.all(head > 0)) and float(np.mean(head)) > _PRICE_LEVEL:
        import warnings

        from riskkit.exceptions import DataQualityWarning

        # a warning, not an error: levels (yields, spreads) may be meant; prices almost never are
        warnings.warn(
            DataQualityWarning(
                f"{name} look like prices, not returns: the first {head.shape[0]} rows are all positive, "
                f"averaging {float(np.mean(head)):,.4g} a period (returns are fractions: 0.01 for 1%). "
                "Pass rk.data.to_returns(prices)."
            ),
            stacklevel=3,
        )
    if check_finite:
        check_finite_values(name, X, returns.index, returns.columns, bool(np.isfinite(X.sum(axis=0)).all()))
    return X, returns.index, returns.columns


def check_finite_values(name: str, X: np.ndarray, index: pd.Index, columns: pd.Index, cheap_ok: bool) -> None:
    """Raise, naming assets and dates, when ``X`` has NaN or inf.

    ``cheap_ok`` is the outcome of a cheap test (finite column sums or
    means); the full search runs only when it failed.
    """
    if cheap_ok:
        return
    nan = np.isnan(X)
    if nan.any():
        mask = pd.DataFrame(nan, index=index, columns=columns)
        raise MissingDataError(f"{name} has {int(nan.sum())} missing value(s): {format_cells(mask)}.")
    inf = np.isinf(X)
    if inf.any():
        mask = pd.DataFrame(inf, index=index, columns=columns)
        raise NonFiniteError(f"{name} has infinite value(s): {format_cells(mask)}.")
    raise NonFiniteError(f"{name} has values so large that their sums overflow; rescale the data.")


def check_weights(
    name: str, weights: Any, *, allow_zero_sum: bool = False, shares: bool = False
) -> pd.Series:
    """A float Series of finite weights with unique labels and a non-zero sum.

    ``shares``: the values are a portfolio's weights (fractions), and a
    long-only set summing to 100 is refused as percentages."""
    if isinstance(weights, dict):
        weights = pd.Series(weights, dtype=float)
    if not isinstance(weights, pd.Series):
        raise InvalidTypeError(
            f"{name} must be a pandas Series indexed by asset, got {type(weights).__name__}."
        )
    if weights.empty:
        raise EmptyDataError(f"{name} is empty.")
    if weights.index.has_duplicates:
        raise DuplicateError(
            f"{name} has duplicated assets: {format_items(weights.index[weights.index.duplicated()])}."
        )
    if not pd.api.types.is_numeric_dtype(weights.dtype) or pd.api.types.is_bool_dtype(weights.dtype):
        raise NonNumericError(f"{name} must hold numbers, got dtype {weights.dtype}.")
    w = weights.astype(float)
    bad = w.index[~np.isfinite(w.to_numpy())]
    if len(bad):
        raise NonFiniteError(f"{name} has missing or infinite weights for {format_items(bad)}.")
    if shares and 99.0 <= w.sum() <= 101.0 and (w >= 0).all():
        raise InvalidParameterError(
            f"{name} sum to {w.sum():.4g}: they look like percentages; weights are fractions "
            "(0.25 for 25%). Divide them by 100."
        )
    if not allow_zero_sum and abs(w.sum()) <= 1e-12 * max(w.abs().sum(), 1e-300):
        raise InvalidParameterError(
            f"{name} sum to zero ({w.sum():.3g}); percentage contributions are undefined for a "
            "zero-net portfolio. Scale the weights to a non-zero net exposure."
        )
    return w


def check_positive_prices(
    name: str, prices: Any, *, advice: str = "", fixes=None, allow_missing: bool = False
) -> None:
    """The one "prices are positive and finite" rule, for a Series (by date or by
    asset) or a DataFrame (dates x assets): missing values raise
    :class:`~riskkit.exceptions.MissingDataError`, infinite ones
    :class:`~riskkit.exceptions.NonFiniteError`, zero or negative ones
    :class:`~riskkit.exceptions.NonPositivePriceError`; each names the cells.

    ``advice`` ends the message; ``fixes(bad_dates, good_assets)`` (a callable)
    gives the error's machine-readable fixes (for the CLI's ``try:`` lines).
    ``allow_missing=True`` leaves missing values to the caller's own rule (a
    reader that repairs or refuses them next) and checks the prices present.

    >>> check_positive_prices("prices", pd.Series({"BTC": 60000.0, "ETH": -1.0}))
    Traceback (most recent call last):
    ...
    riskkit.exceptions.NonPositivePriceError: prices must be positive; zero or negative for 'ETH'.
    """
    values = np.asarray(prices, dtype=float)
    if values.size == 0 or (values.min() > 0.0 and values.max() < np.inf):  # NaN fails both
        return
    tail = f" {advice}" if advice else ""
    for bad, error, what in (
        (np.zeros(values.shape, bool) if allow_missing else np.isnan(values), MissingDataError, "missing"),
        (np.isinf(values), NonFiniteError, "infinite"),
        (values <= 0.0, NonPositivePriceError, "zero or negative"),
    ):
        if not bad.any():
            continue
        if values.ndim == 1:
            raise error(f"{name} must be positive; {what} for {format_items(prices.index[bad])}.{tail}")
        mask = pd.DataFrame(bad, index=prices.index, columns=prices.columns)
        extra = {}
        if fixes is not None:
            others = [a for a in prices.columns if not bad[:, prices.columns.get_loc(a)].any()]
            extra["fixes"] = fixes(prices.index[bad.any(axis=1)], others)
        raise error(f"{name} must be positive; {what} at {format_cells(mask)}.{tail}", **extra)


def check_weights_sum(name: str, weights: pd.Series, *, total: float = 1.0, tol: float = 1e-9) -> None:
    """The one "weights sum to 1" rule (``total`` for another sum).

    >>> check_weights_sum("target", pd.Series({"BTC": 0.6, "ETH": 0.5}))
    Traceback (most recent call last):
    ...
    riskkit.exceptions.InvalidParameterError: target must sum to 1; it sums to 1.1 (BTC 0.6, ETH 0.5).
    """
    s = float(weights.sum(skipna=False))
    if not abs(s - total) <= tol:  # a missing weight makes the sum NaN, which fails too
        shown = ", ".join(f"{k} {v:.4g}" for k, v in list(weights.items())[:_SHOW])
        more = f", ... ({len(weights) - _SHOW} more)" if len(weights) > _SHOW else ""
        raise InvalidParameterError(f"{name} must sum to {total:g}; it sums to {s:.6g} ({shown}{more}).")


def check_groups(name: str, groups: Any, assets: pd.Index) -> pd.Series:
    """The one "every asset has a group" rule: ``groups`` (a mapping or Series,
    asset -> group) as a Series in the order of ``assets``; the error lists the
    assets left out or given no group.

    >>> check_groups("groups", {"BTC": "L1"}, pd.Index(["BTC", "ETH"]))
    Traceback (most recent call last):
    ...
    riskkit.exceptions.InvalidParameterError: groups leave out assets: 'ETH'; give every asset a group.
    """
    g = groups if isinstance(groups, pd.Series) else pd.Series(groups, dtype=object)
    missing = assets.difference(g.index, sort=False)
    if len(missing):
        raise InvalidParameterError(
            f"{name} leave out assets: {format_items(missing)}; give every asset a group."
        )
    g = g.reindex(assets)
    if g.isna().any():
        raise InvalidParameterError(f"{name} has no group for {format_items(g.index[g.isna().to_numpy()])}.")
    return g


def check_same_assets(left_name: str, left: pd.Index, right_name: str, right: pd.Index) -> None:
    """Two label sets must match exactly (order may differ); the error lists the mismatch."""
    if left.equals(right):
        return
    missing = right.difference(left, sort=False)
    extra = left.difference(right, sort=False)
    if len(missing) or len(extra):
        raise InvalidParameterError(
            f"{left_name} and {right_name} must cover the same assets; "
            f"in {right_name} only: {format_items(missing) or 'none'}; "
            f"in {left_name} only: {format_items(extra) or 'none'}."
        )


def check_covariance(
    name: str,
    cov: Any,
    *,
    repair: str | None = None,
    lapack: str = "numpy",
    nonsingular: str | None = None,
) -> pd.DataFrame:
    """A labelled, symmetric, finite, positive semi-definite covariance (float copy).

    ``repair="clip"`` sets negative eigenvalues to zero instead of raising.
    ``nonsingular``: the name of a computation that needs a non-singular
    covariance; the covariance must then be positive definite beyond rounding
    (every pivot of the Cholesky factorisation of its correlation matrix, the
    share of an asset's variance not explained by the assets before it, above
    :data:`SINGULAR_RTOL`), else :class:`SingularCovarianceError` names the
    smallest eigenvalue and the assets of its eigenvector.
    ``lapack``: whose LAPACK runs the PSD test (a Cholesky factorisation), numpy's
    or scipy's. They ship separate OpenBLAS builds, and on a small machine one
    pool's threads, still spinning after a call, slow the other's calls several
    times over: callers whose own linear algebra is scipy's pass ``"scipy"``.
    """
    if not isinstance(cov, pd.DataFrame):
        raise InvalidTypeError(f"{name} must be a labelled pandas DataFrame, got {type(cov).__name__}.")
    if cov.shape[0] != cov.shape[1] or cov.shape[0] == 0:
        raise InvalidParameterError(f"{name} must be square and non-empty, got shape {cov.shape}.")
    check_same_assets(f"{name} columns", cov.columns, f"{name} index", cov.index)
    if not cov.columns.equals(cov.index):
        raise InvalidParameterError(f"{name} must list its assets in the same order on both axes.")
    a = cov.to_numpy(dtype=float) if (cov.dtypes == np.float64).all() else check_numeric(name, cov).to_numpy()
    with np.errstate(invalid="ignore"):  # inf - inf: reported below
        work = np.subtract(a, a.T)  # one scratch buffer serves the checks and the Cholesky trial
    np.abs(work, out=work)
    asym = float(work.max())  # NaN when any entry is NaN or infinite (inf - inf on the diagonal)
    if not np.isfinite(asym):
        bad = cov.index[~np.isfinite(a).all(axis=1)]
        raise NonFiniteError(f"{name} has missing or infinite entries in the rows of {format_items(bad)}.")
    scale = float(np.max(np.abs(np.diag(a)))) or 1.0
    if asym > 1e-10 * scale:
        raise InvalidParameterError(f"{name} is not symmetric (largest |C - C'| = {asym:.3g}).")
    a = np.add(a, a.T)  # (C + C') / 2: exactly symmetric, and a new array (the input is never modified)
    a *= 0.5
    n = a.shape[0]
    if nonsingular is not None and _positive_definite(a, work, lapack):
        return pd.DataFrame(a, index=cov.index, columns=cov.columns, copy=False)  # PD, hence PSD
    np.copyto(work, a)
    work.flat[:: n + 1] += 1e-12 * max(np.trace(a) / n, 1e-300)
    ok = _cholesky_ok(work, lapack)  # Cholesky of C + 1e-12 mean(diag) I succeeds: PSD
    del work
    if not ok:
        ev, vec = np.linalg.eigh(a)
        if repair == "clip":
            a = (vec * np.clip(ev, 0.0, None)) @ vec.T
            a = (a + a.T) / 2.0
        else:
            raise InvalidParameterError(
                f"{name} is not positive semi-definite "
                f"(smallest eigenvalue {ev[0]:.3g}, largest {ev[-1]:.3g}); "
                "pass repair='clip' to set the negative eigenvalues to zero."
            )
    if nonsingular is not None and not _positive_definite(a, np.empty_like(a), lapack):
        raise singular_error(name, a, cov.index, nonsingular)
    return pd.DataFrame(a, index=cov.index, columns=cov.columns, copy=False)


def positive_volatilities(name: str, cov: pd.DataFrame, what: str) -> np.ndarray:
    """The square roots of a checked covariance's diagonal, all positive, else a
    :class:`SingularCovarianceError` naming the zero-variance assets."""
    from riskkit.exceptions import SingularCovarianceError

    var = np.diag(cov.to_numpy())
    bad = ~(var > 0)
    if bad.any():
        raise SingularCovarianceError(
            f"{name} has zero variance for {format_items(cov.index[bad])}; {what} needs every "
            "asset's variance positive. Drop those assets.",
            0.0,
        )
    return np.sqrt(var)


SINGULAR_RTOL = 1e-12
"""A pivot of the correlation matrix's Cholesky factorisation at or below this
(an asset explained by the others to within 1e-12 of its variance) counts as singular."""


def _cholesky_ok(work: np.ndarray, lapack: str) -> bool:
    """Whether ``work`` (overwritten) has a Cholesky factorisation."""
    if lapack == "scipy":
        from scipy.linalg import lapack as scipy_lapack

        return scipy_lapack.dpotrf(work, lower=1, clean=0, overwrite_a=1)[1] == 0
    try:
        np.linalg.cholesky(work)
    except np.linalg.LinAlgError:
        return False
    return True


def _positive_definite(a: np.ndarray, work: np.ndarray, lapack: str) -> bool:
    """Positive definite beyond rounding: the correlation matrix's Cholesky pivots exceed
    :data:`SINGULAR_RTOL` (``work`` is scratch space of a's shape)."""
    d = np.diag(a)
    if not (d > 0).all():
        return False
    r = 1.0 / np.sqrt(d)
    np.multiply(a, r[:, None], out=work)
    work *= r[None, :]
    if lapack == "scipy":
        from scipy.linalg import lapack as scipy_lapack

        L, info = scipy_lapack.dpotrf(work, lower=1, clean=0, overwrite_a=1)
        if info != 0:
            return False
        pivots = np.diag(L)
    else:
        try:
            pivots = np.diag(np.linalg.cholesky(work))
        except np.linalg.LinAlgError:
            return False
    return bool(np.min(pivots) ** 2 > SINGULAR_RTOL)


def singular_error(name: str, a: np.ndarray, labels: pd.Index, what: str):
    """The :class:`SingularCovarianceError` for a PSD but (numerically) singular ``a``."""
    from riskkit.exceptions import SingularCovarianceError

    d = np.diag(a)
    zero = labels[~(d > 0)]
    if len(zero):
        return SingularCovarianceError(
            f"{name} is singular: zero variance for {format_items(zero)}; {what} needs a non-singular "
            "covariance. Drop those assets.",
            0.0,
        )
    r = 1.0 / np.sqrt(d)
    ev, vec = np.linalg.eigh(a * r[:, None] * r[None, :])
    ev_cov = np.linalg.eigvalsh(a)
    v = np.abs(vec[:, 0])
    involved = labels[np.argsort(-v, kind="stable")[: min(4, len(v))]]
    return SingularCovarianceError(
        f"{name} is singular or nearly so (smallest eigenvalue {ev_cov[0]:.3g}, largest {ev_cov[-1]:.3g}; "
        f"smallest of the correlation matrix {ev[0]:.3g}); {what} needs a non-singular covariance. "
        f"The assets most involved in the near-exact linear combination: {format_items(involved)}. "
        "Use a shrinkage estimate (rk.shrinkage.shrink), or add idiosyncratic variance to a factor model.",
        float(ev_cov[0]),
    )
