"""Price data in: read, validate, repair on request, check, and turn into returns.

Contents
--------
read             CSV / Parquet / folder / DataFrame -> PriceData (prices, quality flags, log)
read_prices      the same, returning the prices only (warnings say what was repaired or flagged)
load, load_prices  a bundled dataset by name, or a price file (for report parameters)
PriceData        prices with their flags, coverage and the log of every choice
quality          quality flags by asset and date: splits, bad ticks, outliers, stale runs, gaps
adjust_splits    explicit split adjustment, with a log
check_prices     validate a wide price DataFrame already in memory
repair_missing   explicit forward-fill or row drop, with a log of every change
price_summary    one row per asset: coverage, stale runs, largest moves
quality_notes    the summary's warnings in words (stale runs, extreme moves, missing values)
to_returns       simple or log returns from prices
to_prices        the inverse: a price path from returns

Calendars (periods per year, resampling, aligning a 24/7 series with a
business-day one) are in :mod:`riskkit.calendar`.

Prices are a float64 DataFrame: a ``DatetimeIndex`` named ``date`` (naive
timestamps in UTC, sorted, unique) and one column per asset. Nothing is filled,
dropped or clipped unless an option asks for it, and then the result's log
(and, from :func:`read_prices`, a :class:`~riskkit.exceptions.DataRepairWarning`)
lists what changed. Errors about data carry ``fixes``: the keyword arguments
that settle them (``err.fix == {"align": "common"}``).

Which findings are errors and which are flags:

=============================================  ========================================
refused (an error naming assets and dates)     zero or negative prices; one date twice
                                               with different prices; missing prices
                                               unless ``missing=`` chooses a repair;
                                               staggered histories unless ``align=
                                               "common"``, ``start=``/``end=`` or
                                               ``assets=`` chooses a window
flagged (``PriceData.flags``; kept as is)       split-like moves, bad ticks, outliers,
                                               stale runs, calendar gaps, one date twice
                                               with the same prices (kept once)
=============================================  ========================================
"""

from __future__ import annotations

from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from riskkit import _quality
from riskkit._catalog import data_dir, info, names
from riskkit._coverage import (
    DEFAULT_FFILL_LIMIT,
    align_common,
    check_staggered,
    coverage,
    fill_or_drop,
)
from riskkit._narrow import cut_fixes, narrow
from riskkit._price_data import PriceData, log_table
from riskkit._read import LAYOUTS, source_name
from riskkit._read import read as read_table
from riskkit._validation import (
    check_choice,
    check_frame,
    check_int,
    check_min_rows,
    check_no_inf,
    check_no_missing,
    check_numeric,
    check_real,
    check_unique_columns,
    format_cells,
    format_items,
)
from riskkit.exceptions import (
    CalendarError,
    DuplicateError,
    InvalidParameterError,
    InvalidTypeError,
    MissingDataError,
    NonPositivePriceError,
)

__all__ = [
    "DEFAULT_FFILL_LIMIT",
    "PriceData",
    "RepairResult",
    "adjust_splits",
    "check_prices",
    "load",
    "load_prices",
    "price_summary",
    "quality",
    "quality_notes",
    "read",
    "read_prices",
    "repair_missing",
    "to_prices",
    "to_returns",
]

Layout = Literal["auto", "wide", "long", "folder", "exchange"]
Missing = Literal["raise", "ffill", "drop"]
ReturnKind = Literal["simple", "log"]

_MISSING_HINT = (
    f" Pass missing='ffill' (with ffill_limit, default {DEFAULT_FFILL_LIMIT}) or missing='drop' to repair explicitly."
)
# Thresholds of the flags read() computes; rk.data.quality(prices, ...) recomputes with others.
STALE_PERIODS, OUTLIER_Z, SPLIT_TOLERANCE = 5, 8.0, 0.1


