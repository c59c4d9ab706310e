"""Today's trade list: from holdings, prices, cash and target weights to orders.

Contents
--------
position     today's portfolio from holdings in units plus cash, or from weights and a value
Position     units, prices, cash; value and weights
trade_list   buys and sells in units and notional, lot sizes and a minimum trade,
             estimated costs, post-trade weights and residual cash
TradeList    the result, with the reason for each trade

Rules: the portfolio value is holdings at today's prices plus cash. Target values
are set on the value left after estimated costs (so the costs are paid from cash
and the portfolio ends fully invested at the target, up to rounding). Orders are
rounded toward zero to whole lots, never up, and orders below ``Costs.min_trade`` are
not placed (the one minimum-trade rule, :class:`riskkit.rebalancing.costs.Costs`); if rounding
leaves cash negative, buys are cut by whole lots, largest first (the fewest lots that
cover the shortfall, found by bisection: the time does not depend on the price).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from riskkit._core.result import Result
from riskkit._core.validation import (
    check_positive_prices,
    check_real,
    check_weights,
    check_weights_sum,
    count,
    format_items,
)
from riskkit.exceptions import DataError, InvalidParameterError
from riskkit.rebalancing.costs import Costs

__all__ = ["Position", "TradeList", "position", "trade_list"]


@dataclass(frozen=True, eq=False, repr=False)
class Position(Result):
    """A portfolio today: ``units`` held and ``prices`` per asset, and ``cash``.

    ``table()`` is one row per asset, ``summary()`` one row for the portfolio."""

    units: pd.Series
    prices: pd.Series
    cash: float

    def _headline(self) -> str:
        return f"{count(len(self.units), 'asset')}, value {self.value:,.2f}, cash {self.cash_weight:.2%}"

    def summary(self) -> pd.DataFrame:
        """One row: value, cash, cash weight, number of assets held."""
        return pd.DataFrame(
            [{"value": self.value, "cash": self.cash, "cash_weight": self.cash_weight,
              "assets_held": int((self.units != 0).sum())}],
            index=["position"],
        )  # fmt: skip

    @property
    def value(self) -> float:
        """Holdings at today's prices plus cash."""
        return float(self.units @ self.prices + self.cash)

    @property
    def weights(self) -> pd.Series:
        """Share of the value in each asset (the cash share is ``1 - sum``)."""
        return (self.units * self.prices / self.value).rename("weight")

    @property
    def cash_weight(self) -> float:
        return self.cash / self.value

    def table(self) -> pd.DataFrame:
        """One row per asset: units, price, market value, weight."""
        return pd.DataFrame(
            {
                "units": self.units,
                "price": self.prices,
                "value": self.units * self.prices,
                "weight": self.weights,
            }
        ).rename_axis("asset")


def position(
    prices: pd.Series | pd.DataFrame,
    /,
    *,
    holdings: Mapping | pd.Series | None = None,
    cash: float = 0.0,
    weights: Mapping | pd.Series | None = None,
    value: float | None = None,
) -> Position:
    """Today's portfolio on the assets of ``prices`` (a Series of today's prices,
    or a price DataFrame whose last row is today).

    Give either ``holdings`` (units by asset, plus ``cash``) or ``weights``
    (by asset, summing to at most 1; the remainder is cash) and the portfolio
    ``value``. Assets not named hold nothing; naming an asset without a price is
    an error.
    """
    px = check_weights("prices", prices.iloc[-1] if isinstance(prices, pd.DataFrame) else prices,
                       allow_zero_sum=True)  # fmt: skip
    check_positive_prices("prices", px)
    if (holdings is None) == (weights is None):
        raise InvalidParameterError("give either holdings= (units, with cash=) or weights= (with value=).")
    given_name, given = ("holdings", holdings) if holdings is not None else ("weights", weights)
    given = check_weights(
        given_name, dict(given) if isinstance(given, Mapping) else given, allow_zero_sum=True,
        shares=given_name == "weights",
    )  # fmt: skip
    unknown = given.index.difference(px.index, sort=False)
    if len(unknown):
        raise InvalidParameterError(f"{given_name} name assets without a price: {format_items(unknown)}.")
    if holdings is not None:
        if value is not None:
            raise InvalidParameterError("value= goes with weights=; with holdings= the value is computed.")
        units = given.reindex(px.index, fill_value=0.0)
        cash = check_real("cash", cash)
    else:
        if cash != 0.0:
            raise InvalidParameterError("cash= goes with holdings=; with weights= cash is 1 - sum(weights).")
        if value is None:
            raise InvalidParameterError("weights= needs value= (the portfolio value in currency).")
        value = check_real("value", value, low=0.0, low_open=True)
        total = float(given.sum())
        if total > 1.0 + 1e-9:
            raise InvalidParameterError(f"weights sum to {total:.6g}; at most 1 (the remainder is cash).")
        units = given.reindex(px.index, fill_value=0.0) * value / px
        cash = value * (1.0 - total)
    pos = Position(units=units.rename("units"), prices=px.rename("price"), cash=float(cash))
    if pos.value <= 0:
        raise DataError(f"the portfolio value (holdings + cash) is {pos.value:.6g}; it must be positive.")
    return pos


