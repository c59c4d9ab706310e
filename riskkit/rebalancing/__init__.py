"""Rebalancing: backtests of many configurations in one pass, and today's decision.

May import: riskkit._core, riskkit.exceptions, riskkit.data, riskkit.shrinkage,
riskkit.decomposition, riskkit.allocation, riskkit.metrics, riskkit.simulation.

Inside: ``policies`` (public: when to trade), ``costs`` (public: the cost model), ``trades``
(public: today's trade list), ``_engine`` (the compiled simulation kernel), ``_premium`` (a
backtest's premium over buy-and-hold split, and its one-path reading; re-exported here).

Contents
--------
Config                         a named (policy, costs) pair
backtest                       simulate K configurations at once -> BacktestResult
sweep                          the configurations of a grid (band x cost x trade-to rule)
drift                          weights after holding through returns, without trading
decision, Decision             today's decision under one policy: is it due, does it trade, and why
decision_table                 the decisions of several policies side by side
premium_split                  per configuration: premium over buy-and-hold = constant mix + timing + costs
premium_by_year                one configuration's premium by calendar year (log growth)
one_path_reading               a backtest read as one path: caveat, premium split, the Sharpe's risk-free rate

The policies (:class:`Never`, :class:`Calendar`, :class:`Threshold`,
:class:`RiskBudgetTrigger`, :class:`VolatilityTrigger`, :func:`make_policy`) live in
:mod:`riskkit.rebalancing.policies` and the cost model (:class:`Costs`) in :mod:`riskkit.rebalancing.costs`;
both are re-exported here. The backtest kernel and :func:`decision` ask the same
compiled function whether a policy fires and how far it trades
(:func:`riskkit.rebalancing._engine.policy_step`).

Mechanics, per period t (prices at the close):

1. holdings drift with the period's returns: :math:`w_i \\leftarrow w_i (1 + r_i) / (1 + w^\\top r)`;
   a cash weight (target ``1 - sum(target)``) earns nothing;
2. on a date the policy looks at, it decides whether to trade, and how far: to the
   target, to the band edge (the smallest move that brings every asset inside its
   band), or a fraction of the way;
3. trades smaller than ``Costs.min_trade`` are not executed (their weight stays, cash absorbs it);
4. costs are paid from the portfolio: value before trading = value after trading + costs.

On day 0 the portfolio starts at the target, without costs. Calendar dates follow
bt's ``RunPeriod`` convention (``anchor="start"``: the first observation of each new
period) or the last observation of each period (``anchor="end"``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import product
from typing import Literal

import numpy as np
import pandas as pd

from riskkit._core.formats import signed
from riskkit._core.result import Result
from riskkit._core.validation import check_real, count, format_items
from riskkit._core.vocabulary import renamed
from riskkit.data.calendar import resolve_periods_per_year, rows_in_force, units
from riskkit.exceptions import InvalidParameterError
from riskkit.rebalancing._premium import one_path_reading, premium_by_year, premium_split
from riskkit.rebalancing.costs import BPS, Costs, bps_alias
from riskkit.rebalancing.policies import (
    RISK_TRIGGERS,
    Calendar,
    Never,
    RiskBudgetTrigger,
    Threshold,
    VolatilityTrigger,
    check_policy,
    looks_today,
    make_policy,
    next_look,
)

__all__ = [
    "BacktestResult",
    "Calendar",
    "Config",
    "Costs",
    "Decision",
    "Never",
    "RiskBudgetTrigger",
    "Threshold",
    "VolatilityTrigger",
    "backtest",
    "decision",
    "decision_table",
    "drift",
    "make_policy",
    "one_path_reading",
    "premium_by_year",
    "premium_split",
    "sweep",
]


@dataclass(frozen=True)
class Config:
    """A named rebalancing configuration."""

    name: str
    policy: Never | Calendar | Threshold | RiskBudgetTrigger | VolatilityTrigger
    costs: Costs = field(default_factory=Costs)


@dataclass(frozen=True, eq=False, repr=False)
class BacktestResult(Result):
    """Paths and records of every configuration (columns are configuration names).

    Picklable; ``summary()`` is one row per configuration; the repr is one line.

    values : DataFrame (dates x configs), portfolio value after costs
    turnover : DataFrame, one-way turnover per period (``sum |trades| / 2 / value``)
    costs : DataFrame, costs paid per period (currency)
    rebalanced : DataFrame of bool
    tracking : DataFrame, :math:`\\lVert w - w^* \\rVert_1 / 2` after trading
    weights : dict name -> DataFrame (dates x assets), when recorded
    target_values : Series, value of the target portfolio rebalanced every period without costs
    buy_and_hold : Series, value of the initial target portfolio never rebalanced, without costs
    """

    values: pd.DataFrame
    turnover: pd.DataFrame
    costs: pd.DataFrame
    rebalanced: pd.DataFrame
    tracking: pd.DataFrame
    weights: dict = field(default_factory=dict)
    target_values: pd.Series | None = None
    buy_and_hold: pd.Series | None = None
    periods_per_year: float | None = None
    returns: pd.DataFrame | None = None

    def _headline(self) -> str:
        idx = self.values.index
        k = self.values.shape[1]
        return (
            f"{count(k, 'configuration')} over {len(idx)} dates "
            f"({idx[0]:%Y-%m-%d} to {idx[-1]:%Y-%m-%d}), {int(self.rebalanced.to_numpy().sum())} rebalances"
        )

    def _display_table(self) -> pd.DataFrame:
        if self.periods_per_year is None:  # no annualised metrics without a calendar
            return pd.DataFrame(
                {"final_value": self.values.iloc[-1], "rebalances": self.rebalanced.sum(),
                 "costs_paid": self.costs.sum()}
            )  # fmt: skip
        return self.summary()

    def trades(self, name: str) -> pd.DataFrame:
        """Trades of one configuration on its rebalance dates, as fractions of
        portfolio value (positive: buy), from its recorded weight path."""
        if name not in self.weights:
            raise InvalidParameterError(
                f"no weight path recorded for {name!r}; run backtest(..., record_weights=True)."
            )
        w = self.weights[name]
        drifted = pd.DataFrame(
            drift(w.shift(1).to_numpy()[1:], self.returns.to_numpy()), index=w.index[1:], columns=w.columns
        )
        out = (w.iloc[1:] - drifted)[self.rebalanced[name].iloc[1:].to_numpy()]
        return out.rename_axis(index="date", columns="asset")

    def summary(self, *, risk_free: float = 0.0) -> pd.DataFrame:
        """Performance and trading metrics per configuration (see :mod:`riskkit.metrics`),
        with a ``units`` column ("annual")."""
        from riskkit.metrics import backtest_summary

        return backtest_summary(self, risk_free=risk_free).assign(units=units(self.periods_per_year))


def drift(weights: np.ndarray, returns: np.ndarray) -> np.ndarray:
    """Weights after one period of returns without trading (cash in the remainder)."""
    w = np.asarray(weights, dtype=float)
    growth = w * (1.0 + returns)
    total = growth.sum(axis=-1, keepdims=True) + (1.0 - w.sum(axis=-1, keepdims=True))
    return growth / total


def backtest(
    prices: pd.DataFrame,
    target: pd.Series | pd.DataFrame,
    configs: Sequence[Config],
    /,
    *,
    initial_value: float = 1_000_000.0,
    allow_leverage: bool = False,
    record_weights: bool | None = None,
    covariance=None,
    periods_per_year: float | None = None,
) -> BacktestResult:
    """Simulate every configuration on the same prices, in one pass over the dates.

    Parameters
    ----------
    prices : DataFrame (dates x assets)
        Validated prices without gaps (:func:`riskkit.data.check_prices`).
    target : Series or DataFrame
        Target weights; a DataFrame is a date-indexed table (each row applies
        from its date on; the first row must be on or before the first price date).
    configs : sequence of Config
        Unique names.
    initial_value : float
        Starting value (currency), for fixed fees and minimum trades.
    allow_leverage : bool
        Targets must sum to 1 (within 1e-9) unless this is True.
    record_weights : bool, optional
        Keep each configuration's weight path (default: when there are at most 50).
    covariance : RollingShrinkage or DataFrame, optional
        Dated covariance estimates (:func:`riskkit.shrinkage.rolling_shrink`) for
        the risk-based triggers. At each check a risk trigger uses the latest
        estimate dated on or before that date and that date's target row: the
        default risk budgets (the target's own risk shares) and the reference
        volatility are recomputed from them at every check, so nothing is looked
        up ahead. Before the first estimate risk triggers do not fire. A single
        covariance DataFrame is used on every date (it looks ahead when it was
        estimated from these prices: for teaching and what-ifs).
    periods_per_year : float, optional
        Periods in a year, for the annualised summary and the volatility
        triggers; inferred once from the prices' dates otherwise
        (:func:`riskkit.data.calendar.resolve_periods_per_year`, the package's one
        rule). Dates whose calendar cannot be read leave it unknown: the paths are
        computed, ``summary()`` and volatility triggers raise a
        :class:`riskkit.exceptions.CalendarError` asking for the value.

    Notes
    -----
    Each policy encodes itself (``_kernel_row``) and the kernel asks the compiled
    :func:`riskkit.rebalancing._engine.policy_step` on every date the policy looks at, the
    same function :func:`decision` asks, so a backtest's trades and today's
    decisions follow one rule. Volatility triggers annualise with
    ``periods_per_year``, resolved once with the result's own.
    """
    from riskkit.data import check_prices

    P = check_prices(prices)
    assets = P.columns
    if not configs:
        raise InvalidParameterError("configs is empty.")
    names = [c.name for c in configs]
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})
        raise InvalidParameterError(f"configuration names must be unique; repeated: {format_items(dup)}.")
    targets = _target_table(target, P.index, assets, allow_leverage)
    V0 = check_real("initial_value", initial_value, low=0.0, low_open=True)
    R = P.to_numpy()[1:] / P.to_numpy()[:-1] - 1.0
    T, N, K = len(P), len(assets), len(configs)
    record = K <= 50 if record_weights is None else record_weights

    due, params, budgets, prop, cost_params = _encode(configs, P.index, assets, covariance is not None)
    needs_cov = any(isinstance(c.policy, RISK_TRIGGERS) for c in configs)
    ppy, ppy_vol = _periods_per_year(P.index, periods_per_year, configs)

    from riskkit.rebalancing._engine import simulate

    values = np.zeros((T, K))
    turnover = np.zeros((T, K))
    costs = np.zeros((T, K))
    rebal = np.zeros((T, K), dtype=np.bool_)
    tracking = np.zeros((T, K))
    wpath = np.zeros((T, K, N)) if record else np.zeros((1, 1, 1))
    # one row (fixed weights) is in force from the first date: no dates to compare
    tgt_row = np.zeros(T, dtype=np.int64) if len(targets) == 1 else rows_in_force(targets.index, P.index)
    tgt = np.ascontiguousarray(targets.to_numpy())
    covs, cov_row = _covariance_rows(covariance, P.index, assets, needs_cov)
    ruin = np.full(K, -1, dtype=np.int64)
    simulate(
        np.ascontiguousarray(R), tgt, tgt_row, due, params, budgets, covs, cov_row, ppy_vol,
        prop, cost_params, V0, record,
        values, turnover, costs, rebal, tracking, wpath, ruin,
    )  # fmt: skip
    _check_ruin(ruin, names, P.index)
    # the references: constant mix (rebalanced every period, no costs) and buy-and-hold
    mix = R @ tgt[0] if len(tgt) == 1 else np.einsum("ti,ti->t", tgt[tgt_row[:-1]], R)
    tv = V0 * np.concatenate([[1.0], np.cumprod(1.0 + mix)])
    w0 = tgt[tgt_row[0]]
    Pv = P.to_numpy()
    bh = V0 * (Pv @ (w0 / Pv[0]) + (1.0 - w0.sum()))
    tv, bh = _absorbed(tv), _absorbed(bh)
    cols = pd.Index(names, name="config")
    frame = lambda a: pd.DataFrame(a, index=P.index, columns=cols, copy=False)  # noqa: E731
    return BacktestResult(
        values=frame(values),
        turnover=frame(turnover),
        costs=frame(costs),
        rebalanced=frame(rebal),
        tracking=frame(tracking),
        weights={
            n: pd.DataFrame(wpath[:, k], index=P.index, columns=assets, copy=False)
            for k, n in enumerate(names)
        }
        if record
        else {},
        target_values=pd.Series(tv, index=P.index, name="target"),
        buy_and_hold=pd.Series(bh, index=P.index, name="buy_and_hold"),
        returns=pd.DataFrame(R, index=P.index[1:], columns=assets, copy=False),
        periods_per_year=ppy,
    )


@renamed(kind="band_type")
@bps_alias
@renamed(cost_bps="proportional")
def sweep(
    *,
    bands: Sequence[float],
    proportional: Sequence[float] = (0.0,),
    to: Sequence[str | float] = ("target",),
    band_type: Literal["absolute", "relative"] = "absolute",
    monitor: Calendar | None = None,
    fixed: float = 0.0,
) -> list[Config]:
    """Threshold configurations for every (band, cost, trade-to) combination.

    ``proportional``: proportional costs as fractions of traded notional (0.001 =
    10 bp), one configuration each; ``fixed``: the fee per trade (currency).
    Names read ``band=0.05|cost=10bp|to=edge``. The former ``cost_bps=`` (basis
    points) is accepted until riskkit 0.3 with a FutureWarning and divided by 1e4;
    ``kind=`` is now ``band_type=``.

    Examples
    --------
    >>> for c in sweep(bands=[0.05], proportional=[0, 0.001], to=["target", "edge"]):
    ...     print(c.name)
    band=0.05|cost=0bp|to=target
    band=0.05|cost=0bp|to=edge
    band=0.05|cost=10bp|to=target
    band=0.05|cost=10bp|to=edge
    """
    return [
        Config(
            f"band={b:g}|cost={round(c / BPS, 10):g}bp|to={tt if isinstance(tt, str) else f'{tt:g}'}",
            Threshold(band=b, band_type=band_type, monitor=monitor, to=tt),
            Costs(proportional=c, fixed=fixed),
        )
        for b, c, tt in product(bands, proportional, to)
    ]


@dataclass(frozen=True, eq=False, repr=False)
class Decision(Result):
    """Today's rebalancing decision under one policy.

    Attributes
    ----------
    date : Timestamp
        Today (the last of ``dates``).
    due : bool
        Today is a date the policy looks at (a calendar date, or a monitoring
        date; every date after the first for unmonitored triggers).
    trade : bool
        The policy trades today.
    fraction : float
        How far it trades: the fraction of the way from the weights to the
        target (1: all the way; 0: no trade).
    reason : str
        In words.
    assets : DataFrame
        Per asset: weight, target, drift (weight - target), and for band rules
        the limit and whether the asset is outside it; for the risk-budget
        trigger the risk share, its budget and the gap.
    forecast_volatility, reference_volatility : float or None
        Annualised, for the volatility trigger.
    next_check : Timestamp or None
        For a calendar, or a trigger checked on a calendar (``monitor=``): the
        next date it looks, on the data's calendar continued; None when it
        looks every period.
    """

    date: pd.Timestamp
    due: bool
    trade: bool
    reason: str
    assets: pd.DataFrame
    fraction: float = 0.0
    forecast_volatility: float | None = None
    reference_volatility: float | None = None
    next_check: pd.Timestamp | None = None

    def _headline(self) -> str:
        return f"{self.date:%Y-%m-%d}, {'trade' if self.trade else 'no trade'} — {self.reason}"

    def summary(self) -> pd.DataFrame:
        """One row: date, due, trade, fraction, the volatilities (volatility trigger) and the reason."""
        return pd.DataFrame(
            [{"due": self.due, "trade": self.trade, "fraction": self.fraction,
              "forecast_volatility": self.forecast_volatility,
              "reference_volatility": self.reference_volatility, "next_check": self.next_check,
              "reason": self.reason}],
            index=pd.DatetimeIndex([self.date], name="date"),
        )  # fmt: skip


def decision(
    policy,
    weights: pd.Series,
    target: pd.Series,
    /,
    *,
    dates: pd.DatetimeIndex,
    covariance: pd.DataFrame | None = None,
    periods_per_year: float | None = None,
) -> Decision:
    """Would ``policy`` rebalance today, holding ``weights`` against ``target``?

    Parameters
    ----------
    policy : Never, Calendar, Threshold, RiskBudgetTrigger or VolatilityTrigger
    weights : Series
        Today's weights by asset, after the day's drift (the rest is cash).
    target : Series
        Today's target weights (the row of a target table in force today).
    dates : DatetimeIndex
        The history up to today (its last date): calendar and monitoring dates
        are found on it exactly as :func:`backtest` finds them
        (``Calendar(every=n)`` counts from its first date; its first date is day 0,
        on which nothing is due). Whether today is the last observation of a
        period (``anchor="end"``) depends on the next date: the calendar's next
        date is taken (the next day on a 7-day calendar, the next weekday on a
        business-day calendar, else today plus the last spacing; see
        ``periods_per_year``).
    covariance : DataFrame, optional
        Risk triggers: the per-period covariance of the latest estimate dated on
        or before today (as :func:`backtest` uses). Default risk budgets are the
        target's own risk shares under it.
    periods_per_year : float, optional
        Volatility triggers annualise with it, and ``anchor="end"`` calendars find
        the next date with it; ``None`` infers it from ``dates``
        (:func:`riskkit.data.calendar.resolve_periods_per_year`;
        :class:`riskkit.exceptions.CalendarError` when the dates have no regular spacing).

    Notes
    -----
    The decision is the backtest engine's: the policy encodes itself and the
    same compiled function (:func:`riskkit.rebalancing._engine.policy_step`) says whether it
    fires and how far it trades, so on every date of a backtest ``decision``
    agrees with the kernel.

    Examples
    --------
    >>> import pandas as pd
    >>> from riskkit.rebalancing import Threshold, decision
    >>> dates = pd.date_range("2024-01-01", periods=3, freq="D")
    >>> d = decision(Threshold(0.05), pd.Series({"A": 0.57, "B": 0.43}),
    ...              pd.Series({"A": 0.5, "B": 0.5}), dates=dates)
    >>> d.trade, d.fraction
    (True, 1.0)
    """
    from riskkit._core.validation import check_same_assets, check_weights
    from riskkit.rebalancing._engine import policy_detail, policy_step

    check_policy("policy", policy)
    w = check_weights("weights", weights, allow_zero_sum=True, shares=True)
    tgt = check_weights("target", target, shares=True)
    check_same_assets("weights", w.index, "target", tgt.index)
    w = w.reindex(tgt.index)
    if not isinstance(dates, pd.DatetimeIndex) or len(dates) == 0:
        raise InvalidParameterError("dates must be a non-empty DatetimeIndex ending today.")
    today = dates[-1]
    assets = tgt.index
    _, params, budgets = policy._kernel_row(dates[-1:], assets)
    due = looks_today(policy, dates, periods_per_year)
    N = len(assets)
    S, has_cov = _risk_matrix(policy, covariance, assets)
    ppy = 1.0  # only volatility triggers annualise
    if isinstance(policy, VolatilityTrigger) or periods_per_year is not None:
        ppy = resolve_periods_per_year(dates, periods_per_year) or 1.0
    wv, tv = np.ascontiguousarray(w.to_numpy(dtype=float)), np.ascontiguousarray(tgt.to_numpy(dtype=float))
    level, limit, outside = np.empty(N), np.empty(N), np.empty(N, dtype=bool)
    args = (params[None], 0, budgets[None], wv, tv[None], 0, S[None], 0 if has_cov else -1, ppy)
    fraction = policy_step(*args)  # the kernel's rule
    forecast, reference = policy_detail(*args, level, limit, outside)  # what it looked at
    fires = fraction > 0.0
    trade = due and fires
    table = pd.DataFrame({"weight": w, "target": tgt, "drift": w - tgt}).rename_axis("asset")
    reason, following = _explain(
        policy,
        table,
        dates,
        periods_per_year,
        due=due,
        fires=fires,
        level=level,
        limit=limit,
        outside=outside,
        forecast=forecast,
        reference=reference,
    )
    vol = isinstance(policy, VolatilityTrigger) and np.isfinite(forecast)
    return Decision(
        today, due, trade, reason, table, fraction=float(fraction) if trade else 0.0,
        forecast_volatility=float(forecast) if vol else None,
        reference_volatility=float(reference) if vol else None, next_check=following,
    )  # fmt: skip


def _risk_matrix(policy, covariance, assets: pd.Index) -> tuple[np.ndarray, bool]:
    """The kernel's covariance for :func:`decision`: the checked ``covariance`` on ``assets`` for the
    risk triggers (which need it), else zeros; and whether there is one."""
    from riskkit._core.validation import check_covariance, check_same_assets

    N = len(assets)
    if not isinstance(policy, RISK_TRIGGERS):
        return np.zeros((N, N)), False
    if covariance is None:
        raise InvalidParameterError(
            f"{type(policy).__name__} needs covariance= (the per-period estimate in force today)."
        )
    cov = check_covariance("covariance", covariance)
    check_same_assets("target", assets, "covariance", cov.index)
    return np.ascontiguousarray(cov.loc[assets, assets].to_numpy(dtype=float)), True


def _explain(
    policy, table, dates, periods_per_year, *, due, fires, level, limit, outside, forecast, reference
) -> tuple[str, pd.Timestamp | None]:
    """The reason of :func:`decision` in words, and the policy's next look (None when it looks
    every period); adds the band or risk-budget columns to ``table`` (weight, target, drift)."""
    assets = table.index
    largest = table["drift"].abs().idxmax()
    biggest = f"largest drift {largest} {signed(table.loc[largest, 'drift'], 2, percent=True)}"  # no "-0.00%"
    cal = policy if isinstance(policy, Calendar) else getattr(policy, "monitor", None)
    following = next_look(policy, dates, periods_per_year) if cal is not None else None
    after = f" (next: {following:%Y-%m-%d})" if following is not None else ""
    when = (
        ""
        if cal is None
        else (" today is a monitoring date;" if due else f" today is not a monitoring date{after};")
    )
    out = assets[outside]
    if isinstance(policy, Never):
        reason = f"buy and hold: never trades ({biggest})."
    elif isinstance(policy, Calendar):
        word = "a rebalancing date" if due else f"not a rebalancing date{after}"
        reason = f"calendar ({policy.describe()}): today is {word}; {biggest}."
    elif isinstance(policy, Threshold):
        table["limit"], table["outside"] = limit, outside
        what = (
            f"{count(len(out), 'asset')} outside the band: {format_items(out)}"
            if len(out)
            else "every asset inside"
        )
        unit = "of weight" if policy.band_type == "absolute" else "of its target, relative"
        reason = f"threshold {policy.band * 100:g}% {unit}:{when} {what}; {biggest}."
    elif isinstance(policy, RiskBudgetTrigger):
        table["risk_share"], table["budget"] = level, limit
        table["gap"] = table["risk_share"] - table["budget"]
        table["outside"] = outside
        what = (
            f"risk share off budget by more than {policy.band * 100:g} points for {format_items(out)}"
            if len(out)
            else "every risk share within its band"
        )
        reason = f"risk budget:{when} {what}."
    else:
        word = "outside" if fires else "inside"
        reason = (f"volatility:{when} forecast {forecast:.2%} vs reference {reference:.2%}, {word} the "
                  f"±{policy.band:.0%} band.")  # fmt: skip
    return reason, following


def decision_table(
    policies: Mapping[str, object],
    weights: pd.Series,
    target: pd.Series,
    /,
    *,
    dates: pd.DatetimeIndex,
    covariance: pd.DataFrame | None = None,
    periods_per_year: float | None = None,
) -> pd.DataFrame:
    """:func:`decision` for each named policy: one row each (due, trade, reason)."""
    rows = {}
    for name, pol in policies.items():
        d = decision(
            pol, weights, target, dates=dates, covariance=covariance, periods_per_year=periods_per_year
        )
        rows[name] = {"due": d.due, "trade": d.trade, "reason": d.reason}
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("policy")


def _encode(configs, index: pd.DatetimeIndex, assets: pd.Index, has_covariance: bool):
    """Every configuration encodes itself for the kernel: its policy's dates and parameter
    row, its risk budgets, its per-asset cost rates and (fixed, min_trade, impact)."""
    from riskkit.rebalancing.policies import N_PARAMS

    T, N, K = len(index), len(assets), len(configs)
    due = np.zeros((T, K), dtype=bool)
    params = np.zeros((K, N_PARAMS))
    budgets = np.zeros((K, N))
    prop = np.zeros((K, N))
    cost_params = np.zeros((K, 4))
    cache: dict = {}
    for k, c in enumerate(configs):
        check_policy(f"configs[{k}].policy", c.policy)
        if not has_covariance and isinstance(c.policy, RISK_TRIGGERS):
            raise InvalidParameterError(
                f"configs[{k}] ({c.name!r}) uses a risk trigger: pass covariance= (rolling_shrink estimates)."
            )
        due[:, k], params[k], budgets[k] = c.policy._kernel_row(index, assets, cache)
        prop[k], cost_params[k] = c.costs._kernel_row(assets)
    return due, params, budgets, prop, cost_params


def _check_ruin(ruin: np.ndarray, names: list[str], index: pd.DatetimeIndex) -> None:
    """A configuration whose value reached zero or below has no path after that date:
    the backtest stops with a :class:`~riskkit.exceptions.RuinError` naming each one and its date."""
    hit = np.flatnonzero(ruin >= 0)
    if not hit.size:
        return
    from riskkit.exceptions import RuinError

    shown = ", ".join(f"{names[k]!r} on {index[ruin[k]]:%Y-%m-%d}" for k in hit[:5])
    more = f", ... ({hit.size - 5} more)" if hit.size > 5 else ""
    err = RuinError(
        f"the portfolio is ruined (its value reached zero or below: a period return of -100% or worse, "
        f"or costs above the value) for {count(hit.size, 'configuration')}: {shown}{more}. A value "
        "path has no meaning after ruin; reduce the leverage or the short positions."
    )
    err.configs, err.dates = [names[k] for k in hit], index[ruin[hit]]
    raise err


def _absorbed(values: np.ndarray) -> np.ndarray:
    """A reference path that reaches zero or below stays at zero from then on (ruin is absorbing)."""
    gone = np.flatnonzero(~(values > 0.0))
    if gone.size:
        values = values.copy()
        values[gone[0] :] = 0.0
    return values


def _periods_per_year(index: pd.DatetimeIndex, periods_per_year, configs) -> tuple[float | None, float]:
    """The backtest's periods a year, resolved once (the common rule), and the value the
    volatility triggers annualise with. Dates whose calendar cannot be read (two dates,
    irregular spacing) leave it unknown (None): the paths need no calendar, the annualised
    summary then raises; a volatility trigger needs it now and raises the CalendarError."""
    from riskkit.exceptions import CalendarError

    try:
        ppy = resolve_periods_per_year(index, periods_per_year)
    except CalendarError:
        if any(isinstance(c.policy, VolatilityTrigger) for c in configs):
            raise
        ppy = None
    return ppy, 1.0 if ppy is None else ppy


def _covariance_rows(covariance, index: pd.DatetimeIndex, assets: pd.Index, needed: bool):
    """Covariance stack and, per date, the row of the latest estimate on or before it (-1: none)."""
    if covariance is None or not needed:
        return np.zeros((1, len(assets), len(assets))), np.full(len(index), -1, dtype=np.int64)
    if isinstance(covariance, pd.DataFrame):  # one estimate, in force on every date
        from riskkit._core.validation import check_covariance, check_same_assets

        cov = check_covariance("covariance", covariance)
        check_same_assets("covariance", cov.index, "prices", assets)
        S = np.ascontiguousarray(cov.loc[assets, assets].to_numpy(dtype=float))[None]
        return S, np.zeros(len(index), dtype=np.int64)
    from riskkit.shrinkage import RollingShrinkage

    if not isinstance(covariance, RollingShrinkage):
        from riskkit.exceptions import InvalidTypeError

        raise InvalidTypeError(
            "covariance must be dated estimates (riskkit.shrinkage.rolling_shrink) or one per-period "
            f"covariance DataFrame used on every date; got {type(covariance).__name__}."
        )
    if list(covariance.assets) != list(assets):
        raise InvalidParameterError(
            "covariance estimates must cover the prices' assets in the same order; "
            f"got {format_items(covariance.assets)}."
        )
    if covariance.covariances is None:
        raise InvalidParameterError(
            "covariance holds no estimates (rolling_shrink(store=False) kept none); a backtest reads "
            "every estimate: store them (dtype='float32' halves the memory)."
        )
    rows = rows_in_force(covariance.dates, index)
    return np.ascontiguousarray(covariance.covariances, dtype=np.float64), rows


def _target_table(target, index: pd.DatetimeIndex, assets: pd.Index, allow_leverage: bool) -> pd.DataFrame:
    """Target weights as a date-indexed table on the prices' assets; one rule set for
    a Series (a single row from the first date) and a table. Checks run on arrays:
    a one-policy backtest takes milliseconds, so pandas work here shows."""
    if isinstance(target, Mapping):
        target = pd.Series(target, dtype=float)
    if isinstance(target, pd.Series):
        values, dates, columns = target.to_numpy(dtype=float)[None, :], index[:1], target.index
    elif not isinstance(target, pd.DataFrame):
        raise InvalidParameterError(
            f"target must be a Series of weights or a date-indexed DataFrame, got {type(target).__name__}."
        )
    elif not isinstance(target.index, pd.DatetimeIndex) or not target.index.is_monotonic_increasing:
        raise InvalidParameterError("a target table must have a sorted DatetimeIndex.")
    elif target.index[0] > index[0]:
        raise InvalidParameterError(
            f"the target table starts on {target.index[0]:%Y-%m-%d}, after the first price date "
            f"{index[0]:%Y-%m-%d}; add a row for the start."
        )
    else:
        values, dates, columns = target.to_numpy(dtype=float), target.index, target.columns
    pos = None if columns.equals(assets) else assets.get_indexer(columns)
    if pos is not None and (pos < 0).any():
        raise InvalidParameterError(f"target assets missing from prices: {format_items(columns[pos < 0])}.")
    bad = ~np.isfinite(values)
    if bad.any():
        rows, cols = np.nonzero(bad)
        raise InvalidParameterError(
            f"target weights must be finite; not for {format_items(columns[np.unique(cols)])} "
            f"on {format_items(dates[np.unique(rows)])}."
        )
    sums = values.sum(axis=1)
    off = np.flatnonzero(np.abs(sums - 1.0) > 1e-9)
    if off.size and not allow_leverage:
        raise InvalidParameterError(
            f"target weights must sum to 1 (got {format_items(sums[off].round(6).tolist(), limit=3)} on "
            f"{format_items(dates[off], limit=3)}); pass allow_leverage=True for other totals."
        )
    if pos is not None:
        aligned = np.zeros((len(values), len(assets)))
        aligned[:, pos] = values
        values = aligned
    return pd.DataFrame(values, index=dates, columns=assets, copy=False)


def _load_compiled() -> None:
    """Load the compiled rebalancing kernels (numba, cached on disk) by running each
    entry point once on a tiny market: what the first backtest or decision of a
    process would otherwise pay (about half a second). The grid's kernel fork
    server calls it once, so that no member pays it; results are discarded."""
    from riskkit.shrinkage import rolling_shrink
    from riskkit.simulation import simulate_market

    m = simulate_market(n_assets=3, n_periods=60, seed=0)
    w = pd.Series(1 / 3, index=m.prices.columns)
    cov = m.returns.cov()
    policies = [Never(), Calendar("M"), Threshold(0.05), Threshold(0.05, to="edge"), RiskBudgetTrigger(0.05),
                VolatilityTrigger(0.1)]  # fmt: skip
    backtest(m.prices, w, [Config(f"p{i}", p, Costs(proportional=0.001)) for i, p in enumerate(policies)],
             covariance=rolling_shrink(m.returns, window=20, step=10))  # fmt: skip
    for p in policies:
        decision(p, w * [1.2, 0.9, 0.9], w, dates=m.prices.index, covariance=cov)