@dataclass(frozen=True)
class RepairResult:
    """Prices after an explicit repair and the log of what changed.

    Attributes
    ----------
    prices : DataFrame
        The repaired prices.
    log : DataFrame
        One row per changed cell or dropped row: columns ``date``, ``asset``,
        ``action`` (``"forward-filled"`` or ``"row dropped"``).
    """

    prices: pd.DataFrame
    log: pd.DataFrame

    def summary(self) -> pd.DataFrame:
        """Number of changes per asset and action."""
        if self.log.empty:
            return pd.DataFrame(columns=["asset", "action", "count"])
        return self.log.groupby(["asset", "action"]).size().rename("count").reset_index()


def read(
    source: str | PathLike | pd.DataFrame,
    /,
    *,
    layout: Layout = "auto",
    date: str | None = None,
    asset: str | None = None,
    price: str | None = None,
    assets: list[str] | None = None,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    missing: Missing = "raise",
    ffill_limit: int | None = None,
    align: Literal["common"] | None = None,
    adjust_splits: bool = False,
) -> PriceData:
    """Read prices from a file, a folder or a DataFrame, choose, check, and say what was done.

    Steps, in order: read and recognise the layout; keep ``assets`` and the
    dates from ``start`` to ``end`` (before any value is checked, so a bad
    region or asset can be cut away); numbers and duplicated timestamps; zero
    or negative prices; staggered histories (``align``); gaps (``missing``);
    split adjustment (``adjust_splits``); quality flags.

    Parameters
    ----------
    source : path or DataFrame
        A ``.csv`` (also ``.csv.gz`` ...) or ``.parquet`` file, a folder of
        such files (one per asset), or a DataFrame. Pickles are refused.
    layout : {"auto", "wide", "long", "folder", "exchange"}, default="auto"
        ``"wide"``: a date column (or DatetimeIndex) and one column per asset.
        ``"long"``: one row per date and asset, with date, asset and price
        columns. ``"exchange"``: one asset's export (OHLCV, CCXT, Binance
        klines, also without header), the asset named after the file.
        ``"folder"``: one such file per asset, named after the file.
        ``"auto"`` recognises them from the column names (any case): dates in
        Date/Datetime/Timestamp/Time/Open time; assets in
        Ticker/Symbol/Asset/Coin/Pair; prices in Adj Close (preferred, and
        logged) or Close or Price. When unsure it raises
        :class:`~riskkit.exceptions.LayoutError` saying what it saw and which
        argument settles it. Numeric dates are Unix epoch times in s, ms, us
        or ns, the unit read from their magnitude (and logged).
    date, asset, price : str, optional
        Column names (any case) when they are not recognised.
    assets : list of str, optional
        Assets to keep, in this order; names not in the data are an error
        listing them.
    start, end : str or Timestamp, optional
        First and last date kept (a day given as ``"YYYY-MM-DD"`` for ``end``
        includes that whole day).
    missing : {"raise", "ffill", "drop"}, default="raise"
        Gaps inside an asset's history: an error; carried forward from the
        last price (at most ``ffill_limit`` periods in a row); or the dates
        dropped for every asset. Either repair is logged cell by cell.
        Prices before an asset's first or after its last are not gaps: see
        ``align``.
    ffill_limit : int, optional
        Longest run of periods ``missing="ffill"`` may fill; default
        ``DEFAULT_FFILL_LIMIT`` = 5 (a business week: a longer gap is an
        outage, and filling it hides its volatility).
    align : {None, "common"}, default=None
        Staggered histories (assets starting late or ending early) are an
        error whose message lists each asset's dates. ``"common"`` keeps the
        window every asset covers (logged).
    adjust_splits : bool, default=False
        Divide each asset's prices before a detected split (a split flag) by
        its factor; logged with asset, date and factor.

    Returns
    -------
    PriceData
        ``prices`` (float64, ``DatetimeIndex`` named ``date``, naive UTC,
        sorted, unique; columns named ``asset``), ``flags``, ``log``,
        ``coverage``; ``summary()`` and ``notes()`` for a report. Nothing is
        warned: everything is in the result.

    Raises
    ------
    LayoutError, EmptyDataError, DuplicateError, NonNumericError, NonFiniteError,
    NonPositivePriceError, MissingDataError, CalendarError, InvalidParameterError
        Each naming the assets and dates at fault; ``err.fixes`` lists the
        keyword arguments that settle it.

    Examples
    --------
    >>> import pandas as pd, riskkit as rk
    >>> raw = pd.DataFrame({"Date": ["2024-01-02", "2024-01-03", "2024-01-02", "2024-01-03"],
    ...                     "Ticker": ["A", "A", "B", "B"], "Close": [10.0, 11.0, 20.0, 10.2]})
    >>> data = rk.data.read(raw)
    >>> data.prices
    asset          A     B
    date
    2024-01-02  10.0  20.0
    2024-01-03  11.0  10.2
    >>> data.flags[["asset", "date", "flag", "value"]]
      asset       date   flag  value
    0     B 2024-01-03  split    2.0
    >>> rk.data.read(raw, adjust_splits=True).prices["B"].tolist()
    [10.0, 10.2]
    """
    options = _options(layout, date, asset, price, assets, start, end, missing, ffill_limit, align, adjust_splits)
    return _read(source, source_name(source), options)


