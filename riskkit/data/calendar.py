"""Calendars: periods per year, resampling with correct compounding, and
aligning a 24/7 crypto series with a business-day series.

Contents
--------
infer_periods_per_year    365 for a 7-day calendar, 252 business days, 52, 12, 4, 1; intraday
                          bars on 24/7, 24x5 and exchange-hours calendars (8760 hourly 24/7, ...)
periods                   a window or lookback given in periods (180) or in time ("180D", "1Y")
windows                   several of them at once, cut to the data, with a note per cut
stress_lengths            the worst-window lengths a calendar reads: one period, then the next
                          two of a day, week, month, quarter, year (1, 7, 30 on 24/7 daily data)
resolve_periods_per_year  the value given, the inferred one, or None: per period (the one rule)
annualise, units          scale a figure by it; the units a summary states
resample_prices           last price of each week / month / quarter / year
resample_returns          compound returns into weekly / monthly / ... returns
align_prices              put two price tables on one calendar, explicitly
rows_in_force             per date, the row of the latest dated entry on or before it

Dates are compared as timestamps, never as raw integers: a ``datetime64[us]`` index
(pandas 3's default) and a ``datetime64[ns]`` one (Parquet) are put on one
resolution first (:func:`rows_in_force`).

Every annualised figure in riskkit follows one rule
(:func:`resolve_periods_per_year`): ``periods_per_year`` passed always wins; else it
is inferred from the data's dates; without dates (a bare covariance, a plain index)
figures stay in the input's own units, per period, and each result's summary says
which (``units``).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from riskkit._core.validation import (
    check_choice,
    check_frame,
    check_int,
    check_no_inf,
    check_no_missing,
    check_numeric,
    check_real,
    format_cells,
    format_items,
)
from riskkit.data._checks import _check_index, check_prices
from riskkit.data._coverage import repair
from riskkit.data._quality import seven_day, weekdays
from riskkit.exceptions import (
    CalendarError,
    DataError,
    DataRepairWarning,
    DuplicateError,
    InvalidParameterError,
    MissingDataError,
)

__all__ = [
    "align_prices",
    "annualise",
    "infer_periods_per_year",
    "periods",
    "resample_prices",
    "resample_returns",
    "resolve_periods_per_year",
    "rows_in_force",
    "stress_lengths",
    "units",
    "windows",
]

Freq = Literal["W", "M", "Q", "Y"]
_PERIOD = {"W": "W-SUN", "M": "M", "Q": "Q-DEC", "Y": "Y-DEC"}


def infer_periods_per_year(index: pd.Index | pd.DataFrame | pd.Series, /) -> int:
    """Number of periods in a year, read off a date index.

    Rules, on the median spacing between dates:

    ==========================  ==========================================
    spacing                     result
    ==========================  ==========================================
    under 1 day (intraday)      bars a day x trading days a year (below)
    1 day, weekends present     365 (24/7 markets such as crypto)
    1 day, no weekends          252 (business days); 260 Sunday-Thursday,
                                313 Monday-Saturday
    6-8 days                    52
    27-32 days                  12
    88-93 days                  4
    360-367 days                1
    ==========================  ==========================================

    Weekends count as present when more than 15% of the dates fall on a
    Saturday or Sunday (a full 7-day calendar has 2/7 = 28.6%).

    Intraday bars of ``h`` hours (the median spacing) are read on one of three
    calendars:

    =====================================  ==================  ==========================
    calendar                               rule                hourly / 4-hourly
    =====================================  ==================  ==========================
    24/7 (weekends present)                365 x 24 / h        8760 / 2190
    24x5 (a weekday holds 20 h or more)    260 x 24 / h        6240 / 1560 (FX)
    exchange hours (shorter days)          252 x bars a day    1764 hourly at 7 bars a day
    =====================================  ==================  ==========================

    where "bars a day" is the median number of stamps on a date that has any
    and 260 = 5 x 52 weekdays (FX trades Sunday evening to Friday evening, UTC).

    Raises
    ------
    CalendarError
        Fewer than three dates, or a spacing matching none of the above; pass
        ``periods_per_year`` explicitly then.

    Examples
    --------
    >>> hours = pd.date_range("2024-01-01", periods=24 * 28, freq="h")
    >>> infer_periods_per_year(hours), infer_periods_per_year(hours[hours.day_of_week < 5])
    (8760, 6240)
    """
    if isinstance(index, pd.DataFrame | pd.Series):
        index = index.index
    if not isinstance(index, pd.DatetimeIndex):
        raise CalendarError(f"periods per year needs a DatetimeIndex, got {type(index).__name__}.")
    if len(index) < 3:
        raise CalendarError(
            f"cannot infer periods_per_year from {len(index)} date(s); pass periods_per_year explicitly."
        )
    per_day = int(np.timedelta64(1, "D") / np.timedelta64(1, index.unit))  # ticks per day in the index unit
    stamps = index.asi8
    spacing = float(np.median(np.diff(stamps))) / per_day
    if spacing < 0.99:
        return _intraday_periods(index, spacing)
    if spacing <= 1.01:
        return _daily_periods(index)
    for low, high, ppy in ((6, 8, 52), (27, 32, 12), (88, 93, 4), (360, 367, 1)):
        if low <= spacing <= high:
            return ppy
    raise CalendarError(
        f"cannot infer periods_per_year from a median spacing of {spacing:.2f} days; "
        f"pass periods_per_year explicitly ({365.25 / spacing:.0f} for dates {spacing:g} days apart).",
        fixes=[{"periods_per_year": round(365.25 / spacing)}],
    )


def _intraday_periods(index: pd.DatetimeIndex, spacing: float) -> int:
    """Intraday bars ``spacing`` days apart: 24/7, 24x5 or exchange hours (see
    :func:`infer_periods_per_year`)."""
    if spacing <= 0:
        raise CalendarError("the dates repeat (median spacing 0); pass periods_per_year explicitly.")
    bars = 1.0 / spacing  # bars in a full 24-hour day
    if seven_day(index):
        return round(365 * bars)
    _, counts = np.unique(index.normalize().asi8, return_counts=True)
    a_day = float(np.median(counts))
    if a_day * spacing * 24 >= 20:
        return round(260 * bars)
    return round(252 * a_day)


def _daily_periods(index: pd.DatetimeIndex) -> int:
    """Daily dates: 365 with weekends (24/7), 252 business days, and the six- and five-day
    weeks that are not Monday-Friday by the weekdays they hold: Sunday-Thursday
    (5 x 52 = 260 a year), Monday-Saturday (6 x 52 + 1 = 313). A weekday counts as
    traded when it holds at least a third of its share of a full week's dates."""
    if not seven_day(index):
        return 252
    days = np.bincount(weekdays(index), minlength=7) / len(index)
    traded = int(np.count_nonzero(days > 1.0 / 21.0))
    return {5: 260, 6: 313}.get(traded, 365)


