"""Which dates each asset covers, and the explicit choices about the rest (private;
see riskkit.data.read_prices).

Missing prices come in two kinds. Before an asset's first price or after its
last (staggered histories: a younger stock, a delisted coin) nothing can be
filled or dropped honestly: ``missing="drop"`` would keep only the youngest
asset's history, forward-filling would invent years of prices. Those are an
error that lists each asset's dates and offers ``align="common"`` (the
window every asset covers), ``start=`` or ``assets=``. Gaps inside an
asset's history are filled (``missing="ffill"``, at most ``ffill_limit``
periods in a row) or their dates dropped (``missing="drop"``) on request.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from riskkit._core.validation import _fmt, format_cells, format_items
from riskkit.exceptions import EmptyDataError, MissingDataError

DEFAULT_FFILL_LIMIT = 5  # one business week; a longer gap is an outage, not a missing quote


def coverage(prices: pd.DataFrame) -> pd.DataFrame:
    """One row per asset: first and last date with a price, prices, and missing values
    between them (gaps)."""
    rows = {}
    for a in prices.columns:
        s = prices[a]
        obs = s.index[s.notna().to_numpy()]
        first, last = (obs[0], obs[-1]) if len(obs) else (pd.NaT, pd.NaT)
        inside = s.loc[first:last] if len(obs) else s.iloc[:0]
        rows[a] = {"first": first, "last": last, "prices": len(obs), "gaps": int(inside.isna().sum())}
    out = pd.DataFrame.from_dict(rows, orient="index", columns=["first", "last", "prices", "gaps"])
    out.index.name = "asset"
    return out


def histories(cov: pd.DataFrame) -> str:
    """``'AAPL' from 2000-03-01 to 2013-03-01; ...`` for every asset."""
    return "; ".join(
        f"{a!r} from {_fmt(r['first'])} to {_fmt(r['last'])}" if pd.notna(r["first"]) else f"{a!r} no prices"
        for a, r in cov.iterrows()
    )


def _outside(prices: pd.DataFrame, cov: pd.DataFrame) -> pd.DataFrame:
    """True before each asset's first price and after its last."""
    idx = prices.index
    first = cov["first"].reindex(prices.columns).to_numpy()
    last = cov["last"].reindex(prices.columns).to_numpy()
    before = idx.to_numpy()[:, None] < first[None, :]
    after = idx.to_numpy()[:, None] > last[None, :]
    none = pd.isna(first)[None, :]
    return pd.DataFrame(before | after | none, index=idx, columns=prices.columns)


def check_staggered(name: str, prices: pd.DataFrame, cov: pd.DataFrame, *, missing: str) -> None:
    """Raise when some asset starts after the table's first date or ends before its last."""
    outside = _outside(prices, cov)
    if not outside.to_numpy().any():
        return
    if cov["first"].isna().any():
        empty = list(cov.index[cov["first"].isna()])
        keep = [a for a in prices.columns if a not in empty]
        raise EmptyDataError(
            f"{name}: no prices at all for {format_items(empty)} in the dates read. "
            "Leave them out with assets=.",
            fixes=[{"assets": keep}] if keep else [],
        )
    common_first, common_last = cov["first"].max(), cov["last"].min()
    full = [a for a in prices.columns if not outside[a].any()]
    fixes = []
    if common_first < common_last:
        fixes.append({"align": "common"})
        fixes.append(
            {"start": _fmt(common_first), "end": _fmt(common_last)}
            if common_last < prices.index[-1]
            else {"start": _fmt(common_first)}
        )
    if full:
        fixes.append({"assets": full})
    common = (
        f"The window every asset covers is {_fmt(common_first)} to {_fmt(common_last)}: pass align='common' "
        "to use it (logged), or cut with start=/end=, or choose assets= "
        if common_first < common_last
        else "No window is covered by every asset: choose assets= "
    )
    drop = " (missing='drop' would keep only the youngest asset's history)" if missing == "drop" else ""
    raise MissingDataError(
        f"{name} has staggered histories: {histories(cov)}. Prices are missing before an asset's first price "
        f"or after its last: {format_cells(outside)}. They cannot be filled or dropped honestly{drop}. "
        f"{common}{'(full histories: ' + format_items(full) + ').' if full else '.'}",
        fixes=fixes,
    )


def align_common(prices: pd.DataFrame, cov: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    lo, hi = cov["first"].max(), cov["last"].min()
    if not lo < hi:
        raise MissingDataError(
            f"align='common': no window is covered by every asset ({histories(cov)}); choose assets=."
        )
    out = prices.loc[lo:hi]
    text = (
        f"align='common': the window every asset covers, {_fmt(lo)} to {_fmt(hi)}; "
        f"{len(prices) - len(out)} of {len(prices)} dates left out"
    )
    return out, text


def gap_runs(prices: pd.DataFrame) -> pd.DataFrame:
    """Length of the run of missing values each missing cell belongs to (0 elsewhere)."""
    na = prices.isna().to_numpy()
    runs = np.zeros(na.shape, dtype=int)
    for j in range(na.shape[1]):
        edges = np.diff(np.r_[0, na[:, j].astype(np.int8), 0])
        for a, b in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True):
            runs[a:b, j] = b - a
    return pd.DataFrame(runs, index=prices.index, columns=prices.columns)


def _read_fixes(longest: int) -> list:
    return [{"missing": "ffill", "ffill_limit": longest}, {"missing": "drop"}]