def read_prices(
    source: str | PathLike | pd.DataFrame,
    /,
    *,
    layout: Layout = "auto",
    date: str | None = None,
    asset: str | None = None,
    price: str | None = None,
    assets: list[str] | None = None,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    missing: Missing = "raise",
    ffill_limit: int | None = None,
    align: Literal["common"] | None = None,
    adjust_splits: bool = False,
) -> pd.DataFrame:
    """Read and validate prices: :func:`read` returning the prices only.

    What :func:`read` logs is told by warnings instead: a
    :class:`~riskkit.exceptions.DataRepairWarning` when prices were changed
    (``.log`` lists each change), a :class:`~riskkit.exceptions.DataQualityWarning`
    for split-like moves and bad ticks kept as they are (``.flags``). The
    parameters are those of :func:`read`.

    Returns
    -------
    prices : DataFrame of shape (n_dates, n_assets)
        float64 prices, ``DatetimeIndex`` named ``date`` (naive UTC, sorted),
        columns named ``asset``. Time zones are converted to UTC.

    Examples
    --------
    >>> import pandas as pd, riskkit as rk
    >>> raw = pd.DataFrame({"date": ["2024-01-02", "2024-01-01"], "BTC": [43000.0, 42000.0]})
    >>> rk.data.read_prices(raw)
    asset           BTC
    date
    2024-01-01  42000.0
    2024-01-02  43000.0
    """
    options = _options(layout, date, asset, price, assets, start, end, missing, ffill_limit, align, adjust_splits)
    result = _read(source, source_name(source), options)
    result.warn(stacklevel=2)
    return result.prices


def load(
    source: str | PathLike,
    /,
    *,
    layout: Layout = "auto",
    date: str | None = None,
    asset: str | None = None,
    price: str | None = None,
    assets: list[str] | None = None,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    missing: Missing = "raise",
    ffill_limit: int | None = None,
    align: Literal["common"] | None = None,
    adjust_splits: bool = False,
) -> PriceData:
    """:func:`read` on a bundled dataset named ``source`` (``riskkit datasets`` lists
    them) or on the file or folder at ``source``.

    The choosing options (``assets``, ``start``, ``end``, ``missing``,
    ``ffill_limit``, ``align``, ``adjust_splits``) apply to datasets too; the
    format options (``layout``, ``date``, ``asset``, ``price``) to files only.
    """
    options = _options(layout, date, asset, price, assets, start, end, missing, ffill_limit, align, adjust_splits)
    path, name = _resolve(source, options)
    return _read(path, name, options)


