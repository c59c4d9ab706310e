"""Trading costs: one cost model for the backtest, the trade list and the hedges.

Contents
--------
Costs      proportional (a fraction of notional), fixed per trade, minimum trade, market impact

The formula and the minimum-trade rule are written once here (:func:`trade_cost`,
:func:`executes`); the compiled backtest kernel (:mod:`riskkit.rebalancing._engine`) compiles
these same two functions, and :mod:`riskkit.rebalancing.trades` and :mod:`riskkit.hedging`
call :meth:`Costs.of` and :meth:`Costs.executed`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from riskkit._core.validation import check_real, format_items
from riskkit.exceptions import InvalidParameterError

__all__ = ["Costs"]

MAX_PROPORTIONAL = 0.1  # 1,000 bp: above it a value is basis points given by mistake
BPS = 1e-4  # one basis point as a fraction: what the former cost_bps= keywords are converted with


def bps_alias(f):
    """Under ``@renamed(cost_bps="proportional")``: the former keyword held basis points,
    the new one holds a fraction, so the value is converted here (bps * 1e-4, a number
    or a sequence) before the rename warns."""
    import functools

    @functools.wraps(f)
    def inner(*args, **kwargs):
        if "cost_bps" in kwargs:
            bps = kwargs["cost_bps"]
            kwargs["cost_bps"] = [b * BPS for b in bps] if isinstance(bps, Sequence) else bps * BPS
        return f(*args, **kwargs)

    return inner


def executes(notional, min_trade):
    """The minimum-trade rule: a trade of absolute ``notional`` (currency) is executed
    when it is not zero and at least ``min_trade``. Scalars or arrays (compiled by the
    backtest kernel as it stands)."""
    return (notional > 0.0) & (notional >= min_trade)


def trade_cost(notional, value, rate, fixed, impact_a, impact_b):
    """Cost of one executed trade of absolute ``notional`` out of a portfolio worth
    ``value``: :math:`c x + F + V (a u + b u^{1.5})`, :math:`u = x / V`. Scalars or
    arrays (compiled by the backtest kernel as it stands)."""
    u = notional / value
    return rate * notional + fixed + value * (impact_a * u + impact_b * u**1.5)


@dataclass(frozen=True)
class Costs:
    """Trading costs, charged against portfolio value.

    Parameters
    ----------
    proportional : float or mapping asset -> float, default=0.0
        A fraction of traded notional (0.001 = 10 bp), at most 0.1 (a larger
        value is taken for basis points given by mistake and refused; riskkit 0.1
        read basis points here: divide them by 1e4).
    fixed : float, default=0.0
        Currency per executed trade (per asset traded).
    min_trade : float, default=0.0
        Minimum trade (currency, absolute notional). A trade smaller than this is
        **not executed**: the position stays where it is and nothing is paid.
        This is the one meaning everywhere: the backtest skips such an asset's
        trade (the other assets still trade; the policy may fire again at its
        next check), :func:`riskkit.rebalancing.trades.trade_list` does not place the order,
        and the hedging simulations in :mod:`riskkit.hedging` keep the old hedge.
    impact : (a, b), default=(0.0, 0.0)
        Market impact per trade as a fraction of portfolio value traded,
        :math:`u = |x| / V`: cost :math:`V (a u + b u^{1.5})`.

    Notes
    -----
    An executed trade of notional :math:`x` out of a portfolio worth :math:`V` costs

    .. math:: c_i |x| + F + V (a u + b u^{1.5}), \\qquad u = |x| / V,

    with :math:`c_i` the proportional rate of asset :math:`i` (a fraction) and
    :math:`F` the fixed fee. A trade with :math:`|x| <` ``min_trade`` is not
    executed and costs nothing.

    Examples
    --------
    10 bp and a fixed fee of 5 on a portfolio of 10,000: a trade of 1,000 costs
    1 + 5; with ``min_trade=500`` a trade of 400 is not executed and costs nothing.

    >>> c = Costs(proportional=0.001, fixed=5.0, min_trade=500.0)
    >>> c.of([1000.0, -400.0], value=10_000.0)
    array([6., 0.])
    >>> c.executed([1000.0, -400.0])
    array([ True, False])
    """

    proportional: float | Mapping = 0.0
    fixed: float = 0.0
    min_trade: float = 0.0
    impact: tuple[float, float] = (0.0, 0.0)

    def __post_init__(self):
        values = self.proportional.values() if isinstance(self.proportional, Mapping) else [self.proportional]
        for v in values:
            if check_real("proportional", v, low=0.0) > MAX_PROPORTIONAL:
                raise InvalidParameterError(
                    f"proportional is a fraction of traded notional (0.001 = 10 bp), at most "
                    f"{MAX_PROPORTIONAL:g}; got {v!r}: if that is basis points, pass {v * BPS:g} ({v:g} bp)."
                )
        check_real("fixed", self.fixed, low=0.0)
        check_real("min_trade", self.min_trade, low=0.0)
        if not isinstance(self.impact, tuple | list) or len(self.impact) != 2:
            from riskkit.exceptions import InvalidTypeError

            raise InvalidTypeError(f"impact must be a pair (a, b) of fractions, got {self.impact!r}.")
        for v in self.impact:
            check_real("impact", v, low=0.0)

    def rates(self, assets: Sequence | None = None) -> np.ndarray | float:
        """Proportional cost as a fraction of notional, per asset of ``assets``
        (a mapping must name only those assets; unnamed ones cost nothing)."""
        if not isinstance(self.proportional, Mapping):
            rate = float(self.proportional)
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
        return np.array([self.proportional.get(a, 0.0) for a in assets], dtype=float)

    def executed(self, notional: np.ndarray | float, /) -> np.ndarray:
        """Which trades of ``notional`` (currency, sign ignored) are executed: not zero
        and at least ``min_trade``."""
        return executes(np.abs(np.asarray(notional, dtype=float)), self.min_trade)

    def of(
        self, notional: np.ndarray | float, /, *, value: float, assets: Sequence | None = None
    ) -> np.ndarray:
        """Cost of each trade of ``notional`` (currency, sign ignored) out of a portfolio
        worth ``value`` (see Notes); trades that are not executed (zero, or below
        ``min_trade``) cost nothing."""
        x = np.abs(np.asarray(notional, dtype=float))
        c = trade_cost(x, value, self.rates(assets), self.fixed, self.impact[0], self.impact[1])
        return np.where(executes(x, self.min_trade), c, 0.0)

    def _kernel_row(self, assets: Sequence) -> tuple[np.ndarray, np.ndarray]:
        """The kernel's encoding: per-asset rates and (fixed, min_trade, a, b)."""
        return self.rates(assets), np.array([self.fixed, self.min_trade, *self.impact], dtype=float)
