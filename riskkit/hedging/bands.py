"""Cost-aware delta-hedging bands: the Whalley-Wilmott (1997) asymptotically optimal no-trade band
under proportional costs, as a policy of :func:`riskkit.hedging.banded_rehedging`, and a comparison
with fixed bands over many simulated paths.

Contents
--------
whalley_wilmott_band  the half-width of the no-trade band, in units of the underlying
WhalleyWilmott        the band as a policy (a ``bands=`` entry of ``banded_rehedging``)
compare_bands         fixed bands and band policies on cost against residual risk over price paths
BandComparison        its result: per policy, mean cost, the spread of the hedged P&L, and the
                      mean-variance loss the band minimises

The band. Whalley and Wilmott (1997) expand, for small proportional costs :math:`\\lambda`, the
utility-based hedging problem of Hodges and Neuberger (1989) (exponential utility, absolute
risk aversion :math:`\\gamma`, per unit of currency): the optimal hedge is not to trade while
the number of units held :math:`h` stays within

.. math::

    \\left| h - (-\\Delta) \\right| \\le H = \\left( \\frac{3}{2}\\,
    \\frac{e^{-r(T-t)} \\lambda S \\Gamma^2}{\\gamma} \\right)^{1/3}

and to trade to the nearest edge of the band when outside it (:math:`\\Delta, \\Gamma` the
book's, :math:`S` the price; Whalley & Wilmott 1997, section 4, in the form Zakamouline 2006
restates it). :math:`T` is the hedger's horizon, the date of the terminal wealth whose utility is
maximised (the option's expiry in the paper): a book of several options is hedged as one (one
hedge against its total :math:`\\Delta` and :math:`\\Gamma`), so its band is one band with one
horizon, the book's last expiry, when the hedge ends; a band per option would hedge each option
apart and forgo the netting of their gammas. The band widens where gamma is large (the delta
moves fast, trading after it is costly) and with the cost to the power 1/3; it closes where
gamma vanishes.

References
----------
Whalley, A. E. and Wilmott, P. (1997). An asymptotic analysis of an optimal hedging model for
option pricing with transaction costs. *Mathematical Finance* 7(3), 307-324.
Hodges, S. D. and Neuberger, A. (1989). Optimal replication of contingent claims under
transaction costs. *Review of Futures Markets* 8, 222-239.
Zakamouline, V. I. (2006). Optimal hedging of option portfolios with transaction costs. Working
paper, Agder University College (revision of January 17, 2006).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from riskkit._core.result import Result
from riskkit._core.validation import check_real, format_items
from riskkit.exceptions import InvalidParameterError

__all__ = ["BandComparison", "WhalleyWilmott", "compare_bands", "whalley_wilmott_band"]


def whalley_wilmott_band(
    gamma, spot, /, *, proportional: float, risk_aversion: float, rate: float = 0.0, expiry=0.0
):
    """Half-width :math:`H` of the Whalley-Wilmott no-trade band (units of the underlying).

    ``gamma``: the book's gamma (units per 1 of price); ``spot``: the price; ``proportional``:
    the cost, a fraction of the traded notional; ``risk_aversion``: :math:`\\gamma`, per unit of
    currency; ``expiry``: years left (enters only through :math:`e^{-r(T-t)}`). Arrays broadcast.

    >>> round(float(whalley_wilmott_band(0.002, 100.0, proportional=0.001, risk_aversion=0.01)), 6)
    0.039149
    """
    lam = check_real("proportional", proportional, low=0.0)
    gam = check_real("risk_aversion", risk_aversion, low=0.0, low_open=True)
    g, S, tau = (np.asarray(a, dtype=float) for a in (gamma, spot, expiry))
    return np.cbrt(1.5 * np.exp(-rate * tau) * lam * S * g**2 / gam)


@dataclass(frozen=True)
class WhalleyWilmott:
    """The Whalley-Wilmott band as a re-hedging policy with risk aversion ``risk_aversion``
    (per unit of currency): ``banded_rehedging(book, prices, bands=(0.0, 0.1,
    WhalleyWilmott(1e-4)), costs=...)`` takes the cost from ``costs.proportional``."""

    risk_aversion: float

    def __post_init__(self):
        check_real("risk_aversion", self.risk_aversion, low=0.0, low_open=True)

    def half_width(self, gamma, spot, *, proportional: float, rate: float = 0.0, expiry=0.0):
        """:func:`whalley_wilmott_band` at this risk aversion."""
        return whalley_wilmott_band(
            gamma, spot, proportional=proportional, risk_aversion=self.risk_aversion, rate=rate, expiry=expiry
        )

    def __str__(self) -> str:
        aversion = f"{self.risk_aversion:.12f}".rstrip("0").rstrip(".")  # 0.00003, not 3e-05
        return f"Whalley-Wilmott (risk aversion {aversion})"


@dataclass(frozen=True, eq=False, repr=False)
class BandComparison(Result):
    """Hedging policies compared over simulated paths.

    Attributes
    ----------
    table : DataFrame
        Per policy (index ``band``, in words: ``"fixed 5%"`` for a band of 5% of the delta,
        ``"Whalley-Wilmott"`` for the gamma band): mean ``rehedges``, mean ``hedging_cost`` (currency),
        ``mean_pnl`` and ``pnl_std`` of the final hedged P&L after costs (currency), and ``loss``:
        mean cost :math:`+ \\tfrac{\\gamma}{2}` variance of the final hedged P&L at
        ``risk_aversion`` (currency; lower is better), the mean-variance form of the criterion the
        Whalley-Wilmott band minimises. The hedged P&L before costs has the same expectation
        under every policy (the hedge's gains :math:`h\\,\\delta S` have mean zero on martingale
        prices), so the mean cost stands for minus the mean P&L without its sampling noise;
        ``units`` "per path" (totals over each path).
    risk_aversion : float
    n_paths : int
    """

    table: pd.DataFrame
    risk_aversion: float
    n_paths: int

    def _headline(self) -> str:
        best = self.table["loss"].idxmin()
        return f"{len(self.table)} policies over {self.n_paths} paths; lowest loss: {best}"

    def summary(self) -> pd.DataFrame:
        """The table."""
        return self.table


def compare_bands(
    book: pd.DataFrame,
    paths: pd.DataFrame,
    /,
    *,
    bands=(0.0, 0.05, 0.1, 0.2),
    risk_aversion: float,
    costs=None,
    periods_per_year: float | None = None,
    rate: float = 0.0,
) -> BandComparison:
    """Delta-hedge ``book`` (:func:`riskkit.hedging.book_greeks`'s columns) along every column of
    ``paths`` with each of ``bands`` (shares of the delta, as :func:`riskkit.hedging.banded_rehedging`,
    or band policies such as :class:`WhalleyWilmott`), and the Whalley-Wilmott band at
    ``risk_aversion`` added when no policy is given; the loss is measured at ``risk_aversion``.
    The band is the book's (its total gamma, one hedge), with the book's last expiry as the
    horizon :math:`T` (see the module docstring). The result's index names the policies in words
    (``"fixed 5%"``, ``"Whalley-Wilmott"``).
    """
    from riskkit.hedging import _band_rule, _option_calendar, _rehedge, book_greeks
    from riskkit.hedging.greeks import _greeks
    from riskkit.rebalancing.costs import Costs

    costs = costs or Costs()
    gam = check_real("risk_aversion", risk_aversion, low=0.0, low_open=True)
    if not isinstance(paths, pd.DataFrame) or len(paths) < 3:
        raise InvalidParameterError(
            "paths must be a DataFrame of at least 3 dates x paths of the underlying's price."
        )
    S = paths.to_numpy(dtype=float)
    ppy = _option_calendar(paths, periods_per_year)
    book_greeks(book, float(S[0, 0]), rate=rate)  # validates the book
    elapsed = (np.arange(len(S)) / ppy)[:, None, None]
    T0 = book["expiry"].to_numpy(dtype=float)
    late = book.index[T0 <= float(elapsed[-1, 0, 0])]
    if len(late):
        raise InvalidParameterError(
            f"every option must expire after the last date of the paths; not the rows {format_items(late)}."
        )
    q = book["quantity"].to_numpy(dtype=float)
    K, vol = (book[c].to_numpy(dtype=float)[None, None, :] for c in ("strike", "vol"))
    call = (book["kind"].to_numpy() == "call")[None, None, :]
    g = _greeks(S[:, :, None], K, T0[None, None, :] - elapsed, vol, call, rate, rate)
    value, delta, gamma = g["price"] @ q, g["delta"] @ q, g["gamma"] @ q
    if not any(hasattr(b, "half_width") for b in bands):
        bands = (*bands, WhalleyWilmott(gam))
    rows = []
    for band in bands:
        label, rule = _band_rule(band, gamma, S, T0.max() - elapsed[:, :, 0], costs, rate)
        pnl, cost, _, trades = _rehedge(S, value, delta, rule, costs)
        final = (pnl - cost).sum(axis=0)
        rows.append(
            {
                "band": _label(band, label, gam),
                "rehedges": float(trades.mean()),
                "hedging_cost": float(cost.sum(axis=0).mean()),
                "mean_pnl": float(final.mean()),
                "pnl_std": float(final.std(ddof=1)),
                "loss": float(cost.sum(axis=0).mean() + 0.5 * gam * final.var(ddof=1)),
                "units": "per path",
            }
        )
    return BandComparison(pd.DataFrame(rows).set_index("band"), gam, S.shape[1])


def _label(band, label, risk_aversion: float) -> str:
    """A policy in words: ``"fixed 5%"`` (a band of 5% of the delta), ``"fixed 0% (every
    period)"``, ``"Whalley-Wilmott"`` at the comparison's risk aversion, else the policy's name."""
    from riskkit._core import formats

    if isinstance(band, WhalleyWilmott) and band.risk_aversion == risk_aversion:
        return "Whalley-Wilmott"
    if isinstance(label, str):
        return label
    text = formats.percent(label, 0 if round(label * 100, 6).is_integer() else 1)
    return f"fixed {text}" + (" (every period)" if label == 0 else "")