def load_prices(
    source: str | PathLike,
    /,
    *,
    layout: Layout = "auto",
    date: str | None = None,
    asset: str | None = None,
    price: str | None = None,
    assets: list[str] | None = None,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    missing: Missing = "raise",
    ffill_limit: int | None = None,
    align: Literal["common"] | None = None,
    adjust_splits: bool = False,
) -> pd.DataFrame:
    """:func:`load` returning the prices only, with the warnings of :func:`read_prices`."""
    options = _options(layout, date, asset, price, assets, start, end, missing, ffill_limit, align, adjust_splits)
    path, name = _resolve(source, options)
    result = _read(path, name, options)
    result.warn(flags=path == source, stacklevel=2)  # a bundled dataset's flags were reviewed (datasets.load)
    return result.prices


def check_prices(
    prices: pd.DataFrame,
    /,
    *,
    name: str = "prices",
    min_rows: int = 2,
) -> pd.DataFrame:
    """Validate a wide price DataFrame and return it as float64 (a copy).

    The rules of :func:`read_prices`, without reading or repairing: a
    DatetimeIndex that is sorted and unique, unique asset names, numbers only,
    no missing or infinite values, all prices positive, at least ``min_rows``
    rows. Errors name the argument (``name``), the assets and the dates.
    """
    check_frame(name, prices)
    _check_index(name, prices.index)
    check_unique_columns(name, prices)
    values = check_numeric(name, prices)
    check_no_inf(name, values)
    check_no_missing(name, values, hint=_MISSING_HINT)
    _check_positive(name, values)
    check_min_rows(name, values, min_rows)
    return values


def repair_missing(
    prices: pd.DataFrame,
    /,
    *,
    method: Literal["ffill", "drop"],
    limit: int | None = None,
    name: str = "prices",
) -> RepairResult:
    """Repair missing prices explicitly and log every change.

    Parameters
    ----------
    prices : DataFrame of shape (n_dates, n_assets)
    method : {"ffill", "drop"}
        ``"ffill"`` carries the last observed price forward (a stale price:
        zero return on the filled dates, the move lands on the next observed
        date). ``"drop"`` removes every date on which any asset is missing.
    limit : int, optional
        With ``"ffill"``, the longest run of missing values that may be
        filled. Longer gaps, and values before an asset's first price, stay
        missing and raise :class:`MissingDataError`.
    name : str, default="prices"
        How errors refer to the table.

    Returns
    -------
    RepairResult
        ``prices`` (a new frame) and ``log`` (date, asset, action).
    """
    check_choice("method", method, ("ffill", "drop"))
    check_int("limit", limit, minimum=1, allow_none=True)
    if limit is not None and method != "ffill":
        raise InvalidParameterError("limit applies to method='ffill' only.")
    mask = prices.isna()
    rows = [(d, a) for a in prices.columns for d in prices.index[mask[a].to_numpy()]]
    if method == "ffill":
        repaired = prices.ffill(limit=limit)
        still = repaired.isna()
        if still.to_numpy().any():
            raise MissingDataError(
                f"{name} has missing values that forward-fill cannot repair "
                f"(before an asset's first price, or gaps longer than limit={limit}): "
                f"{format_cells(still)}. Trim the dates, use method='drop', or raise the limit."
            )
        action = "forward-filled"
    else:
        keep = ~mask.any(axis=1).to_numpy()
        repaired = prices.loc[keep].copy()
        action = "row dropped"
    log = pd.DataFrame(rows, columns=["date", "asset"])
    log["action"] = action
    log = log.sort_values(["date", "asset"], kind="stable").reset_index(drop=True)
    return RepairResult(prices=repaired, log=log)


