"""Option Greeks: Black-Scholes on spot (with dividend or carry), Black-76 on futures, and
coin-settled (inverse) options valued in the coin; vectorised over a book.

Contents
--------
option_greeks   price, delta, gamma, vega, theta, rho, vanna, volga of calls and puts (DataFrame)

Model (generalised Black-Scholes, Haug 2007, ch. 1): with cost of carry :math:`b`
(``b = rate - dividend`` on spot, ``b = 0`` on a futures price: Black 1976),

.. math::

    d_1 = \\frac{\\ln(S/K) + (b + \\sigma^2/2)\\,T}{\\sigma\\sqrt T}, \\quad d_2 = d_1 - \\sigma\\sqrt T,
    \\quad C = S e^{(b-r)T} N(d_1) - K e^{-rT} N(d_2), \\quad
    P = K e^{-rT} N(-d_2) - S e^{(b-r)T} N(-d_1).

Put delta is :math:`-e^{(b-r)T} N(-d_1)`, written so (not :math:`N(d_1) - 1`) to stay exact
deep out of the money.

Units (per option on one unit of the underlying, in the price's currency): ``price``;
``delta`` (change of price per 1 of the underlying's price); ``gamma`` (change of delta per 1 of
price); ``vega`` per 1 volatility point (0.01 of annual volatility); ``theta`` per calendar day
(1/365 of a year, the value lost as a day passes: negative for a long option); ``rho`` per 1%
(0.01) of the rate (on spot the carry moves with the rate; Black-76 holds the futures price);
``vanna`` (change of delta per volatility point); ``volga`` (change of vega per volatility
point, both per point).

Coin-settled (inverse) options, as Deribit lists BTC and ETH options: the premium is paid and
settled in the coin, ``price_coin = price_usd / S`` with ``S`` the underlying's price the model
is given (Deribit quotes on the futures price: use ``model="black76"``). With
``settlement="inverse"`` every column is the exact derivative of the **coin** price
:math:`c = V/S`, in coin: delta in coin per 1 USD of the underlying
(:math:`\\Delta/S - V/S^2`; times ``S`` it is :math:`\\Delta_{BS} - c`, the coin delta the
exchange displays), gamma in coin per USD squared, vega, theta and rho in coin per point,
day and 1%. A book valued in USD holds a coin option worth ``c * S = V``: its USD Greeks are
those of ``settlement="linear"``.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from riskkit._core.validation import check_choice, check_real, format_items
from riskkit.exceptions import InvalidParameterError

__all__ = ["option_greeks"]

GREEKS = ("price", "delta", "gamma", "vega", "theta", "rho", "vanna", "volga")
_DAY = 1.0 / 365.0  # theta per calendar day
_POINT = 0.01  # one volatility point, one percent of rate


def option_greeks(
    spot: float | np.ndarray,
    strike: float | np.ndarray,
    expiry: float | np.ndarray,
    vol: float | np.ndarray,
    /,
    *,
    kind: Literal["call", "put"] | np.ndarray = "call",
    model: Literal["black_scholes", "black76"] = "black_scholes",
    settlement: Literal["linear", "inverse"] = "linear",
    rate: float = 0.0,
    dividend: float = 0.0,
    labels=None,
) -> pd.DataFrame:
    """Price and Greeks of European calls and puts, one row per option (broadcast arrays).

    Parameters
    ----------
    spot, strike, expiry, vol
        Underlying price (the futures price with ``model="black76"``), strike, years to
        expiry and annual volatility: all positive.
    kind : "call", "put" or an array of them
    model : {"black_scholes", "black76"}
        On spot with carry ``rate - dividend``, or on a futures price (no carry).
    settlement : {"linear", "inverse"}
        Valued in the currency, or in the coin (premium = USD price / ``spot``).
    rate, dividend : float
        Continuously compounded, annual (``dividend`` is a yield, or a lending/staking rate;
        ignored by Black-76).
    labels : sequence, optional
        Names of the options, for the result's index and the errors (default positions 0..n-1).

    Returns
    -------
    DataFrame
        Columns ``price, delta, gamma, vega, theta, rho, vanna, volga`` in the units of the
        module docstring.

    Examples
    --------
    >>> g = option_greeks(100.0, 100.0, 1.0, 0.2, kind="call")
    >>> round(g["price"].item(), 4), round(g["delta"].item(), 4), round(g["vega"].item(), 4)
    (7.9656, 0.5398, 0.397)
    """
    model = check_choice("model", model, ("black_scholes", "black76"))
    settlement = check_choice("settlement", settlement, ("linear", "inverse"))
    rate = check_real("rate", rate)
    dividend = check_real("dividend", dividend)
    S, K, T, v, call = _checked(spot, strike, expiry, vol, kind, labels)
    carry = 0.0 if model == "black76" else rate - dividend
    out = _greeks(S, K, T, v, call, rate, carry, rho_moves_carry=model == "black_scholes")
    if settlement == "inverse":
        out = _inverse(S, out)
    index = pd.Index(labels) if labels is not None else None
    return pd.DataFrame({name: out[name].ravel() for name in GREEKS}, index=index)


def _checked(spot, strike, expiry, vol, kind, labels):
    """Broadcast arrays, every one positive, kinds call/put: errors name the options."""
    arrays = [np.asarray(a, dtype=float) for a in (spot, strike, expiry, vol)]
    shape = np.broadcast_shapes(*(a.shape for a in arrays), np.shape(kind))
    S, K, T, v = (np.broadcast_to(a, shape) for a in arrays)
    kinds = np.broadcast_to(np.asarray(kind), shape)
    names = np.asarray(labels if labels is not None else np.arange(S.size)).ravel()
    for name, arr in (("expiry", T), ("vol", v), ("spot", S), ("strike", K)):
        bad = np.flatnonzero(~(arr.ravel() > 0))
        if bad.size:
            raise InvalidParameterError(
                f"{name} must be positive (expiry in years, vol annualised); not for the option(s) "
                f"{format_items(names[bad].tolist())} (value {arr.ravel()[bad[0]]!r})."
            )
    bad = np.flatnonzero(~np.isin(kinds.ravel(), ["call", "put"]))
    if bad.size:
        raise InvalidParameterError(
            f"kind must be 'call' or 'put'; not for the option(s) {format_items(names[bad].tolist())} "
            f"(got {format_items(sorted(set(kinds.ravel()[bad].tolist())))})."
        )
    return S, K, T, v, kinds == "call"


def _greeks(S, K, T, v, call, rate: float, carry, *, rho_moves_carry: bool = True) -> dict:
    """Generalised Black-Scholes on checked broadcast arrays: the columns of :func:`option_greeks`
    (linear, per point and per day). ``carry`` is :math:`b`; ``rho_moves_carry``: the carry
    moves with the rate (spot) or not (Black-76)."""
    from riskkit._core import normal as norm

    sq = v * np.sqrt(T)
    d1 = (np.log(S / K) + (carry + 0.5 * v * v) * T) / sq
    d2 = d1 - sq
    grow, disc = np.exp((carry - rate) * T), np.exp(-rate * T)
    sign = np.where(call, 1.0, -1.0)
    Nd1, Nd2 = norm.cdf(sign * d1), norm.cdf(sign * d2)
    nd1 = norm.pdf(d1)
    price = sign * (S * grow * Nd1 - K * disc * Nd2)
    delta = sign * grow * Nd1
    vega = S * grow * nd1 * np.sqrt(T)  # per unit of volatility
    theta = -S * grow * nd1 * v / (2 * np.sqrt(T)) - sign * (
        (carry - rate) * S * grow * Nd1 + rate * K * disc * Nd2
    )
    carry_rho = sign * T * S * grow * Nd1  # dV/db at a fixed rate
    rho = -T * price + (carry_rho if rho_moves_carry else 0.0)
    return {
        "price": price,
        "delta": delta,
        "gamma": grow * nd1 / (S * sq),
        "vega": vega * _POINT,
        "theta": theta * _DAY,
        "rho": rho * _POINT,
        "vanna": -grow * nd1 * d2 / v * _POINT,
        "volga": vega * d1 * d2 / v * _POINT * _POINT,
    }


def _inverse(S, g: dict) -> dict:
    """Greeks of the coin price :math:`c = V/S` from those of :math:`V` (exact derivatives)."""
    V, D, G = g["price"], g["delta"], g["gamma"]
    out = {name: g[name] / S for name in ("price", "vega", "theta", "rho", "volga")}
    out["delta"] = D / S - V / S**2
    out["gamma"] = G / S - 2 * D / S**2 + 2 * V / S**3
    out["vanna"] = g["vanna"] / S - g["vega"] / S**2
    return out