def repair(
    name: str,
    prices: pd.DataFrame,
    *,
    method: str,
    limit: int | None,
    limit_name: str = "limit",
    drop: str = "method='drop'",
    cut: str = "",
    read_fixes: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The one explicit repair of missing prices, behind ``read(missing=)``,
    :func:`~riskkit.data.repair_missing` and ``align_prices(missing="ffill")``.

    ``method="ffill"``: each run of consecutive missing values of an asset at
    most ``limit`` periods long (any length when ``limit`` is None) takes the
    last price before it. A run longer than ``limit`` is refused whole, never
    filled for its first ``limit`` periods and left missing after: a partial
    fill would hide an outage behind a stale price and still leave a hole.
    Values before an asset's first price cannot be filled either. Both raise
    :class:`MissingDataError` naming the cells. ``method="drop"``: every date on
    which any asset is missing is removed.

    ``limit_name``, ``drop`` and ``cut`` say, in the error, how the caller's own
    options are spelt (``ffill_limit`` and ``missing='drop'`` for read);
    ``read_fixes`` gives the error read's machine-readable fixes (the CLI's ``try:``).

    Returns the repaired prices (a new frame) and the log (date, asset, action).
    """
    mask = prices.isna()
    rows = [(d, a) for a in prices.columns for d in prices.index[mask[a].to_numpy()]]
    if method == "ffill":
        out = _forward_fill(name, prices, limit, (limit_name, drop, cut), read_fixes)
        action = "forward-filled"
    else:
        out = prices.loc[~mask.any(axis=1).to_numpy()].copy()
        action = "row dropped"
    log = pd.DataFrame(rows, columns=["date", "asset"])
    log["action"] = action
    log = log.sort_values(["date", "asset"], kind="stable").reset_index(drop=True)
    return out, log


def _forward_fill(
    name: str, prices: pd.DataFrame, limit: int | None, words: tuple[str, str, str], read_fixes: bool
) -> pd.DataFrame:
    """Forward-fill every gap, or raise when one cannot be filled whole (see :func:`repair`)."""
    limit_name, drop, cut = words
    na = prices.isna().to_numpy()
    leading = np.logical_and.accumulate(na, axis=0)  # before the asset's first price
    if leading.any():
        raise MissingDataError(
            f"{name} has missing values that forward-fill cannot repair (before an asset's first price): "
            f"{format_cells(pd.DataFrame(leading, index=prices.index, columns=prices.columns))}. "
            f"Trim the dates{cut} or use {drop}."
        )
    if limit is not None:
        runs = gap_runs(prices)
        too_long = runs > limit
        if too_long.to_numpy().any():
            longest = int(runs.to_numpy().max())
            raise MissingDataError(
                f"{name} has gaps longer than {limit_name}={limit} periods, which forward-fill "
                f"does not repair: {format_cells(too_long)}. Raise {limit_name} to {longest}, use "
                f"{drop}, or cut the dates away{cut}.",
                fixes=[{"missing": "ffill", "ffill_limit": longest}, {"missing": "drop"}]
                if read_fixes
                else (),
            )
    return prices.ffill()


def _weekday_assets(prices: pd.DataFrame, mask: pd.DataFrame) -> list:
    """The assets without prices on (nearly) every weekend, beside others priced on weekends: an
    exchange-traded asset in a file of 24/7 ones (its holidays may be missing too); else empty."""
    if not isinstance(prices.index, pd.DatetimeIndex):
        return []
    weekend = prices.index.dayofweek >= 5
    if weekend.sum() < 2:
        return []
    share = mask.to_numpy()[weekend].mean(axis=0)  # of the weekend dates, the share each asset misses
    weekdays, daily = share >= 0.9, share <= 0.1
    return list(prices.columns[weekdays]) if weekdays.any() and daily.any() else []


def fill_or_drop(name: str, prices: pd.DataFrame, *, missing: str, ffill_limit: int | None):
    """Gaps inside histories (read's ``missing=``): an error, or :func:`repair`
    with at most ``ffill_limit`` (default :data:`DEFAULT_FFILL_LIMIT`) periods
    filled in a row. Returns the prices and the repair log (date, asset, action)."""
    mask = prices.isna()
    if not mask.to_numpy().any():
        return prices, pd.DataFrame(columns=["date", "asset", "action"])
    if missing == "raise":
        longest = int(gap_runs(prices).to_numpy().max())
        fixes = [{"missing": "ffill", "ffill_limit": max(longest, 1)}, {"missing": "drop"}]
        weekdays = _weekday_assets(prices, mask)
        calendars = ""
        if weekdays:
            fixes.reverse()  # the dates every asset trades: each return a real one, none a flat weekend
            calendars = (
                f" Nearly every weekend is missing: {format_items(weekdays)} "
                f"{'trades' if len(weekdays) == 1 else 'trade'} on weekdays, the others every day. "
                "missing='drop' keeps the weekdays (a business-day calendar; the 24/7 assets' weekend "
                "moves fall into Monday's return), missing='ffill' keeps every day (the weekday assets "
                "flat at weekends, which dilutes their correlations)."
            )
        raise MissingDataError(
            f"{name} has {int(mask.to_numpy().sum())} missing value(s) inside the assets' histories: "
            f"{format_cells(mask)}.{calendars} Pass missing='ffill' (at most ffill_limit periods in a row, "
            f"default {DEFAULT_FFILL_LIMIT}; the longest gap here is {longest}) or missing='drop' "
            "to repair explicitly.",
            fixes=fixes,
        )
    return repair(
        name,
        prices,
        method=missing,
        limit=DEFAULT_FFILL_LIMIT if ffill_limit is None else ffill_limit,
        limit_name="ffill_limit",
        drop="missing='drop'",
        cut=" with start=/end=",
        read_fixes=True,
    )


def count_by_asset(log: pd.DataFrame) -> str:
    counts = log.groupby("asset", sort=False).size()
    return ", ".join(f"{a} {n}" for a, n in counts.items())