def price_summary(prices: pd.DataFrame, /) -> pd.DataFrame:
    """One row per asset: first/last date, observations, missing values,
    the longest run of unchanged prices, and the largest one-period move.

    Works on prices with missing values (it is meant for data-quality notes),
    but the other rules of :func:`check_prices` apply.
    """
    check_frame("prices", prices)
    _check_index("prices", prices.index)
    values = check_numeric("prices", prices)
    rows = {}
    for col in values.columns:
        s = values[col]
        obs = s.dropna()
        rets = obs.pct_change().iloc[1:]
        unchanged = (obs.diff() == 0).to_numpy()
        longest = _longest_run(unchanged)
        big = rets.abs().idxmax() if len(rets) else pd.NaT
        rows[col] = {
            "first": obs.index[0] if len(obs) else pd.NaT,
            "last": obs.index[-1] if len(obs) else pd.NaT,
            "observations": int(obs.size),
            "missing": int(s.isna().sum()),
            "longest_stale_run": int(longest),
            "largest_move": float(rets.loc[big]) if len(rets) else np.nan,
            "largest_move_date": big,
        }
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "asset"
    return out


def quality_notes(prices: pd.DataFrame, /, *, stale_run: int = 5, large_move: float = 0.5) -> list[str]:
    """Data-quality warnings in words, from :func:`price_summary`: missing values,
    runs of more than ``stale_run`` unchanged prices, one-period moves beyond
    ``large_move`` (absolute), assets starting late or ending early. Empty when
    nothing stands out. Nothing is repaired."""
    stale_run = check_int("stale_run", stale_run, minimum=1)
    large_move = check_real("large_move", large_move, low=0.0, low_open=True)
    summary = price_summary(prices)
    notes = []
    for asset, r in summary.iterrows():
        if r["missing"]:
            notes.append(f"{asset}: {r['missing']} missing prices.")
        if r["longest_stale_run"] > stale_run:
            notes.append(f"{asset}: {r['longest_stale_run']} consecutive unchanged prices (stale quotes?).")
        if abs(r["largest_move"]) > large_move:
            day = _fmt_date(r["largest_move_date"])
            notes.append(f"{asset}: a one-period move of {r['largest_move']:+.0%} on {day}.")
        if r["first"] > prices.index[0] or r["last"] < prices.index[-1]:
            notes.append(f"{asset}: prices only from {_fmt_date(r['first'])} to {_fmt_date(r['last'])}.")
    return notes


def _fmt_date(ts) -> str:
    return ts.strftime("%Y-%m-%d") if ts.hour == 0 and ts.minute == 0 else ts.isoformat()


def to_returns(prices: pd.DataFrame, /, *, kind: ReturnKind = "simple") -> pd.DataFrame:
    """Period returns from prices; the first date is dropped.

    ``"simple"``: :math:`r_t = P_t / P_{t-1} - 1`; ``"log"``:
    :math:`r_t = \\ln(P_t / P_{t-1})`. Prices are validated first
    (:func:`check_prices`).

    Returns
    -------
    returns : DataFrame of shape (n_dates - 1, n_assets)
    """
    check_choice("kind", kind, ("simple", "log"))
    p = check_prices(prices).to_numpy()
    ratio = p[1:] / p[:-1]
    values = np.log(ratio) if kind == "log" else ratio - 1.0
    out = pd.DataFrame(values, index=prices.index[1:], columns=prices.columns)
    out.index.name = "date"
    return out