_YEAR_PARTS = {"Y": 1.0, "Q": 4.0, "M": 12.0, "W": 365.25 / 7, "D": 365.25, "h": 365.25 * 24}


def periods(
    value: int | str,
    /,
    *,
    periods_per_year: float,
    name: str = "window",
    available: int | None = None,
) -> int:
    """A window or lookback in periods: ``value`` as given when it is an int, or a
    time (``"180D"``, ``"26W"``, ``"6M"``, ``"2Q"``, ``"1Y"``, ``"48h"``) times the
    calendar's ``periods_per_year``, rounded (at least 1); then at most
    ``available`` when that is given (the caller says a cut window in its report).

    A time follows the data's calendar: ``"1Y"`` is 365 periods on a 24/7 daily
    calendar, 252 on business days, 12 on monthly data; ``"180D"`` is 180 x
    ``periods_per_year`` / 365.25.

    Raises
    ------
    InvalidParameterError
        ``value`` neither a positive int nor a number followed by Y, Q, M, W, D or h.

    Examples
    --------
    >>> periods("1Y", periods_per_year=252), periods("6M", periods_per_year=12)
    (252, 6)
    >>> periods(365, periods_per_year=12)  # an int is periods
    365
    >>> periods("1Y", periods_per_year=365, available=155)
    155
    """
    if isinstance(value, str) and not value.strip().isdigit():
        text = value.strip() or "?"
        unit = text[-1] if text[-1] in _YEAR_PARTS else text[-1].upper()
        try:
            amount = float(text[:-1])
        except ValueError:
            amount = float("nan")
        if unit not in _YEAR_PARTS or not amount > 0:
            raise InvalidParameterError(
                f"{name}={value!r} is neither a number of periods nor a time: a positive number followed by "
                "Y (years), Q, M (months), W, D (days) or h (hours), such as '180D' or '1Y'."
            )
        count = max(1, round(amount / _YEAR_PARTS[unit] * periods_per_year))
    else:
        count = int(check_int(name, int(value) if isinstance(value, str) else value, minimum=1))
    return count if available is None else min(count, max(int(available), 1))


