"""Price data in: read, validate, repair on request, check, and turn into returns.

May import: riskkit._core, riskkit.exceptions.

Inside: ``calendar`` (public: periods per year, resampling, alignment), ``_read`` (files and
folders to a table), ``_dates`` (date columns and their formats, offsets, footers), ``_dialect`` (a CSV's
delimiter, decimal mark and encoding, bad files), ``_narrow`` (assets, start,
end), ``_checks`` (the price rules and the explicit repairs), ``_coverage`` (staggered
starts, gaps), ``_quality`` (split, bad-tick, outlier and stale flags), ``_catalog`` (the
bundled datasets' registry), ``_price_data`` (the PriceData result).

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
business-day one) are in :mod:`riskkit.data.calendar`.

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
flagged (``PriceData.flags``; kept as is)      split-like moves (until adjusted or
                                               ``dismiss``-ed), bad ticks, outliers,
                                               stale runs, calendar gaps, one date twice
                                               with the same prices (kept once)
=============================================  ========================================
"""

from __future__ import annotations

import inspect
from dataclasses import replace
from os import PathLike
from typing import Literal

import numpy as np
import pandas as pd

from riskkit._core.validation import (
    check_choice,
    check_frame,
    check_no_inf,
    check_no_missing,
    check_numeric,
    format_cells,
    format_items,
)
from riskkit.data import _quality
from riskkit.data._catalog import info, names
from riskkit.data._checks import (
    RepairResult,
    adjust_splits,
    check_prices,
    price_summary,
    quality,
    quality_notes,
    repair_missing,
)
from riskkit.data._coverage import DEFAULT_FFILL_LIMIT
from riskkit.data._price_data import PriceData, build, options, resolve
from riskkit.data._read import source_name
from riskkit.exceptions import InvalidParameterError, NonPositivePriceError

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


def read(
    source: str | PathLike | pd.DataFrame,
    /,
    *,
    layout: Layout = "auto",
    date_column: str | None = None,
    asset_column: str | None = None,
    price_column: str | None = None,
    date_format: str | None = None,
    assets: list[str] | None = None,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    missing: Missing = "raise",
    ffill_limit: int | None = None,
    align: Literal["common"] | None = None,
    adjust_splits: bool = False,
    sep: str | None = None,
    decimal: Literal[".", ","] | None = None,
    encoding: str | None = None,
    footer: Literal["refuse", "drop"] = "refuse",
    duplicates: Literal["refuse", "first", "last"] = "refuse",
    dismiss: list | None = None,
) -> PriceData:
    """Read prices from a file, a folder or a DataFrame, choose, check, and say what was done.

    Steps, in order: read the dialect and recognise the layout; leave out
    footer rows (``footer``), and keep ``assets`` and the dates from ``start``
    to ``end`` (before any value is checked, and rows whose date cannot be
    read outside that window before the dates are read, so a bad region or
    asset can be cut away); numbers and duplicated timestamps; zero
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
        or ns, the unit read from their magnitude (and logged), or dates written
        as yyyymmdd numbers (``20100104``, as Stooq writes ``<DATE>``: read so
        when every value has 8 digits, is a valid date and they are in order).
    date_column, asset_column, price_column : str, optional
        Column names (any case) when they are not recognised.
    date_format : str, optional
        The dates' format (``"%d/%m/%Y"``, ``"%m/%d/%Y %H:%M"``), for dates
        the file does not settle: ``02/01/2024`` is read day first only when
        some date has a first number above 12 (and month first when some has a
        second one above 12); a file where no date settles it, or that mixes
        both orders or several formats, raises
        :class:`~riskkit.exceptions.CalendarError` asking for this.
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
        Divide each asset's prices before a detected split (a split flag, of
        any ratio: 2-for-1, 3-for-2, 1-for-10 ...) by its factor; logged with
        asset, date and factor. Moves named in ``dismiss`` are left alone.
    sep, decimal, encoding : str, optional
        The CSV dialect, detected when not given (and each detected choice
        logged): ``sep`` the delimiter (``","``, ``";"``, tab or ``"|"``),
        ``decimal`` the decimal mark (``","`` as in ``1.234,56``, the thousands
        mark then told from the values), ``encoding`` (UTF-8, UTF-8 or UTF-16
        with a byte-order mark, cp1252 as Excel writes it). Empty, binary and
        NUL-padded files are refused from their first bytes. A ``sep`` that
        splits no line while another does, or a ``decimal`` the values
        contradict (``decimal=","`` on ``1234.56``), is an
        :class:`~riskkit.exceptions.InvalidParameterError` naming the right one.
    footer : {"refuse", "drop"}, default="refuse"
        Rows ending the file without a date ("Average", "Total rows: 253",
        blank dates) are an error naming them; ``"drop"`` leaves them out
        (logged).
    duplicates : {"refuse", "first", "last"}, default="refuse"
        One date twice (per asset) with different prices: an error naming
        them, or the first or last row kept (logged per date and asset, and
        warned by :func:`read_prices`). The same date with the same prices is
        kept once whatever this says (logged, and warned by :func:`read_prices`).
    dismiss : list of str, optional
        Split-like moves reviewed and kept as they are, as ``"ASSET@YYYY-MM-DD"``
        (or (asset, date) pairs): their flags leave ``flags`` (the caution goes)
        and the log says so. A name that is not a flagged move is an error
        listing the flagged ones.

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
    >>> raw = pd.DataFrame({
    ...     "Date": ["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05"] * 2,
    ...     "Ticker": ["A"] * 5 + ["B"] * 5,
    ...     "Close": [10.0, 10.1, 10.2, 10.3, 10.4, 20.0, 20.2, 10.2, 10.3, 10.4]})
    >>> data = rk.data.read(raw)
    >>> data
    PriceData(2 assets x 5 dates, 2024-01-01 to 2024-01-05, layout='long', 1 flag(s), 0 repair(s))
    >>> data.flags[["asset", "date", "flag", "value"]]
      asset       date   flag  value
    0     B 2024-01-03  split    2.0
    >>> rk.data.read(raw, adjust_splits=True).prices["B"].round(2).tolist()
    [10.0, 10.1, 10.2, 10.3, 10.4]
    """
    chosen = options(**{k: v for k, v in locals().items() if k != "source"})  # the keywords, checked
    return build(source, source_name(source), chosen)