def to_prices(
    returns: pd.DataFrame,
    /,
    *,
    kind: ReturnKind = "simple",
    start: float | pd.Series = 1.0,
    start_date: pd.Timestamp | str | None = None,
) -> pd.DataFrame:
    """Compound returns into prices starting at ``start``.

    With ``start_date`` the starting price is placed on that date (before the
    first return), so ``to_prices(to_returns(p), start=p.iloc[0],
    start_date=p.index[0])`` gives back ``p``.
    """
    check_choice("kind", kind, ("simple", "log"))
    check_frame("returns", returns)
    r = check_numeric("returns", returns)
    check_no_inf("returns", r)
    check_no_missing("returns", r)
    if kind == "simple" and (r.to_numpy() <= -1.0).any():
        raise NonPositivePriceError(f"returns of -100% or worse leave no price: {format_cells(r <= -1.0)}.")
    growth = (
        np.exp(np.cumsum(r.to_numpy(), axis=0)) if kind == "log" else np.cumprod(1.0 + r.to_numpy(), axis=0)
    )
    base = np.asarray(start.reindex(returns.columns) if isinstance(start, pd.Series) else start, dtype=float)
    values = base * growth
    index = returns.index
    if start_date is not None:
        values = np.vstack([np.broadcast_to(base, (1, returns.shape[1])), values])
        index = pd.DatetimeIndex([pd.Timestamp(start_date), *returns.index])
    out = pd.DataFrame(values, index=index, columns=returns.columns)
    out.index.name = "date"
    return out


def quality(
    prices: pd.DataFrame,
    /,
    *,
    stale_periods: int = STALE_PERIODS,
    outlier_z: float = OUTLIER_Z,
    split_tolerance: float = SPLIT_TOLERANCE,
) -> pd.DataFrame:
    """Quality flags of a wide price table, by asset and date. Nothing is repaired.

    Parameters
    ----------
    prices : DataFrame of shape (n_dates, n_assets)
        Sorted ``DatetimeIndex``; missing values and duplicated dates are
        allowed (they are what is being checked).
    stale_periods : int, default=5
        A ``stale`` flag for the same price this many periods in a row.
    outlier_z : float, default=8.0
        An ``outlier`` flag for a log return this many robust standard
        deviations (1.4826 x median absolute deviation) from the median.
    split_tolerance : float, default=0.1
        How close a one-period price ratio must be to 1/k or k (k = 2, 3, 4,
        5, 10) to be split-like, and how close the next price must come back
        for a move to be a ``bad_tick``.

    Returns
    -------
    flags : DataFrame
        One row per finding: ``asset``, ``date`` (first date), ``end`` (last
        date), ``flag`` (nonpositive, duplicate, split, bad_tick, outlier,
        stale, gap), ``severity`` (``"error"`` for nonpositive prices and
        duplicates with different prices: :func:`read` refuses those;
        ``"warning"`` otherwise), ``value`` (split: new shares per old share;
        bad_tick: the tick's price ratio; outlier: z-score; stale, gap: periods;
        nonpositive: the price; duplicate: rows) and ``detail`` in words.
        The rules are in the table of :mod:`riskkit._quality`.

    Examples
    --------
    >>> import pandas as pd, riskkit as rk
    >>> idx = pd.date_range("2024-01-01", periods=6, freq="D")
    >>> p = pd.DataFrame({"X": [100.0, 101, 50.5, 51, 51.5, 52]}, index=idx)
    >>> rk.data.quality(p)[["asset", "date", "flag", "value", "detail"]]
      asset       date   flag  value                                              detail
    0     X 2024-01-03  split    2.0  price ratio 0.500 ≈ 1/2, not reversed: a 2-for-1 split?
    """
    check_frame("prices", prices)
    if not isinstance(prices.index, pd.DatetimeIndex):
        raise CalendarError(f"prices must have a DatetimeIndex, got {type(prices.index).__name__}.")
    if not prices.index.is_monotonic_increasing:
        raise CalendarError("prices dates are not sorted; sort the index first (read_prices sorts).")
    stale_periods = check_int("stale_periods", stale_periods, minimum=1)
    outlier_z = check_real("outlier_z", outlier_z, low=0.0, low_open=True)
    split_tolerance = check_real("split_tolerance", split_tolerance, low=0.0, high=0.5, low_open=True)
    values = check_numeric("prices", prices)
    return _quality.quality_flags(values, stale_periods=stale_periods, outlier_z=outlier_z, tolerance=split_tolerance)


