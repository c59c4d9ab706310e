"""Rebalancing: policies, costs, and a backtest of many configurations in one pass.

Contents
--------
Never, Calendar, Threshold     rebalancing policies (small frozen value objects)
RiskBudgetTrigger              trade when an asset's share of risk leaves its budget by more than a band
VolatilityTrigger              trade when portfolio volatility leaves a band around a target
Costs                          proportional (bps), fixed per trade, minimum trade, market impact
Config                         a named (policy, costs) pair
backtest                       simulate K configurations at once -> BacktestResult
sweep                          the configurations of a grid (band x cost x trade-to rule)
drift                          weights after holding through returns, without trading
decision, Decision             today's decision under one policy: is it due, does it trade, and why
decision_table                 the decisions of several policies side by side
make_policy                    a policy from plain parameters (name, band, frequency), for reports

Mechanics, per period t (prices at the close):

1. holdings drift with the period's returns: :math:`w_i \\leftarrow w_i (1 + r_i) / (1 + w^\\top r)`;
   a cash weight (target ``1 - sum(target)``) earns nothing;
2. the policy decides whether to trade, and how far: to the target, to the band edge
   (the smallest move that brings every asset inside its band), or a fraction of the way;
3. trades smaller than ``Costs.min_trade`` are skipped (their weight stays, cash absorbs it);
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

from riskkit._validation import check_choice, check_int, check_real, format_items
from riskkit.exceptions import InvalidParameterError

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
    "sweep",
]

_PERIOD = {"W": "W-SUN", "M": "M", "Q": "Q-DEC", "Y": "Y-DEC"}


@dataclass(frozen=True)
class Never:
    """Buy and hold: never trade after day 0."""


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
            mask[1:] = True
            return mask
        keys = np.asarray(index.to_period(_PERIOD[self.freq]).asi8)
        change = keys[1:] != keys[:-1]
        if self.anchor == "start":
            mask[1:] = change  # first observation of a new period
        else:
            mask[:-1] = change  # last observation of a period
            mask[0] = False
        return mask


@dataclass(frozen=True)
class Threshold:
    """Rebalance when a weight drifts outside its band.

    ``kind="absolute"``: :math:`|w_i - w^*_i| > b`; ``"relative"``:
    :math:`|w_i / w^*_i - 1| > b`. Checked every period, or only on the dates of
    ``monitor`` (a :class:`Calendar`: "monitor monthly, trade when 5% off").
    ``to``: ``"target"`` (all the way), ``"edge"`` (the smallest uniform move
    that brings every asset inside its band, so the worst one lands on its
    edge), or a fraction in (0, 1] of the way.
    """

    band: float
    kind: Literal["absolute", "relative"] = "absolute"
    monitor: Calendar | None = None
    to: Literal["target", "edge"] | float = "target"

    def __post_init__(self):
        check_real("band", self.band, low=0.0, high=1.0, low_open=True, high_open=True)
        check_choice("kind", self.kind, ("absolute", "relative"))
        if isinstance(self.to, str):
            check_choice("to", self.to, ("target", "edge"))
        else:
            check_real("to", self.to, low=0.0, high=1.0, low_open=True)


@dataclass(frozen=True)
class RiskBudgetTrigger:
    """Trade to target when an asset's share of risk drifts from its budget by more than ``band``.

    ``budgets``: asset -> share of risk (summing to 1); default: the target
    portfolio's own risk shares at each check. Needs ``covariance=`` in
    :func:`backtest` (the latest estimate on each date is used).
    """

    band: float
    budgets: Mapping | None = None
    monitor: Calendar | None = None

    def __post_init__(self):
        check_real("band", self.band, low=0.0, high=1.0, low_open=True, high_open=True)


@dataclass(frozen=True)
class VolatilityTrigger:
    """Trade to target when the drifted portfolio's forecast volatility leaves
    ``reference * (1 ± band)``.

    The reference is the target portfolio's volatility under the same
    covariance (``target=None``: risk drift, which a rebalance corrects), or a
    fixed annualised level ``target`` (for targets that are themselves scaled
    to a volatility). Needs ``covariance=`` in :func:`backtest`.
    """

    band: float
    target: float | None = None
    monitor: Calendar | None = None

    def __post_init__(self):
        check_real("band", self.band, low=0.0, high=1.0, low_open=True, high_open=True)
        if self.target is not None:
            check_real("target", self.target, low=0.0, low_open=True)


@dataclass(frozen=True)
class Costs:
    """Trading costs, charged against portfolio value.

    proportional : float or mapping asset -> float
        Basis points of traded notional.
    fixed : float
        Currency per executed trade (per asset traded).
    min_trade : float
        Trades below this notional (currency) are not executed.
    impact : (a, b)
        Market impact per trade as a fraction of portfolio value traded,
        :math:`u = |x| / V`: cost :math:`V (a u + b u^{1.5})`.
    """

    proportional: float | Mapping = 0.0
    fixed: float = 0.0
    min_trade: float = 0.0
    impact: tuple[float, float] = (0.0, 0.0)

    def __post_init__(self):
        values = self.proportional.values() if isinstance(self.proportional, Mapping) else [self.proportional]
        for v in values:
            check_real("proportional", v, low=0.0)
        check_real("fixed", self.fixed, low=0.0)
        check_real("min_trade", self.min_trade, low=0.0)
        for v in self.impact:
            check_real("impact", v, low=0.0)

    def rates(self, assets: Sequence | None = None) -> np.ndarray | float:
        """Proportional cost as a fraction of notional, per asset of ``assets``
        (a mapping must name only those assets; unnamed ones cost nothing)."""
        if not isinstance(self.proportional, Mapping):
            rate = float(self.proportional) * 1e-4
            return rate if assets is None else np.full(len(assets), rate)
        if assets is None:
            raise InvalidParameterError(
                "proportional costs are given per asset: say which assets are traded."
            )
        unknown = set(self.proportional) - set(assets)
        if unknown:
            raise InvalidParameterError(
                "costs.proportional names assets that are not traded: "
                f"{format_items(sorted(map(str, unknown)))}."
            )
        return np.array([self.proportional.get(a, 0.0) for a in assets], dtype=float) * 1e-4

    def of(
        self, notional: np.ndarray | float, /, *, value: float, assets: Sequence | None = None
    ) -> np.ndarray:
        """Cost of each executed trade of ``notional`` (currency, sign ignored) out of a
        portfolio worth ``value``: proportional + fixed + impact :math:`V(a u + b u^{1.5})`,
        :math:`u = |x| / V`. Zero trades cost nothing; the minimum trade size is the
        caller's rule (trades below it are not executed). The backtest kernel applies
        the same formula."""
        x = np.abs(np.asarray(notional, dtype=float))
        u = x / value
        c = self.rates(assets) * x + self.fixed + value * (self.impact[0] * u + self.impact[1] * u**1.5)
        return np.where(x > 0, c, 0.0)


@dataclass(frozen=True)
class Config:
    """A named rebalancing configuration."""

    name: str
    policy: Never | Calendar | Threshold | RiskBudgetTrigger | VolatilityTrigger
    costs: Costs = field(default_factory=Costs)


@dataclass(frozen=True, eq=False)
class BacktestResult:
    """Paths and records of every configuration (columns are configuration names).

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
    turnover: pd.DataFrame = field(repr=False)
    costs: pd.DataFrame = field(repr=False)
    rebalanced: pd.DataFrame = field(repr=False)
    tracking: pd.DataFrame = field(repr=False)
    weights: dict = field(default_factory=dict, repr=False)
    target_values: pd.Series | None = field(default=None, repr=False)
    buy_and_hold: pd.Series | None = field(default=None, repr=False)
    periods_per_year: float | None = None
    returns: pd.DataFrame | None = field(default=None, repr=False)

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
        """Performance and trading metrics per configuration (see :mod:`riskkit.metrics`)."""
        from riskkit.metrics import backtest_summary

        return backtest_summary(self, risk_free=risk_free)


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
    covariance : RollingShrinkage, optional
        Dated covariance estimates (:func:`riskkit.shrinkage.rolling_shrink`) for
        the risk-based triggers; on each date the latest estimate dated on or
        before it is used, so nothing is looked up ahead.
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

    # per-configuration parameters as arrays over K
    due = np.zeros((T, K), dtype=bool)
    band = np.full(K, np.inf)
    relative = np.zeros(K, dtype=bool)
    mode = np.zeros(K)  # fraction of the way to trade (1: to target); edge computed in the kernel
    edge = np.zeros(K, dtype=bool)
    is_threshold = np.zeros(K, dtype=bool)
    prop = np.zeros((K, N))
    fixed = np.zeros(K)
    min_trade = np.zeros(K)
    imp_a = np.zeros(K)
    imp_b = np.zeros(K)
    risk_kind = np.zeros(K, dtype=np.int64)
    risk_band = np.zeros(K)
    budgets = np.zeros((K, N))
    vol_target = np.ones(K)
    cache: dict = {}
    for k, c in enumerate(configs):
        pol = c.policy
        if isinstance(pol, RiskBudgetTrigger | VolatilityTrigger):
            if covariance is None:
                raise InvalidParameterError(
                    f"configs[{k}] ({c.name!r}) uses a risk trigger: "
                    "pass covariance= (rolling_shrink estimates)."
                )
            due[:, k] = (
                _cached_dates(cache, pol.monitor, P.index)
                if pol.monitor
                else np.r_[False, np.ones(T - 1, bool)]
            )
            mode[k] = 1.0
            risk_band[k] = pol.band
            if isinstance(pol, RiskBudgetTrigger):
                risk_kind[k] = 1
                budgets[k] = np.nan if pol.budgets is None else [pol.budgets.get(a, 0.0) for a in assets]
            else:
                risk_kind[k] = 2
                vol_target[k] = 0.0 if pol.target is None else pol.target
        elif isinstance(pol, Calendar):
            due[:, k] = _cached_dates(cache, pol, P.index)
            mode[k] = 1.0
        elif isinstance(pol, Threshold):
            is_threshold[k] = True
            due[:, k] = (
                _cached_dates(cache, pol.monitor, P.index)
                if pol.monitor
                else np.r_[False, np.ones(T - 1, bool)]
            )
            band[k] = pol.band
            relative[k] = pol.kind == "relative"
            edge[k] = pol.to == "edge"
            mode[k] = 1.0 if pol.to in ("target", "edge") else float(pol.to)
        elif not isinstance(pol, Never):
            raise InvalidParameterError(
                f"configs[{k}].policy must be Never, Calendar or Threshold, got {pol!r}."
            )
        cs = c.costs
        prop[k] = cs.rates(assets)
        fixed[k], min_trade[k] = cs.fixed, cs.min_trade
        imp_a[k], imp_b[k] = cs.impact

    from riskkit._engine import simulate

    values = np.zeros((T, K))
    turnover = np.zeros((T, K))
    costs = np.zeros((T, K))
    rebal = np.zeros((T, K), dtype=np.bool_)
    tracking = np.zeros((T, K))
    wpath = np.zeros((T, K, N)) if record else np.zeros((1, 1, 1))
    tgt_row = np.searchsorted(targets.index.asi8, P.index.asi8, side="right") - 1
    tgt = np.ascontiguousarray(targets.to_numpy())
    covs, cov_row = _covariance_rows(covariance, P.index, assets, risk_kind.any())
    if risk_kind.any():
        ppy_risk = _ppy(P.index)
        if ppy_risk is None and (risk_kind == 2).any():
            raise InvalidParameterError("volatility triggers need a regular calendar to annualise.")
        vol_target = vol_target / np.sqrt(ppy_risk or 1.0)  # per period, as the covariances
        for k in np.flatnonzero(risk_kind == 1):
            if np.isnan(budgets[k]).any():  # default budgets: the target's own risk shares, latest estimate
                budgets[k] = _risk_shares(tgt[tgt_row[-1]], covs[cov_row[cov_row >= 0][0]])
    simulate(
        np.ascontiguousarray(R), tgt, tgt_row, np.ascontiguousarray(due), band, relative, mode, edge,
        is_threshold, np.ascontiguousarray(prop), fixed, min_trade, imp_a, imp_b, V0, record,
        risk_kind, risk_band, budgets, vol_target, covs, cov_row,
        values, turnover, costs, rebal, tracking, wpath,
    )  # fmt: skip
    # the references: constant mix (rebalanced every period, no costs) and buy-and-hold
    tv = V0 * np.concatenate([[1.0], np.cumprod(1.0 + np.einsum("ti,ti->t", tgt[tgt_row[:-1]], R))])
    w0 = tgt[tgt_row[0]]
    Pv = P.to_numpy()
    bh = V0 * ((Pv / Pv[0]) @ w0 + (1.0 - w0.sum()))
    cols = pd.Index(names, name="config")
    frame = lambda a: pd.DataFrame(a, index=P.index, columns=cols, copy=False)  # noqa: E731
    ppy = _ppy(P.index)
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


