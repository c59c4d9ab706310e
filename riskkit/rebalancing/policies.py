"""Rebalancing policies: small frozen value objects, each defined once.

Contents
--------
Never, Calendar, Threshold     buy and hold; calendar dates; a band around each target weight
RiskBudgetTrigger              trade when an asset's share of risk leaves its budget by more than a band
VolatilityTrigger              trade when portfolio volatility leaves a band around a reference
make_policy                    a policy from plain parameters (name, band, freq), for reports

A policy says *when* it looks (its dates: a calendar, a monitoring calendar, or
every period after day 0) and, on those dates, *whether* it trades and *how far*.
Each policy encodes itself into the numbers the compiled rule reads
(``_kernel_row``); the rule itself is one compiled function,
:func:`riskkit.rebalancing._engine.policy_step`, asked by the backtest kernel on every date a
policy looks and by :func:`riskkit.rebalancing.decision` for today, so the two
cannot disagree.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from riskkit._core.validation import check_choice, check_int, check_real, format_items
from riskkit._core.vocabulary import renamed

__all__ = ["Calendar", "Never", "RiskBudgetTrigger", "Threshold", "VolatilityTrigger", "make_policy"]

# The encoding read by riskkit.rebalancing._engine.policy_step: one row of floats per policy.
# A calendar date is a band of 0 (any drift fires, all the way to the target); Never
# looks on no date. So the compiled rule knows two kinds: a band, and a risk trigger.
KIND, BAND, RELATIVE, TO, VOL_TARGET = range(5)
N_PARAMS = 5
THRESHOLD, RISK_BUDGET, VOLATILITY = range(3)
EDGE = -1.0  # TO for "to the band edge"; otherwise the fraction of the way to the target


def _row(kind: int, band: float = 0.0, relative: bool = False, to: float = 1.0, vol_target: float = 0.0):
    row = np.zeros(N_PARAMS)
    row[KIND], row[BAND], row[RELATIVE], row[TO], row[VOL_TARGET] = kind, band, relative, to, vol_target
    return row


def _every_period(index: pd.DatetimeIndex) -> np.ndarray:
    """Every date after day 0 (day 0 is the start: the portfolio is on target)."""
    mask = np.ones(len(index), dtype=bool)
    mask[:1] = False
    return mask


def _period_keys(index: pd.DatetimeIndex, freq: str) -> np.ndarray:
    """A key per date that changes exactly when the week (Monday to Sunday), month, quarter
    or year does: ``index.to_period(...)`` ordinals, by numpy's calendar units when the
    dates carry no time zone (a fifth of pandas' cost on a backtest's dates)."""
    from riskkit.data.calendar import _PERIOD

    if index.tz is not None:
        return np.asarray(index.to_period(_PERIOD[freq]).asi8)
    v = index.values
    if freq == "W":  # 1970-01-05 was a Monday: weeks of Monday to Sunday, as W-SUN periods
        return (v.astype("datetime64[D]").astype(np.int64) - 4) // 7
    months = v.astype("datetime64[M]").astype(np.int64)
    return {"M": months, "Q": months // 3, "Y": months // 12}[freq]


def _looks(monitor, index: pd.DatetimeIndex, cache: dict | None) -> np.ndarray:
    """The dates a band or risk policy looks: its monitoring calendar, else every period."""
    if monitor is None:
        return _every_period(index)
    if cache is None:
        return monitor.dates(index)
    if monitor not in cache:
        cache[monitor] = monitor.dates(index)
    return cache[monitor]


def looks_today(policy, dates: pd.DatetimeIndex, periods_per_year: float | None) -> bool:
    """Whether ``policy`` looks on the last of ``dates`` (today), as the backtest
    decides it on the whole history.

    A period's last observation (``anchor="end"``) is known only with the next
    date, so the calendar's next date is appended: the next day on a 7-day
    calendar (365 periods a year), the next weekday on a business-day calendar
    (252), else today plus the last spacing. ``periods_per_year`` is resolved by
    :func:`riskkit.data.calendar.resolve_periods_per_year` (None: inferred from
    ``dates``) and only for such calendars.
    """
    calendar = policy if isinstance(policy, Calendar) else getattr(policy, "monitor", None)
    if calendar is None or calendar.anchor != "end" or calendar.freq in (None, "D"):
        return bool(policy._kernel_row(dates, pd.Index([]))[0][-1])
    extended = dates.append(_following(dates, periods_per_year, 1))
    return bool(policy._kernel_row(extended, pd.Index([]))[0][-2])


def next_look(policy, dates: pd.DatetimeIndex, periods_per_year: float | None) -> pd.Timestamp | None:
    """The first date after today on which a calendar policy, or a monitored
    trigger, looks again, on the data's own calendar continued (see
    :func:`looks_today`); None for a policy that looks every period or never,
    and when ``dates`` are too few or too irregular to continue.

    >>> import pandas as pd
    >>> days = pd.date_range("2024-12-01", "2024-12-20", freq="D")  # calendars look on a period's first date
    >>> next_look(Calendar("M"), days, 365), next_look(Threshold(0.05, monitor=Calendar("W")), days, 365)
    (Timestamp('2025-01-01 00:00:00'), Timestamp('2024-12-23 00:00:00'))
    """
    calendar = policy if isinstance(policy, Calendar) else getattr(policy, "monitor", None)
    if calendar is None or calendar.freq == "D" or calendar.every == 1:
        return None
    from riskkit.exceptions import CalendarError

    try:
        ahead = _following(dates, periods_per_year, 800)  # over two years of the data's periods
    except CalendarError:  # too few dates, or irregular ones, to continue their calendar
        return None
    extended = dates.append(ahead).append(_following(dates.append(ahead), periods_per_year, 1))
    looks = policy._kernel_row(extended, pd.Index([]))[0][len(dates) : len(dates) + len(ahead)]
    hits = np.flatnonzero(looks)
    return ahead[hits[0]] if len(hits) else None


def _following(dates: pd.DatetimeIndex, periods_per_year: float | None, n: int) -> pd.DatetimeIndex:
    """The ``n`` dates after ``dates`` on its calendar: days (365 a year),
    weekdays (252), else the last spacing repeated."""
    from riskkit.data.calendar import resolve_periods_per_year

    ppy = resolve_periods_per_year(dates, periods_per_year)
    today = dates[-1]
    if ppy == 252:
        return pd.bdate_range(today + pd.offsets.BDay(1), periods=n)
    if ppy == 365 or len(dates) < 2:
        return pd.date_range(today + pd.Timedelta(days=1), periods=n, freq="D")
    step = today - dates[-2]
    return pd.DatetimeIndex([today + step * (k + 1) for k in range(n)])


def _no_budgets(assets) -> np.ndarray:
    return np.full(len(assets), np.nan)


@dataclass(frozen=True)
class Never:
    """Buy and hold: never trade after day 0."""

    def _kernel_row(self, index: pd.DatetimeIndex, assets: pd.Index, cache: dict | None = None):
        return np.zeros(len(index), dtype=bool), _row(THRESHOLD), _no_budgets(assets)


@dataclass(frozen=True)
class Calendar:
    """Rebalance on calendar dates.

    ``freq``: ``"D"`` every period, ``"W"``, ``"M"``, ``"Q"``, ``"Y"``; or ``every=n``
    periods. ``anchor="start"`` trades on the first observation of each new period
    (bt's convention), ``"end"`` on the last observation of each period.
    """

    freq: Literal["D", "W", "M", "Q", "Y"] | None = "M"
    every: int | None = None
    anchor: Literal["start", "end"] = "start"

    def __post_init__(self):
        from riskkit.exceptions import InvalidParameterError

        if self.every is not None and self.freq == "M":
            object.__setattr__(self, "freq", None)  # Calendar(every=n): the default freq does not apply
        if (self.freq is None) == (self.every is None):
            raise InvalidParameterError("Calendar needs exactly one of freq= or every=.")
        if self.freq is not None:
            check_choice("freq", self.freq, ("D", "W", "M", "Q", "Y"))
        else:
            check_int("every", self.every, minimum=1)
        check_choice("anchor", self.anchor, ("start", "end"))

    def dates(self, index: pd.DatetimeIndex) -> np.ndarray:
        """Boolean mask of the trading dates over ``index`` (day 0 excluded)."""
        T = len(index)
        mask = np.zeros(T, dtype=bool)
        if self.every is not None:
            mask[self.every :: self.every] = True
            return mask
        if self.freq == "D":
            return _every_period(index)
        keys = _period_keys(index, self.freq)
        change = keys[1:] != keys[:-1]
        if self.anchor == "start":
            mask[1:] = change  # first observation of a new period
        else:
            mask[:-1] = change  # last observation of a period
            mask[0] = False
        return mask

    def describe(self) -> str:
        """In words: "monthly", "every 10 periods", ..."""
        names = {"D": "daily", "W": "weekly", "M": "monthly", "Q": "quarterly", "Y": "yearly"}
        return f"every {self.every} periods" if self.every else names[self.freq]

    def _kernel_row(self, index: pd.DatetimeIndex, assets: pd.Index, cache: dict | None = None):
        return _looks(self, index, cache), _row(THRESHOLD, band=0.0), _no_budgets(assets)


@renamed(kind="band_type")
@dataclass(frozen=True)
class Threshold:
    """Rebalance when a weight drifts outside its band.

    ``band_type="absolute"``: :math:`|w_i - w^*_i| > b`; ``"relative"``:
    :math:`|w_i / w^*_i - 1| > b`. Checked every period, or only on the dates of
    ``monitor`` (a :class:`Calendar`: "monitor monthly, trade when 5% off").
    ``to``: ``"target"`` (all the way), ``"edge"`` (the smallest uniform move
    that brings every asset inside its band, so the worst one lands on its
    edge, never outside it: the move is checked with the band rule itself and
    widened by a few ulps where rounding would leave it a hair outside, so flat
    prices never re-trigger it), or a fraction in (0, 1] of the way.
    ``band_type`` was ``kind`` (accepted with a FutureWarning until riskkit 0.3).
    """

    band: float
    band_type: Literal["absolute", "relative"] = "absolute"
    monitor: Calendar | None = None
    to: Literal["target", "edge"] | float = "target"

    def __post_init__(self):
        check_real("band", self.band, low=0.0, high=1.0, low_open=True, high_open=True)
        check_choice("band_type", self.band_type, ("absolute", "relative"))
        if isinstance(self.to, str):
            check_choice("to", self.to, ("target", "edge"))
        else:
            check_real("to", self.to, low=0.0, high=1.0, low_open=True)

    def _kernel_row(self, index: pd.DatetimeIndex, assets: pd.Index, cache: dict | None = None):
        to = 1.0 if self.to == "target" else EDGE if self.to == "edge" else float(self.to)
        row = _row(THRESHOLD, self.band, self.band_type == "relative", to)
        return _looks(self.monitor, index, cache), row, _no_budgets(assets)


@dataclass(frozen=True)
class RiskBudgetTrigger:
    """Trade to target when an asset's share of risk drifts from its budget by more than ``band``.

    ``budgets``: asset -> share of risk, one for every asset of the backtest
    (non-negative, summing to 1; a budget of 0 is written as 0; an unknown or a
    missing asset is an error naming it); default: the target portfolio's own risk shares, recomputed at
    each check from that date's target and the covariance estimate in force
    then. Needs ``covariance=`` in :func:`riskkit.rebalancing.backtest`, where
    each check uses the latest estimate dated on or before it (no look-ahead).
    """

    band: float
    budgets: Mapping | None = None
    monitor: Calendar | None = None

    def __post_init__(self):
        check_real("band", self.band, low=0.0, high=1.0, low_open=True, high_open=True)
        if self.budgets is not None:
            _check_budgets(self.budgets)

    def _kernel_row(self, index: pd.DatetimeIndex, assets: pd.Index, cache: dict | None = None):
        if self.budgets is None:
            budgets = _no_budgets(assets)
        else:
            from riskkit._core.validation import check_same_assets

            b = _check_budgets(self.budgets)
            if len(assets):  # looks_today asks for the dates alone (no assets)
                check_same_assets("budgets", b.index, "prices", assets)
            budgets = b.reindex(assets).to_numpy()
        return _looks(self.monitor, index, cache), _row(RISK_BUDGET, self.band), budgets


def _check_budgets(budgets) -> pd.Series:
    """Risk budgets: finite, non-negative weights summing to 1 (the shared rules)."""
    from riskkit._core.validation import check_weights, check_weights_sum
    from riskkit.exceptions import InvalidParameterError

    b = check_weights("budgets", dict(budgets) if isinstance(budgets, Mapping) else budgets, shares=True)
    negative = b.index[b.to_numpy() < 0]
    if len(negative):
        raise InvalidParameterError(f"budgets must not be negative; negative for {format_items(negative)}.")
    check_weights_sum("budgets", b)
    return b


@dataclass(frozen=True)
class VolatilityTrigger:
    """Trade to target when the drifted portfolio's forecast volatility leaves
    ``reference * (1 ± band)``.

    The reference is the target portfolio's volatility under the same
    covariance (``target=None``: risk drift, which a rebalance corrects), or a
    fixed annualised level ``target`` (for targets that are themselves scaled
    to a volatility). Needs ``covariance=`` in :func:`riskkit.rebalancing.backtest`
    (the latest estimate dated on or before each check).
    """

    band: float
    target: float | None = None
    monitor: Calendar | None = None

    def __post_init__(self):
        check_real("band", self.band, low=0.0, high=1.0, low_open=True, high_open=True)
        if self.target is not None:
            check_real("target", self.target, low=0.0, low_open=True)

    def _kernel_row(self, index: pd.DatetimeIndex, assets: pd.Index, cache: dict | None = None):
        row = _row(VOLATILITY, self.band, vol_target=0.0 if self.target is None else self.target)
        return _looks(self.monitor, index, cache), row, _no_budgets(assets)


POLICY_TYPES = (Never, Calendar, Threshold, RiskBudgetTrigger, VolatilityTrigger)
RISK_TRIGGERS = (RiskBudgetTrigger, VolatilityTrigger)

_POLICY_NAMES = ("never", "calendar", "threshold", "relative_threshold", "risk_budget", "volatility")


@renamed(frequency="freq")
def make_policy(kind: str, /, *, band: float = 0.05, freq: str = "M"):
    """A policy from plain values: ``kind`` one of never, calendar (at
    ``freq``), threshold / relative_threshold / risk_budget / volatility
    (at ``band``, monitored at ``freq``, or every period when it is ``""``).
    ``freq`` was ``frequency`` (accepted with a FutureWarning until riskkit 0.3)."""
    check_choice("kind", kind, _POLICY_NAMES)
    if kind == "never":
        return Never()
    if kind == "calendar":
        return Calendar(freq or "D")
    monitor = Calendar(freq) if freq else None
    if kind in ("threshold", "relative_threshold"):
        return Threshold(
            band, band_type="relative" if kind == "relative_threshold" else "absolute", monitor=monitor
        )
    if kind == "risk_budget":
        return RiskBudgetTrigger(band, monitor=monitor)
    return VolatilityTrigger(band, monitor=monitor)


def check_policy(name: str, policy) -> None:
    """A policy object, or a typed error naming the argument."""
    from riskkit.exceptions import InvalidParameterError

    if not isinstance(policy, POLICY_TYPES):
        raise InvalidParameterError(
            f"{name} must be Never, Calendar, Threshold, RiskBudgetTrigger or VolatilityTrigger, "
            f"got {policy!r}."
        )