def adjust_splits(
    prices: pd.DataFrame, /, *, split_tolerance: float = SPLIT_TOLERANCE, outlier_z: float = OUTLIER_Z
) -> RepairResult:
    """Divide each asset's prices before a split flagged by :func:`quality` by its factor.

    An explicit repair: a move by a ratio near 1/k (k = 2, 3, 4, 5, 10) that
    does not reverse the next period is taken for a k-for-1 split, and the
    earlier prices of that asset are divided by k (near k: a reverse split,
    divided by 1/k). A move that reverses is a bad tick and is left alone.

    Returns
    -------
    RepairResult
        ``prices`` (a new frame) and ``log``: one row per split with ``date``,
        ``asset``, ``ratio`` (k) and ``action`` in words.

    Examples
    --------
    >>> import pandas as pd, riskkit as rk
    >>> idx = pd.date_range("2024-01-01", periods=4, freq="D")
    >>> p = pd.DataFrame({"X": [100.0, 102, 51.5, 52]}, index=idx)
    >>> fixed = rk.data.adjust_splits(p)
    >>> fixed.prices["X"].tolist()
    [50.0, 51.0, 51.5, 52.0]
    >>> fixed.log[["asset", "ratio", "action"]]
      asset  ratio                                             action
    0     X    2.0  2 prices before 2024-01-03 divided by 2 (2-for-1 split)
    """
    values = check_prices(prices)
    flags = quality(values, split_tolerance=split_tolerance, outlier_z=outlier_z)
    out, log = _quality.split_adjusted(values, flags[flags["flag"] == "split"])
    return RepairResult(prices=out, log=log)


# --------------------------------------------------------------------------- internals


def _options(layout, date, asset, price, assets, start, end, missing, ffill_limit, align, adjust_splits) -> dict:
    """The read options checked, with "" meaning "not given" (as report parameters write it)."""
    check_choice("layout", layout, LAYOUTS)
    check_choice("missing", missing, ("raise", "ffill", "drop"))
    align = align or None
    check_choice("align", align, (None, "common"))
    for arg, value in (("date", date), ("asset", asset), ("price", price)):
        if value is not None and not isinstance(value, str):
            raise InvalidTypeError(f"{arg} must be a column name (str), got {value!r}.")
    if assets is not None and not isinstance(assets, str | list | tuple):
        raise InvalidTypeError(f"assets must be a list of asset names, got {type(assets).__name__}.")
    ffill_limit = check_int("ffill_limit", ffill_limit, minimum=1, allow_none=True)
    if ffill_limit is not None and missing != "ffill":
        raise InvalidParameterError("ffill_limit applies to missing='ffill' only.", fixes=[{"missing": "ffill"}])
    if not isinstance(adjust_splits, bool | np.bool_):
        raise InvalidTypeError(f"adjust_splits must be True or False, got {adjust_splits!r}.")
    return {
        "layout": layout, "date": date or None, "asset": asset or None, "price": price or None,
        "assets": assets or None, "start": start, "end": end, "missing": missing,
        "ffill_limit": ffill_limit, "align": align, "adjust_splits": bool(adjust_splits),
    }  # fmt: skip


def _resolve(source, options: dict) -> tuple:
    """A dataset name or a path -> (path, how errors name it)."""
    if isinstance(source, str) and source in names():
        given = [k for k in ("date", "asset", "price") if options[k] is not None]
        if options["layout"] != "auto" or given:
            raise InvalidParameterError(
                f"source={source!r} is a bundled dataset; the format options "
                f"{format_items(given + (['layout'] if options['layout'] != 'auto' else []))} apply to files only."
            )
        return data_dir() / info(source).file, f"dataset {source!r}"
    if not isinstance(source, str | PathLike) or not Path(source).exists():
        raise InvalidParameterError(
            f"source={str(source)!r} is neither a bundled dataset ({format_items(names())}) "
            "nor an existing price file or folder."
        )
    return source, source_name(source)