def sweep(
    *,
    bands: Sequence[float],
    costs_bps: Sequence[float] = (0.0,),
    to: Sequence[str | float] = ("target",),
    kind: Literal["absolute", "relative"] = "absolute",
    monitor: Calendar | None = None,
    fixed: float = 0.0,
) -> list[Config]:
    """Threshold configurations for every (band, cost, trade-to) combination.

    Names read ``band=0.05|cost=10bp|to=edge``.
    """
    return [
        Config(
            f"band={b:g}|cost={c:g}bp|to={tt if isinstance(tt, str) else f'{tt:g}'}",
            Threshold(band=b, kind=kind, monitor=monitor, to=tt),
            Costs(proportional=c, fixed=fixed),
        )
        for b, c, tt in product(bands, costs_bps, to)
    ]


@dataclass(frozen=True, eq=False)
class Decision:
    """Today's rebalancing decision under one policy.

    Attributes
    ----------
    due : bool
        Today is a date the policy looks at (a calendar date, or a
        monitoring date; every date for unmonitored triggers).
    trade : bool
        The policy trades today.
    reason : str
        In words.
    assets : DataFrame
        Per asset: weight, target, drift (weight - target), and
        for band rules the limit and whether the asset is outside it; for the
        risk-budget trigger the risk share, its budget and the gap.
    volatility : tuple
        (forecast, reference) annualised, for the volatility trigger.
    """

    date: pd.Timestamp
    due: bool
    trade: bool
    reason: str
    assets: pd.DataFrame = field(repr=False)
    volatility: tuple[float, float] | None = None


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

    ``dates`` is the history up to today (its last date): calendar and
    monitoring dates are found on it exactly as :func:`backtest` finds them
    (``Calendar(every=n)`` counts from its first date). Risk triggers need the
    per-period ``covariance`` of today's estimate. The rules are those of the
    backtest engine.
    """
    from riskkit._validation import check_covariance, check_same_assets, check_weights

    w = check_weights("weights", weights, allow_zero_sum=True)
    tgt = check_weights("target", target)
    check_same_assets("weights", w.index, "target", tgt.index)
    w = w.reindex(tgt.index)
    if not isinstance(dates, pd.DatetimeIndex) or len(dates) == 0:
        raise InvalidParameterError("dates must be a non-empty DatetimeIndex ending today.")
    today = dates[-1]
    table = pd.DataFrame({"weight": w, "target": tgt, "drift": w - tgt}).rename_axis("asset")
    largest = table["drift"].abs().idxmax()
    biggest = f"largest drift {largest} {table.loc[largest, 'drift']:+.2%}"
    if isinstance(policy, Never):
        return Decision(today, False, False, f"buy and hold: never trades ({biggest}).", table)
    if not isinstance(policy, Calendar | Threshold | RiskBudgetTrigger | VolatilityTrigger):
        raise InvalidParameterError(
            "policy must be Never, Calendar, Threshold, RiskBudgetTrigger or VolatilityTrigger, "
            f"got {policy!r}."
        )
    cal = policy if isinstance(policy, Calendar) else policy.monitor
    due = bool(cal.dates(dates)[-1]) if cal is not None else True
    when = (
        "" if cal is None else (" today is a monitoring date;" if due else " today is not a monitoring date;")
    )
    if isinstance(policy, Calendar):
        moved = bool((table["drift"].abs() > 0).any())
        trade = due and moved
        word = "a rebalancing date" if due else "not a rebalancing date"
        return Decision(
            today, due, trade, f"calendar ({_describe(policy)}): today is {word}; {biggest}.", table
        )
    if isinstance(policy, Threshold):
        limit = (
            policy.band * tgt.abs() if policy.kind == "relative" else pd.Series(policy.band, index=tgt.index)
        )
        table["limit"] = limit
        table["outside"] = table["drift"].abs() > limit
        out = table.index[table["outside"].to_numpy()]
        trade = due and len(out) > 0
        what = (
            f"{len(out)} asset(s) outside the band: {format_items(out)}" if len(out) else "every asset inside"
        )
        reason = f"threshold {policy.band:g} ({policy.kind}):{when} {what}; {biggest}."
        return Decision(today, due, trade, reason, table)
    if covariance is None:
        raise InvalidParameterError(
            f"{type(policy).__name__} needs covariance= (today's per-period estimate)."
        )
    cov = check_covariance("covariance", covariance)
    check_same_assets("target", tgt.index, "covariance", cov.index)
    S = cov.loc[tgt.index, tgt.index].to_numpy()
    wv, tv = w.to_numpy(), tgt.to_numpy()
    if isinstance(policy, RiskBudgetTrigger):
        shares = pd.Series(_risk_shares(wv, S), index=tgt.index)
        if policy.budgets is None:
            budgets = pd.Series(_risk_shares(tv, S), index=tgt.index)
        else:
            budgets = pd.Series(policy.budgets, dtype=float).reindex(tgt.index, fill_value=0.0)
        table["risk_share"], table["budget"] = shares, budgets
        table["gap"] = shares - budgets
        table["outside"] = table["gap"].abs() > policy.band
        out = table.index[table["outside"].to_numpy()]
        trade = due and len(out) > 0
        what = (
            f"risk share off budget by more than {policy.band:g} for {format_items(out)}"
            if len(out)
            else "every risk share within its band"
        )
        return Decision(today, due, trade, f"risk budget:{when} {what}.", table)
    ppy = periods_per_year or _ppy(dates) or 1.0
    sigma = float(np.sqrt(wv @ S @ wv * ppy))
    ref = policy.target if policy.target is not None else float(np.sqrt(tv @ S @ tv * ppy))
    trade = due and abs(sigma / ref - 1.0) > policy.band
    word = "outside" if abs(sigma / ref - 1.0) > policy.band else "inside"
    reason = (f"volatility:{when} forecast {sigma:.2%} vs reference {ref:.2%}, {word} the "
              f"±{policy.band:.0%} band.")  # fmt: skip
    return Decision(today, due, trade, reason, table, volatility=(sigma, ref))


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


_POLICY_NAMES = ("never", "calendar", "threshold", "relative_threshold", "risk_budget", "volatility")


def make_policy(kind: str, /, *, band: float = 0.05, frequency: str = "M"):
    """A policy from plain values: ``kind`` one of never, calendar (at
    ``frequency``), threshold / relative_threshold / risk_budget / volatility
    (at ``band``, monitored at ``frequency``, or every period when it is ``""``)."""
    check_choice("kind", kind, _POLICY_NAMES)
    if kind == "never":
        return Never()
    if kind == "calendar":
        return Calendar(frequency or "D")
    monitor = Calendar(frequency) if frequency else None
    if kind in ("threshold", "relative_threshold"):
        return Threshold(
            band, kind="relative" if kind == "relative_threshold" else "absolute", monitor=monitor
        )
    if kind == "risk_budget":
        return RiskBudgetTrigger(band, monitor=monitor)
    return VolatilityTrigger(band, monitor=monitor)


def _describe(cal: Calendar) -> str:
    names = {"D": "daily", "W": "weekly", "M": "monthly", "Q": "quarterly", "Y": "yearly"}
    return f"every {cal.every} periods" if cal.every else names[cal.freq]


def _ppy(index: pd.DatetimeIndex) -> float | None:
    from riskkit.calendar import infer_periods_per_year
    from riskkit.exceptions import CalendarError

    try:
        return float(infer_periods_per_year(index))
    except CalendarError:
        return None


def _risk_shares(w: np.ndarray, cov: np.ndarray) -> np.ndarray:
    sw = cov @ w
    return w * sw / float(w @ sw)


def _covariance_rows(covariance, index: pd.DatetimeIndex, assets: pd.Index, needed: bool):
    """Covariance stack and, per date, the row of the latest estimate on or before it (-1: none)."""
    if covariance is None or not needed:
        return np.zeros((1, len(assets), len(assets))), np.full(len(index), -1, dtype=np.int64)
    if list(covariance.assets) != list(assets):
        raise InvalidParameterError(
            "covariance estimates must cover the prices' assets in the same order; "
            f"got {format_items(covariance.assets)}."
        )
    rows = np.searchsorted(covariance.dates.asi8, index.asi8, side="right") - 1
    return np.ascontiguousarray(covariance.covariances), rows.astype(np.int64)


def _cached_dates(cache: dict, cal: Calendar, index: pd.DatetimeIndex) -> np.ndarray:
    if cal not in cache:
        cache[cal] = cal.dates(index)
    return cache[cal]


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
    missing = columns.difference(assets)
    if len(missing):
        raise InvalidParameterError(f"target assets missing from prices: {format_items(missing)}.")
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
    if not columns.equals(assets):
        aligned = np.zeros((len(values), len(assets)))
        aligned[:, assets.get_indexer(columns)] = values
        values = aligned
    return pd.DataFrame(values, index=dates, columns=assets, copy=False)