@dataclass(frozen=True, eq=False, repr=False)
class TradeList(Result):
    """Orders for today.

    Attributes
    ----------
    trades : DataFrame
        One row per asset: price, units (before, trade, after),
        side, notional, cost, weights (before, target, after), drift and reason.
    value_before : float
        Holdings + cash.
    costs : float
    cash_after : float
    value_after : float
        value_before - costs.

    ``summary()`` is one row; the repr is one line.
    """

    trades: pd.DataFrame
    value_before: float
    costs: float
    cash_after: float
    value_after: float

    def _headline(self) -> str:
        n = int((self.trades["side"] != "hold").sum())
        return f"{count(n, 'order')} on {count(len(self.trades), 'asset')}, costs {self.costs:,.2f}"

    @property
    def orders(self) -> pd.DataFrame:
        """Only the assets with a trade."""
        return self.trades[self.trades["side"] != "hold"]

    def summary(self) -> pd.DataFrame:
        """One row: value before, buys, sells, orders, costs, cash after and the largest drift left."""
        t = self.trades
        return pd.DataFrame(
            [
                {
                    "value_before": self.value_before,
                    "buys": float(t.loc[t["side"] == "buy", "notional"].sum()),
                    "sells": float(-t.loc[t["side"] == "sell", "notional"].sum()),
                    "orders": int((t["side"] != "hold").sum()),
                    "costs": self.costs,
                    "cash_after": self.cash_after,
                    "cash_weight_after": self.cash_after / self.value_after,
                    "max_abs_drift_after": float((t["weight_after"] - t["target"]).abs().max()),
                }
            ],
            index=["trade list"],
        )