def read_prices(source: str | PathLike | pd.DataFrame, /, **options) -> pd.DataFrame:
    """Read and validate prices: :func:`read` (same keyword arguments) returning the prices only.

    What :func:`read` logs is told by warnings instead: a
    :class:`~riskkit.exceptions.DataRepairWarning` when prices were changed
    or rows left out (``.log`` lists each change: repairs, duplicates chosen,
    exact repeated rows kept once), a :class:`~riskkit.exceptions.DataQualityWarning`
    for split-like moves kept as they are (``.flags``). An unknown keyword is
    an :class:`~riskkit.exceptions.InvalidParameterError` listing the valid ones.

    Returns
    -------
    prices : DataFrame of shape (n_dates, n_assets)
        float64 prices, ``DatetimeIndex`` named ``date`` (naive UTC, sorted),
        columns named ``asset``. Daily stamps with a UTC offset keep their local
        calendar date; intraday ones are converted to UTC.

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
    result = read(source, **_known(options))
    result.warn(stacklevel=2)
    return result.prices


def load(source: str | PathLike, /, **options) -> PriceData:
    """:func:`read` (same keyword arguments) on a bundled dataset named ``source``
    (``riskkit datasets`` lists them) or on the file or folder at ``source``.

    The choosing options (``assets``, ``start``, ``end``, ``missing``,
    ``ffill_limit``, ``align``, ``adjust_splits``, ``duplicates``, ``dismiss``) apply
    to datasets too; the format options (``layout``, ``date_column``, ``asset_column``,
    ``price_column``, ``date_format``, ``sep``, ``decimal``, ``encoding``, ``footer``)
    to files only. A simulated dataset (``riskkit.datasets.info(name).simulated``) has
    no split flags: its simulator makes no splits, so each split-like move is an
    ``outlier`` whose detail says it is the simulator's, on a simulated crash day or a
    calm one; ``adjust_splits=True`` is refused for it.
    """
    path, name = resolve(source, _known(options))
    return _dataset(source, replace(read(path, **options), source=name), options)


def _dataset(source, data: PriceData, options: dict) -> PriceData:
    """A simulated dataset's flags said to be the simulator's moves (it makes no splits)."""
    if not (isinstance(source, str) and source in names() and info(source).simulated):
        return data
    if options.get("adjust_splits"):
        raise InvalidParameterError(
            f"adjust_splits=True on {source!r}, a simulated dataset: its simulator makes no splits, so "
            "no move of it is one to adjust."
        )
    flags = _quality.simulated_moves(data.flags, data.prices, source, info(source).crash_periods)
    return replace(data, flags=flags)


def load_prices(source: str | PathLike, /, **options) -> pd.DataFrame:
    """:func:`load` returning the prices only, with the warnings of :func:`read_prices`
    (a bundled dataset's quality flags were reviewed: they are not warned about)."""
    path, name = resolve(source, _known(options))
    result = _dataset(source, replace(read(path, **options), source=name), options)
    result.warn(flags=path == source, stacklevel=2)
    return result.prices


def _known(options: dict) -> dict:
    valid = [p for p in inspect.signature(read).parameters if p != "source"]
    unknown = sorted(set(options) - set(valid))
    if unknown:
        raise InvalidParameterError(
            f"unknown read option(s) {format_items(unknown)}; "
            f"the options are {format_items(valid, limit=20)}."
        )
    return options


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