def _read(source, name: str, o: dict) -> PriceData:
    table = read_table(source, layout=o["layout"], date=o["date"], asset=o["asset"], price=o["price"],
                       assets=o["assets"])  # fmt: skip
    wide, notes, dup_flags = narrow(name, table, assets=o["assets"], start=o["start"], end=o["end"])
    log = [(step, pd.NaT, None, text, np.nan) for step, text in table.notes + notes]
    log += [("duplicate", f["date"], f["asset"], f["detail"], np.nan) for f in dup_flags]
    check_no_inf(name, wide)
    _check_positive(name, wide)
    cov = coverage(wide)
    if o["align"] == "common":
        wide, text = align_common(wide, cov)
        log.append(("align", pd.NaT, None, text, np.nan))
    else:
        check_staggered(name, wide, cov, missing=o["missing"])
    wide, repaired = fill_or_drop(name, wide, missing=o["missing"], ffill_limit=o["ffill_limit"])
    log += [("missing", r.date, r.asset, r.action, np.nan) for r in repaired.itertuples()]
    check_min_rows(name, wide, 2, what="dates")
    flags = _quality.quality_flags(wide, stale_periods=STALE_PERIODS, outlier_z=OUTLIER_Z, tolerance=SPLIT_TOLERANCE)
    if o["adjust_splits"]:
        wide, done = _quality.split_adjusted(wide, flags[flags["flag"] == "split"])
        log += [("adjust_splits", r.date, r.asset, r.action, r.ratio) for r in done.itertuples()]
        flags = _quality.quality_flags(wide, stale_periods=STALE_PERIODS, outlier_z=OUTLIER_Z,
                                       tolerance=SPLIT_TOLERANCE)  # fmt: skip
    flags = _quality.sort_flags(pd.concat([_quality.flag_table(dup_flags), flags], ignore_index=True)
                                if dup_flags else flags, list(wide.columns))  # fmt: skip
    wide.index.name = "date"
    wide.columns = pd.Index(wide.columns, name="asset")
    return PriceData(prices=wide, flags=flags, log=log_table(log), coverage=cov, source=name, layout=table.layout)


def _check_index(name: str, index: pd.Index) -> None:
    if not isinstance(index, pd.DatetimeIndex):
        raise CalendarError(
            f"{name} must have a DatetimeIndex, got {type(index).__name__}; use riskkit.data.read_prices "
            "to parse a date column."
        )
    if index.tz is not None:
        raise CalendarError(
            f"{name} has a time-zone aware index ({index.tz}); convert to naive UTC (read_prices does this)."
        )
    if index.hasnans:
        raise CalendarError(f"{name} has missing dates (NaT) in its index.")
    if index.has_duplicates:
        raise DuplicateError(
            f"{name} has duplicated dates: {format_items(index[index.duplicated()].unique())}."
        )
    if not index.is_monotonic_increasing:
        pos = int(np.flatnonzero(np.diff(index.asi8) < 0)[0])
        raise CalendarError(
            f"{name} dates are not sorted: {index[pos + 1]:%Y-%m-%d %H:%M} comes after "
            f"{index[pos]:%Y-%m-%d %H:%M}. Sort the index (read_prices sorts)."
        )


def _check_positive(name: str, values: pd.DataFrame) -> None:
    mask = values <= 0
    if not mask.to_numpy().any():
        return
    bad = mask.index[mask.any(axis=1).to_numpy()]
    others = [a for a in values.columns if not mask[a].any()]
    raise NonPositivePriceError(
        f"{name} must be positive; zero or negative at {format_cells(mask)}. Nothing is repaired: correct the "
        "file, or cut those dates away with start=/end=, or leave the asset out with assets=.",
        fixes=cut_fixes(values.index, bad) + ([{"assets": others}] if others else []),
    )


def _longest_run(flags: np.ndarray) -> int:
    best = run = 0
    for f in flags:
        run = run + 1 if f else 0
        best = max(best, run)
    return best