def trade_list(
    holdings: pd.Series,
    prices: pd.Series,
    target: pd.Series,
    /,
    *,
    cash: float = 0.0,
    lot_sizes: pd.Series | float | None = None,
    costs: Costs | None = None,
    allow_leverage: bool = False,
    fraction: float = 1.0,
) -> TradeList:
    """Orders that bring ``holdings`` (units) to ``target`` weights at ``prices``,
    or ``fraction`` of the way there.

    Parameters
    ----------
    holdings : Series
        Units held by asset (assets of the target not held may be absent).
    prices : Series
        Today's price of every asset held or targeted.
    target : Series
        Target weights summing to 1 (unless ``allow_leverage``).
    cash : float
        Cash held (currency).
    lot_sizes : Series or float, optional
        Trade units in multiples of this (e.g. 1 share, 0.001 BTC).
    costs : Costs, optional
        Cost model (proportional bps, fixed per order, impact) and the minimum
        trade: an order whose notional (after lot rounding) is below
        ``costs.min_trade`` is not placed and costs nothing.
    allow_leverage : bool, default=False
        Allow target weights that do not sum to 1.
    fraction : float, default=1.0
        How far to trade, from 0 (no order) to 1 (all the way): each order is
        this fraction of the order that reaches the target, before lot rounding
        and the minimum trade, as the backtest engine trades. Pass a policy's
        :attr:`riskkit.rebalancing.Decision.fraction` to trade where it goes
        (a band's edge move goes less than all the way).

    Examples
    --------
    Holding 1 BTC at 60,000 and 10 ETH at 3,000 with 10,000 cash (value 100,000),
    target 48/31/21 with SOL at 150; orders below 5,000 are not placed: BTC is
    sold for 12,000 and SOL bought for 21,000, the ETH buy of 1,000 is not placed
    (its 1,000 stays in cash):

    >>> import pandas as pd
    >>> from riskkit.rebalancing.costs import Costs
    >>> tl = trade_list(pd.Series({"BTC": 1.0, "ETH": 10.0}),
    ...                 pd.Series({"BTC": 60_000.0, "ETH": 3_000.0, "SOL": 150.0}),
    ...                 pd.Series({"BTC": 0.48, "ETH": 0.31, "SOL": 0.21}),
    ...                 cash=10_000.0, costs=Costs(min_trade=5_000.0))
    >>> tl.trades["notional"].round(2).tolist()
    [-12000.0, 0.0, 21000.0]
    >>> round(tl.cash_after, 2)
    1000.0

    Half of the way: each order is halved.

    >>> trade_list(pd.Series({"A": 6.0, "B": 2.0}), pd.Series({"A": 10.0, "B": 10.0}),
    ...            pd.Series({"A": 0.5, "B": 0.5}), fraction=0.5).trades["units_trade"].tolist()
    [-1.0, 1.0]
    """
    costs = costs or Costs()
    fraction = check_real("fraction", fraction, low=0.0, high=1.0)
    tgt = check_weights("target", target, shares=True)
    if not allow_leverage:  # the one rule; allow_leverage=True accepts other totals
        check_weights_sum("target", tgt)
    held = check_weights("holdings", holdings, allow_zero_sum=True)
    px = check_weights("prices", prices, allow_zero_sum=True)
    assets = held.index.union(tgt.index, sort=False)
    missing = assets.difference(px.index)
    if len(missing):
        raise InvalidParameterError(f"prices are missing for {format_items(missing)}.")
    check_positive_prices("prices", px.reindex(assets))
    cash = check_real("cash", cash)
    p = px.reindex(assets).to_numpy()
    u0 = held.reindex(assets, fill_value=0.0).to_numpy()
    w_t = tgt.reindex(assets, fill_value=0.0).to_numpy()
    lots = _lots(lot_sizes, assets)
    value = float(u0 @ p + cash)
    if value <= 0:
        raise DataError(f"the portfolio value (holdings + cash) is {value:.6g}; nothing to allocate.")

    def plan(investable: float):
        units = fraction * (w_t * investable - u0 * p) / p
        has_lot = lots > 0
        units[has_lot] = whole_lots(units[has_lot], lots[has_lot]) * lots[has_lot]  # toward zero
        notional = units * p
        placed = costs.executed(notional)
        return np.where(placed, units, 0.0), np.where(placed, notional, 0.0)

    def cost_of(notional: np.ndarray) -> np.ndarray:
        return costs.of(notional, value=value, assets=assets)

    units, notional = plan(value)
    for _ in range(3):  # costs are paid from cash: target the value left after them
        units, notional = plan(value - float(cost_of(notional).sum()))
    cost = cost_of(notional)
    cash_after = cash - float(notional.sum()) - float(cost.sum())
    if cash_after < -1e-9 * value:  # rounding and costs overdrew cash: cut buys, largest first
        cost, cash_after = _cut_buys(units, notional, p, lots, cash, costs, cost_of)
    u1 = u0 + units
    value_after = value - float(cost.sum())
    w_before = u0 * p / value
    w_after = u1 * p / value_after
    side = np.where(units > 0, "buy", np.where(units < 0, "sell", "hold"))
    drift = w_before - w_t
    reason = np.where(
        side == "sell",
        np.where(drift > 0, "above target (ran up or overweight): sell", "sell"),
        np.where(side == "buy", np.where(drift < 0, "below target (fell or underweight): buy", "buy"), ""),
    )
    trades = pd.DataFrame(
        {
            "price": p,
            "units_before": u0,
            "units_trade": units,
            "units_after": u1,
            "side": side,
            "notional": notional,
            "cost": cost,
            "weight_before": w_before,
            "target": w_t,
            "weight_after": w_after,
            "drift": drift,
            "reason": reason,
        },
        index=pd.Index(assets, name="asset"),
    )
    return TradeList(trades, value, float(cost.sum()), float(cash_after), float(value_after))


