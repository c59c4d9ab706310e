"""Price data in: read, validate, repair on request, and turn into returns.

Contents
--------
read_prices      CSV / Parquet / DataFrame, wide or long form -> validated prices
load_prices      a bundled dataset by name, or a price file (for report parameters)
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
dropped or clipped unless an option asks for it, and then a
:class:`~riskkit.exceptions.DataRepairWarning` lists what changed.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from riskkit._read import find_date_column, pivot_long, read_table, wide_from_frame
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
    DataRepairWarning,
    DuplicateError,
    InvalidParameterError,
    MissingDataError,
    NonPositivePriceError,
)

__all__ = [
    "RepairResult",
    "check_prices",
    "load_prices",
    "price_summary",
    "quality_notes",
    "read_prices",
    "repair_missing",
    "to_prices",
    "to_returns",
]

Layout = Literal["auto", "wide", "long"]
Missing = Literal["raise", "ffill", "drop"]
ReturnKind = Literal["simple", "log"]

_MISSING_HINT = " Pass missing='ffill' (optionally with ffill_limit) or missing='drop' to repair explicitly."


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


def read_prices(
    source: str | PathLike | pd.DataFrame,
    /,
    *,
    layout: Layout = "auto",
    date_column: str | None = None,
    asset_column: str = "asset",
    price_column: str = "price",
    missing: Missing = "raise",
    ffill_limit: int | None = None,
) -> pd.DataFrame:
    """Read and validate prices from a CSV or Parquet file or a DataFrame.

    Parameters
    ----------
    source : path or DataFrame
        A ``.csv`` (optionally compressed: ``.csv.gz`` ...) or ``.parquet``
        file, or a DataFrame. Pickle files are refused: reading prices must not
        be able to run code.
    layout : {"auto", "wide", "long"}, default="auto"
        ``"wide"``: a date column (or a DatetimeIndex) and one column per asset.
        ``"long"``: one row per date and asset, with ``date_column``,
        ``asset_column`` and ``price_column``. ``"auto"`` picks long when both
        ``asset_column`` and ``price_column`` are present.
    date_column : str, optional
        Name of the date column. By default the first column called
        date/datetime/timestamp/time (any case), else a DatetimeIndex, else
        the first column.
    asset_column, price_column : str, default="asset", "price"
        Column names of the long layout.
    missing : {"raise", "ffill", "drop"}, default="raise"
        Missing values are an error unless a repair is chosen; a repair issues
        a :class:`~riskkit.exceptions.DataRepairWarning` listing every change.
    ffill_limit : int, optional
        With ``missing="ffill"``: the longest run of consecutive missing values
        that may be filled; longer gaps remain an error.

    Returns
    -------
    prices : DataFrame of shape (n_dates, n_assets)
        float64 prices, ``DatetimeIndex`` named ``date`` (naive UTC, sorted),
        columns named ``asset``. Time zones are converted to UTC.

    Raises
    ------
    EmptyDataError, DuplicateError, NonNumericError, NonFiniteError,
    NonPositivePriceError, MissingDataError, CalendarError
        Each naming the assets and dates at fault.

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
    check_choice("layout", layout, ("auto", "wide", "long"))
    check_choice("missing", missing, ("raise", "ffill", "drop"))
    frame = read_table(source)
    name = f"prices in {Path(source).name!r}" if isinstance(source, str | PathLike) else "prices"
    check_frame(name, frame)
    date_col = find_date_column(frame, date_column)
    if layout == "auto":
        layout = "long" if {asset_column, price_column} <= set(map(str, frame.columns)) else "wide"
    if layout == "long":
        wide = pivot_long(name, frame, date_col, asset_column, price_column)
    else:
        wide = wide_from_frame(name, frame, date_col)
    return _finish(name, wide, missing=missing, ffill_limit=ffill_limit)


def load_prices(source: str | PathLike, /, **options) -> pd.DataFrame:
    """Prices of a bundled dataset named ``source`` (``riskkit datasets`` lists
    them) or read from the file at ``source`` with :func:`read_prices`
    (``options`` are its keyword arguments; a dataset takes none)."""
    from riskkit import datasets

    if isinstance(source, str) and source in datasets.names():
        if options:
            raise InvalidParameterError(
                f"source={source!r} is a bundled dataset; read options {sorted(options)} apply to files only."
            )
        return datasets.load(source)
    if not Path(source).is_file():
        raise InvalidParameterError(
            f"source={str(source)!r} is neither a bundled dataset ({format_items(datasets.names())}) "
            "nor an existing price file."
        )
    return read_prices(source, **options)


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


# --------------------------------------------------------------------------- internals


def _finish(name: str, wide: pd.DataFrame, *, missing: Missing, ffill_limit: int | None) -> pd.DataFrame:
    wide = wide.sort_index(kind="stable")
    values = check_numeric(name, wide)
    check_no_inf(name, values)
    _check_positive(name, values)
    if missing == "raise":
        check_no_missing(name, values, hint=_MISSING_HINT)
    elif values.isna().to_numpy().any():
        result = repair_missing(
            values, method=missing, limit=ffill_limit if missing == "ffill" else None, name=name
        )
        warnings.warn(
            DataRepairWarning(
                f"{name}: {len(result.log)} missing value(s) repaired with missing={missing!r}: "
                f"{format_cells(values.isna())}. The full list is in this warning's .log.",
                log=result.log,
            ),
            stacklevel=3,
        )
        values = result.prices
    elif ffill_limit is not None and missing != "ffill":
        raise InvalidParameterError("ffill_limit applies to missing='ffill' only.")
    check_min_rows(name, values, 2, what="dates")
    values.index.name = "date"
    values.columns = pd.Index(values.columns, name="asset")
    return values


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
    if not (values.to_numpy() <= 0).any():
        return
    mask = values <= 0
    if mask.to_numpy().any():
        raise NonPositivePriceError(f"{name} must be positive; zero or negative at {format_cells(mask)}.")


def _longest_run(flags: np.ndarray) -> int:
    best = run = 0
    for f in flags:
        run = run + 1 if f else 0
        best = max(best, run)
    return best