def stress_lengths(lengths: object, /, *, periods_per_year: float) -> list[int]:
    """The lengths of the worst historical windows to show, in periods: ``lengths`` as given (each
    :func:`periods`: ``7`` or ``"1W"``), or for ``"auto"`` one period, then the next two distinct
    lengths among a day, a week, a month, a quarter and a year in this calendar, so every calendar
    gets windows a reader names: 1, 7 and 30 periods on 24/7 daily data, 1, 5 and 21 on business
    days, 1, 4 and 13 weeks, 1, 3 and 12 months, 1, 24 and 168 hours.

    >>> [stress_lengths("auto", periods_per_year=p) for p in (365, 252, 52, 12, 8760)]
    [[1, 7, 30], [1, 5, 21], [1, 4, 13], [1, 3, 12], [1, 24, 168]]
    >>> stress_lengths([1, "2W"], periods_per_year=252)
    [1, 10]
    """
    if isinstance(lengths, str) and lengths == "auto":
        found = [1]
        for unit in ("1D", "1W", "1M", "1Q", "1Y"):
            n = periods(unit, periods_per_year=periods_per_year)
            if n > found[-1] and len(found) < 3:
                found.append(n)
        return found
    if isinstance(lengths, str | int) or not isinstance(lengths, Sequence):
        raise InvalidParameterError(
            f"stress_windows={lengths!r} is neither 'auto' nor a list of lengths "
            "(periods, or times such as '1W')."
        )
    return [periods(v, periods_per_year=periods_per_year, name="stress_windows") for v in lengths]


def windows(
    values: dict[str, int | str],
    /,
    *,
    periods_per_year: float,
    available: dict[str, int],
) -> tuple[tuple[int, ...], list[str]]:
    """:func:`periods` for each named window or lookback, cut to ``available[name]``
    periods when longer: the counts in the order given, and a note for each cut
    (a report states them, so a cut window is never silent).

    >>> available = {"lookback": 154, "window": 77}
    >>> windows({"lookback": "1Y", "window": 180}, periods_per_year=12, available=available)
    ((12, 77), ['window 180 cut to 77 periods: the data hold 154 returns, 12 a year.'])
    """
    counts, notes = [], []
    longest = max(available.values(), default=0)
    for name, value in values.items():
        asked = periods(value, periods_per_year=periods_per_year, name=name)
        count = min(asked, max(int(available.get(name, asked)), 1))
        if count < asked:
            said = f"{value!r} = {asked} periods" if isinstance(value, str) else str(value)
            notes.append(
                f"{name} {said} cut to {count} periods: the data hold {longest} returns, "
                f"{periods_per_year:g} a year."
            )
        counts.append(count)
    return tuple(counts), notes