def whole_lots(units: np.ndarray, lots: np.ndarray) -> np.ndarray:
    """Whole lots in ``units``, toward zero, exact on multiples: a quotient within 1e-9
    (relative) of an integer is that integer (0.3 / 0.1 = 2.9999999999999996 is 3 lots,
    not 2), any other is truncated."""
    q = np.asarray(units, dtype=float) / lots
    near = np.round(q)
    return np.where(np.abs(q - near) <= _LOT_RTOL * np.maximum(np.abs(q), 1.0), near, np.trunc(q))


_LOT_RTOL = 1e-9


def _cut_buys(units, notional, p, lots, cash, costs, cost_of):
    """Cut buys, largest first, until cash is not overdrawn: exactly the shortfall without a
    lot size, else by the fewest whole lots that cover it (a buy cut below ``costs.min_trade``
    is dropped), found by bisection on the number of lots: the spending falls as lots are
    cut, so O(log lots) cost evaluations, whatever the price. ``units`` and ``notional`` are
    cut in place; returns the costs and the cash left."""

    def left(i: int, n_lots: float) -> float:  # cash after buying n_lots of asset i
        units[i] = n_lots * lots[i]
        notional[i] = units[i] * p[i]
        if not costs.executed(notional[i : i + 1])[0]:
            units[i] = notional[i] = 0.0
        return cash - float(notional.sum()) - float(cost_of(notional).sum())

    cost = cost_of(notional)
    cash_after = cash - float(notional.sum()) - float(cost.sum())
    for i in np.argsort(-notional):
        if not notional[i] > 0:
            break
        if lots[i] == 0:  # no lot size: cut exactly the shortfall
            notional[i] -= min(notional[i], -cash_after)
            units[i] = notional[i] / p[i]
            cash_after = cash - float(notional.sum()) - float(cost_of(notional).sum())
        else:
            held = whole_lots(units[i : i + 1], lots[i : i + 1])[0]
            if left(i, 0.0) < 0:  # even no buy of this asset leaves cash short: drop it, go on
                cash_after = left(i, 0.0)
            else:  # the most lots in [0, held] that leave cash >= 0
                lo, hi = 0.0, held
                while hi - lo > 1:
                    mid = np.floor((lo + hi) / 2)
                    lo, hi = (mid, hi) if left(i, mid) >= 0 else (lo, mid)
                cash_after = left(i, lo)
        if cash_after >= 0:
            break
    return cost_of(notional), cash_after


def _lots(lot_sizes, assets: pd.Index) -> np.ndarray:
    if lot_sizes is None:
        return np.zeros(len(assets))  # no rounding
    if isinstance(lot_sizes, pd.Series):
        missing = assets.difference(lot_sizes.index)
        if len(missing):
            raise InvalidParameterError(f"lot_sizes is missing {format_items(missing)}.")
        lots = lot_sizes.reindex(assets).to_numpy(dtype=float)
    else:
        lots = np.full(len(assets), check_real("lot_sizes", lot_sizes, low=0.0, low_open=True))
    bad = assets[~(np.isfinite(lots) & (lots > 0))]
    if len(bad):
        raise InvalidParameterError(f"lot_sizes must be positive and finite; not for {format_items(bad)}.")
    return lots