def rows_in_force(dates: pd.DatetimeIndex, index: pd.DatetimeIndex) -> np.ndarray:
    """For each date of ``index``, the position of the latest of ``dates`` on or before
    it (-1: none yet), comparing timestamps as timestamps: both are put on the finer
    of their two resolutions first (``datetime64[s]`` prices and ``datetime64[ns]``
    estimates meet on nanoseconds), so no resolution silently shifts a date.

    >>> days = pd.date_range("2024-01-01", periods=4, freq="D")
    >>> rows_in_force(days[[0, 2]].as_unit("ns"), days.as_unit("s")).tolist()
    [0, 0, 1, 1]
    """
    dates, index = pd.DatetimeIndex(dates), pd.DatetimeIndex(index)
    order = ("s", "ms", "us", "ns")
    unit = max(dates.unit, index.unit, key=order.index)
    a, b = dates.as_unit(unit), index.as_unit(unit)
    if (a.tz is None) != (b.tz is None):
        raise CalendarError(
            f"dates with and without a time zone cannot be compared ({a.tz} and {b.tz}); localise both."
        )
    return (np.searchsorted(a.asi8, b.asi8, side="right") - 1).astype(np.int64)


def resolve_periods_per_year(
    data: pd.Index | pd.DataFrame | pd.Series | None,
    periods_per_year: float | None,
) -> float | None:
    """The package's one annualisation rule: how many periods make a year, or None.

    - ``periods_per_year`` given: that value (checked positive), always;
    - else ``data`` carries dates (a ``DatetimeIndex``, or a frame or series on
      one): inferred from them (:func:`infer_periods_per_year`; a calendar it
      cannot read, such as intraday dates, raises a
      :class:`~riskkit.exceptions.CalendarError` asking for the value);
    - else (no dates: a covariance, a returns table on a plain index, ``data``
      None): None, and the figures stay in the input's own units, per period,
      as PyPortfolioOpt, Riskfolio-Lib and skfolio give them.

    :func:`annualise` and :func:`units` read the result.

    Examples
    --------
    >>> import pandas as pd
    >>> resolve_periods_per_year(pd.date_range("2024-01-01", periods=30, freq="D"), None)
    365.0
    >>> resolve_periods_per_year(None, None) is None  # a bare covariance: per period
    True
    >>> resolve_periods_per_year(None, 252)
    252.0
    """
    if periods_per_year is not None:
        return check_real("periods_per_year", periods_per_year, low=0.0, low_open=True)
    index = data.index if isinstance(data, pd.DataFrame | pd.Series) else data
    if not isinstance(index, pd.DatetimeIndex):
        return None
    return float(infer_periods_per_year(index))


def annualise(value, periods_per_year: float | None, /, *, power: float = 1.0):
    """``value`` times ``periods_per_year ** power`` (``power=0.5`` for a
    volatility, 1 for a mean or a variance); unchanged when ``periods_per_year``
    is None (per-period figures).

    >>> round(annualise(0.01, 252, power=0.5), 6), annualise(0.01, None, power=0.5)
    (0.158745, 0.01)
    """
    return value if periods_per_year is None else value * periods_per_year**power


def units(periods_per_year: float | None, /) -> str:
    """The units a result's summary states: ``"annual"`` or ``"per period"``.

    >>> units(365.0), units(None)
    ('annual', 'per period')
    """
    return "per period" if periods_per_year is None else "annual"


def resample_prices(prices: pd.DataFrame, /, *, freq: Freq) -> pd.DataFrame:
    """Last price of each calendar period.

    Weeks end on Sunday (so a 24/7 week is whole and a business week ends on
    its Friday), months, quarters and years on their last day. Each row is
    labelled with the last date actually observed in the period, never a
    date beyond the data. Returns computed from the result compound the
    period's daily returns exactly. The last period may be incomplete.

    Returns
    -------
    DataFrame of shape (n_periods, n_assets)
    """
    check_choice("freq", freq, tuple(_PERIOD))
    values = check_prices(prices, min_rows=1)
    keys = values.index.to_period(_PERIOD[freq])
    last = ~pd.Series(keys).duplicated(keep="last").to_numpy()
    out = values.loc[last]
    out.index.name = "date"
    return out


def resample_returns(
    returns: pd.DataFrame,
    /,
    *,
    freq: Freq,
    kind: Literal["simple", "log"] = "simple",
) -> pd.DataFrame:
    """Compound period returns into weekly, monthly, quarterly or yearly ones.

    Simple returns compound as :math:`\\prod_t (1 + r_t) - 1`, log returns add
    up. Periods as in :func:`resample_prices`, labelled by their last
    observed date; the first and last periods may be partial.
    """
    check_choice("freq", freq, tuple(_PERIOD))
    check_choice("kind", kind, ("simple", "log"))
    check_frame("returns", returns)
    _check_index("returns", returns.index)
    r = check_numeric("returns", returns)
    check_no_inf("returns", r)
    check_no_missing("returns", r)
    keys = r.index.to_period(_PERIOD[freq])
    if kind == "simple" and (r.to_numpy() <= -1).any():
        raise DataError(f"returns of -100% or worse cannot be compounded: {format_cells(r <= -1)}.")
    x = np.log1p(r.to_numpy()) if kind == "simple" else r.to_numpy()
    summed = pd.DataFrame(x, index=keys, columns=r.columns).groupby(level=0, sort=False).sum()
    values = np.expm1(summed.to_numpy()) if kind == "simple" else summed.to_numpy()
    last = ~pd.Series(keys).duplicated(keep="last").to_numpy()
    out = pd.DataFrame(values, index=r.index[last], columns=r.columns)
    out.index.name = "date"
    return out


def align_prices(
    left: pd.DataFrame,
    right: pd.DataFrame,
    /,
    *,
    how: Literal["intersection", "left", "right", "union"] = "intersection",
    missing: Literal["raise", "ffill"] = "raise",
    ffill_limit: int | None = None,
) -> pd.DataFrame:
    """Join two price tables on one calendar.

    The usual case is a 24/7 crypto table and a business-day stock table.
    Align *prices*, never returns: on the business-day calendar
    (``how="intersection"``) the crypto weekend moves land in Monday's
    return, so no return is lost. On the 7-day calendar (``how="left"`` with
    crypto on the left) the stocks have no weekend prices; that is a
    :class:`MissingDataError` unless ``missing="ffill"`` carries Friday's
    close over the weekend (a stale price: zero weekend return), and a
    :class:`DataRepairWarning` lists the filled dates.

    Parameters
    ----------
    left, right : DataFrame
        Validated prices (see :func:`riskkit.data.check_prices`) with distinct
        asset names and timestamps at the same time of day.
    how : {"intersection", "left", "right", "union"}, default="intersection"
        The calendar: dates in both, dates of one side, or dates of either.
    missing : {"raise", "ffill"}, default="raise"
    ffill_limit : int, optional
        Longest run of dates that may be forward-filled (3 covers a long weekend).

    Returns
    -------
    DataFrame
        ``left``'s columns, then ``right``'s, on the chosen calendar.
    """
    check_choice("how", how, ("intersection", "left", "right", "union"))
    check_choice("missing", missing, ("raise", "ffill"))
    a = check_prices(left, name="left")
    b = check_prices(right, name="right")
    shared = a.columns.intersection(b.columns)
    if len(shared):
        raise DuplicateError(f"left and right share asset names: {format_items(shared)}; rename one side.")
    index = {
        "intersection": a.index.intersection(b.index),
        "left": a.index,
        "right": b.index,
        "union": a.index.union(b.index),
    }[how]
    if len(index) < 2:
        raise CalendarError(
            f"left and right have {len(index)} date(s) in common; daily prices stamped at different "
            "times of day do not match: read both so that their dates carry no time of day."
        )
    joined = pd.concat([a.reindex(index), b.reindex(index)], axis=1)
    joined.index.name = "date"
    joined.columns.name = "asset"
    if not joined.isna().to_numpy().any():
        return joined
    if missing == "raise":
        raise MissingDataError(
            f"on the how={how!r} calendar some prices are missing: {format_cells(joined.isna())}. "
            "Use how='intersection', or missing='ffill' to carry the last price forward explicitly."
        )
    filled, log = repair(
        f"prices on the how={how!r} calendar",
        joined,
        method="ffill",
        limit=ffill_limit,
        limit_name="ffill_limit",
        drop="how='intersection'",
    )
    warnings.warn(
        DataRepairWarning(
            f"align_prices forward-filled {len(log)} price(s) (stale, zero return): "
            f"{format_cells(joined.isna())}. The full list is in this warning's .log.",
            log=log,
        ),
        stacklevel=2,
    )
    return filled
