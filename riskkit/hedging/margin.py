"""Derivative books on margin: spot, futures, perpetual swaps and options, their delta-equivalent
exposure, funding carry and liquidation distance.

Contents
--------
margin_book     value, Greeks, margin and liquidation distance of a book, per position and in total
position_labels one label per row of a book, numbered within its kind: "option 1", "hedge 1", "perpetual 1"
MarginBook      its result: ``positions``, ``underlyings`` (exposure by underlying), the book's
                equity, maintenance margin and liquidation moves; ``weights()`` for the risk split

The book is a DataFrame, one row per position (the index names it), with columns

``underlying``
    the asset whose price moves it (a label of ``spots``)
``instrument``
    ``"spot"``, ``"future"``, ``"perpetual"`` or ``"option"``
``quantity``
    negative when short: units of the underlying (coins) for spot, linear contracts and every
    option; USD notional for inverse futures and perpetuals (as BitMEX and Deribit list them)
``settlement``
    ``"linear"`` (USD/USDT-margined, collateral in the currency) or ``"inverse"``
    (coin-margined, collateral and P&L in the coin); left out or empty: linear
``entry_price``
    futures and perpetuals: the price the position was opened at; margined options: the
    premium paid per option (currency, or coin when inverse)
``collateral``
    futures and perpetuals, and options held on margin (currency; coin when inverse)
``maintenance``
    maintenance-margin rate, a fraction of the notional (0.005 is 0.5%)
``funding``
    perpetuals: the funding rate per funding interval (``funding_hours``, 8 h on most
    exchanges), a fraction of the notional; positive: longs pay shorts
``kind``, ``strike``, ``expiry``, ``vol``
    options (years to expiry, annual vol); ``model`` optional: ``"black_scholes"``
    (default) or ``"black76"``

Conventions. A future's or perpetual's mark moves one for one with its underlying (the basis is
held); spot rows are held outright (no margin). Equity in USD, per position (isolated margin):

* linear contract: :math:`C + q (S - E)`; maintenance :math:`m |q| S`;
* inverse contract: :math:`S\\,[C + q (1/E - 1/S)]`; maintenance :math:`m |q|` (coin
  :math:`m|q|/S` worth :math:`S` each);
* option: :math:`C + q (V - e)` linear, :math:`S\\,[C + q (V/S - e)]` inverse; maintenance
  :math:`m |q| S`; unmargined (no collateral): :math:`q V`.

Its delta-equivalent exposure is the derivative of that equity in units of the underlying: ``q``
for spot and linear contracts, :math:`C + q/E` for an inverse contract (the coin collateral is a
long coin position), :math:`q\\Delta` for an option (plus :math:`C - q e` inverse). The
**liquidation move** is the relative move of the underlying's price that takes equity down to
maintenance margin: closed forms :math:`S_L = (qE - C) / (q - m|q|)` (linear) and
:math:`S_L = (q + m|q|) / (C + q/E)` (inverse), found numerically for options. The book (cross
margin: every position's equity, spot and options included, against the sum of the maintenance
margins) is moved by one common relative move of every underlying.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from riskkit._core.result import Result
from riskkit._core.validation import check_real, format_items
from riskkit.exceptions import InvalidParameterError
from riskkit.hedging.greeks import _greeks

__all__ = ["MarginBook", "margin_book", "position_labels"]

INSTRUMENTS = ("spot", "future", "perpetual", "option")
_MOVES = np.concatenate([-np.geomspace(0.999, 1e-4, 600), [0.0], np.geomspace(1e-4, 20.0, 600)])


def position_labels(rows) -> list[str]:
    """One label per position of a book (dicts or a DataFrame's records, each with an
    ``instrument``), numbered within its kind so a reader can count them: spot rows are the
    options' ``hedge``.

    >>> position_labels([{"instrument": "option"}, {"instrument": "option"}, {"instrument": "spot"},
    ...                  {"instrument": "perpetual"}])
    ['option 1', 'option 2', 'hedge 1', 'perpetual 1']
    """
    rows = rows.to_dict("records") if isinstance(rows, pd.DataFrame) else list(rows)
    seen: dict[str, int] = {}
    labels = []
    for row in rows:
        kind = "hedge" if row.get("instrument") == "spot" else str(row.get("instrument"))
        seen[kind] = seen.get(kind, 0) + 1
        labels.append(f"{kind} {seen[kind]}")
    return labels


@dataclass(frozen=True)
class _Book:
    """A checked book as arrays (one entry per position), the one form every kernel reads."""

    labels: pd.Index
    underlying: np.ndarray
    spot: np.ndarray  # today's price of each position's underlying
    instrument: np.ndarray
    inverse: np.ndarray
    q: np.ndarray
    entry: np.ndarray  # 0 where not used
    collateral: np.ndarray  # 0 where not used
    maintenance: np.ndarray  # 0 where not margined
    margined: np.ndarray
    funding: np.ndarray
    option: np.ndarray
    call: np.ndarray
    strike: np.ndarray
    expiry: np.ndarray
    vol: np.ndarray
    black76: np.ndarray
    rate: float


def _column(frame: pd.DataFrame, name: str, rows: np.ndarray, what: str) -> np.ndarray:
    """Column ``name`` as floats; a riskkit error naming the rows where it is needed and missing."""
    values = (
        pd.to_numeric(frame[name], errors="coerce").to_numpy(float)
        if name in frame
        else np.full(len(frame), np.nan)
    )
    bad = frame.index[rows & ~np.isfinite(values)]
    if len(bad):
        raise InvalidParameterError(
            f"positions need {name!r} ({what}); missing for the rows {format_items(bad)}."
        )
    return np.where(rows, values, 0.0)


def _labels(frame: pd.DataFrame, name: str, choices: tuple[str, ...], rows: np.ndarray) -> np.ndarray:
    """Column ``name`` as text, left out or empty meaning ``choices[0]``; a riskkit error naming
    the ``rows`` holding anything else."""
    values = (
        frame[name].fillna(choices[0]).astype(str).to_numpy()
        if name in frame
        else np.full(len(frame), choices[0])
    )
    bad = frame.index[rows & ~np.isin(values, choices)]
    if len(bad):
        raise InvalidParameterError(
            f"{name} must be one of {format_items(choices)}; not for the rows {format_items(bad)}."
        )
    return values


def _parse(positions: pd.DataFrame, spots: pd.Series | dict, rate: float) -> _Book:
    """Check a book (the module's columns) against today's ``spots``; errors name the rows."""
    if not isinstance(positions, pd.DataFrame) or positions.empty:
        raise InvalidParameterError("positions must be a non-empty DataFrame, one row per position.")
    spots = pd.Series(spots, dtype=float)
    missing = sorted({"underlying", "instrument", "quantity"} - set(positions.columns))
    if missing:
        raise InvalidParameterError(f"positions are missing the columns {format_items(missing)}.")
    idx = positions.index
    inst = positions["instrument"].astype(str).to_numpy()
    bad = idx[~np.isin(inst, INSTRUMENTS)]
    if len(bad):
        raise InvalidParameterError(
            f"instrument must be one of {format_items(INSTRUMENTS)}; not for the rows {format_items(bad)}."
        )
    und = positions["underlying"].to_numpy()
    bad = idx[~pd.Index(und).isin(spots.index)]
    if len(bad):
        raise InvalidParameterError(
            f"spots has no price for the underlying of the rows {format_items(bad)} "
            f"({format_items(pd.unique(und[~pd.Index(und).isin(spots.index)]))})."
        )
    S = spots.reindex(und).to_numpy(float)
    bad = idx[~(S > 0)]
    if len(bad):
        raise InvalidParameterError(
            f"spots must be positive; not for the underlying of the rows {format_items(bad)}."
        )
    everyone = np.ones(len(idx), bool)
    settle = _labels(positions, "settlement", ("linear", "inverse"), everyone)
    q = _column(positions, "quantity", everyone, "units, or USD notional for inverse contracts")
    contract, option = np.isin(inst, ["future", "perpetual"]), inst == "option"
    held = option & (
        pd.to_numeric(positions["collateral"], errors="coerce").notna().to_numpy()
        if "collateral" in positions
        else False
    )
    margined = contract | held
    entry = _column(positions, "entry_price", margined, "the price opened at, or the premium paid")
    collateral = _column(positions, "collateral", margined, "currency, or coin when inverse")
    maintenance = _column(positions, "maintenance", margined, "maintenance-margin rate, a fraction")
    funding = _column(positions, "funding", inst == "perpetual", "rate per funding interval")
    _positive(idx, margined, contract, entry, maintenance, collateral)
    return _Book(
        idx,
        und,
        S,
        inst,
        settle == "inverse",
        q,
        entry,
        collateral,
        maintenance,
        margined,
        funding,
        option,
        *_options(positions, option),
        rate,
    )


def _positive(idx, margined, contract, entry, maintenance, collateral) -> None:
    """Entry prices of contracts positive, maintenance rates in [0, 1), collateral not negative."""
    for name, rows, ok, rule in (
        ("entry_price", contract, entry > 0, "positive"),
        ("maintenance", margined, (maintenance >= 0) & (maintenance < 1), "a fraction in [0, 1)"),
        ("collateral", margined, collateral >= 0, "not negative"),
    ):
        bad = idx[rows & ~ok]
        if len(bad):
            raise InvalidParameterError(f"{name} must be {rule}; not for the rows {format_items(bad)}.")


def _options(positions: pd.DataFrame, option: np.ndarray):
    """The option columns (call, strike, expiry, vol, black76), checked on the option rows."""
    idx = positions.index
    kind = positions["kind"].astype(str).to_numpy() if "kind" in positions else np.full(len(idx), "nan")
    bad = idx[option & ~np.isin(kind, ["call", "put"])]
    if len(bad):
        raise InvalidParameterError(f"options need kind 'call' or 'put'; not the rows {format_items(bad)}.")
    strike = _column(positions, "strike", option, "currency")
    expiry = _column(positions, "expiry", option, "years")
    vol = _column(positions, "vol", option, "annual volatility")
    for name, arr, rule in (
        ("expiry", expiry, "expired options are not valued"),
        ("vol", vol, "annual"),
        ("strike", strike, "currency"),
    ):
        bad = idx[option & ~(arr > 0)]
        if len(bad):
            raise InvalidParameterError(
                f"options need a positive {name} ({rule}); not the rows {format_items(bad)}."
            )
    model = _labels(positions, "model", ("black_scholes", "black76"), option)
    # placeholders on the other rows keep the kernel finite; their values are never used
    return (
        kind == "call",
        np.where(option, strike, 1.0),
        np.where(option, expiry, 1.0),
        np.where(option, vol, 1.0),
        model == "black76",
    )


def _option_greeks(b: _Book, x, dvol=0.0, dt=0.0) -> dict:
    """Greeks of one option on each row at prices ``x`` (broadcast over leading axes)."""
    carry = np.where(b.black76, 0.0, b.rate)
    tau = np.maximum(b.expiry - dt, 1e-12)
    vol = np.maximum(b.vol + dvol, 1e-6)
    return _greeks(x, b.strike, tau, vol, b.call, b.rate, carry, rho_moves_carry=True)


def _equity(b: _Book, x, dvol=0.0, dt=0.0):
    """USD equity (or value, unmargined) of each position with its underlying at ``x``."""
    V = np.where(b.option, _option_greeks(b, x, dvol, dt)["price"], 0.0)
    linear = np.where(b.option, b.collateral + b.q * (V - b.entry), b.collateral + b.q * (x - b.entry))
    inverse = np.where(
        b.option,
        x * (b.collateral - b.q * b.entry) + b.q * V,
        x * b.collateral + b.q * (x / np.where(b.entry > 0, b.entry, 1.0) - 1.0),
    )
    return np.where(b.instrument == "spot", b.q * x, np.where(b.inverse, inverse, linear))


def _maintenance(b: _Book, x):
    """USD maintenance margin of each position at ``x`` (0 where not margined)."""
    notional = np.where(b.inverse & ~b.option, np.abs(b.q), np.abs(b.q) * x)
    return b.maintenance * notional


def _funding(b: _Book, intervals: float):
    """USD funding paid (negative) or received over ``intervals`` funding intervals, at today's price."""
    notional = np.where(b.inverse, b.q, b.q * b.spot)
    return -notional * b.funding * intervals + 0.0  # + 0.0: no negative zeros


def _row_greeks(b: _Book) -> pd.DataFrame:
    """Per position, in USD terms: delta (units of the underlying), gamma, vega (per vol point),
    theta (per day)."""
    g = _option_greeks(b, b.spot)
    entry = np.where(b.entry > 0, b.entry, 1.0)
    delta = np.where(
        b.option,
        b.q * g["delta"] + np.where(b.inverse, b.collateral - b.q * b.entry, 0.0),
        np.where(b.inverse & (b.instrument != "spot"), b.collateral + b.q / entry, b.q),
    )
    zero = np.zeros(len(b.q))
    return pd.DataFrame(
        {
            "delta_units": delta,
            "gamma": np.where(b.option, b.q * g["gamma"], zero),
            "vega": np.where(b.option, b.q * g["vega"], zero),
            "theta": np.where(b.option, b.q * g["theta"], zero),
        },
        index=b.labels,
    )


def _liquidation(surplus) -> tuple[float, float]:
    """The relative moves (down, up) nearest 0 where ``surplus(m)`` (equity - maintenance, a
    function of the move) reaches 0: bracketed on a grid from -99.9% to +2000%, then solved by
    Brent's method; -inf / +inf when it does not within the grid, 0 when already at or below."""
    from scipy.optimize import brentq

    f = surplus(_MOVES)
    zero = len(_MOVES) // 2
    if f[zero] <= 0:
        return 0.0, 0.0
    out = []
    for side in (slice(zero, None, -1), slice(zero, None)):
        m, y = _MOVES[side], f[side]
        hit = np.flatnonzero(y <= 0)
        if not hit.size:
            out.append(-np.inf if side.step == -1 else np.inf)
            continue
        k = hit[0]
        out.append(float(brentq(lambda t: float(surplus(np.array([t]))[0]), m[k - 1], m[k], xtol=1e-12)))
    return out[0], out[1]


@dataclass(frozen=True, eq=False, repr=False)
class MarginBook(Result):
    """A derivative book on margin today (see :mod:`riskkit.hedging.margin` for the conventions).

    Attributes
    ----------
    positions : DataFrame
        Per position: ``underlying, instrument, settlement, spot, equity`` (USD: value when
        unmargined), ``maintenance_margin`` (USD), ``delta_units``, ``exposure`` (USD,
        delta_units x spot), ``gamma``, ``vega`` (USD per vol point), ``theta`` (USD per day),
        ``funding_carry`` (USD over ``horizon_days``), ``liquidation_down`` and
        ``liquidation_up`` (relative moves of the underlying; NaN when not margined, -inf/+inf
        when none down to -99.9% / up to +2000%), ``liquidation_distance`` (the nearer, in
        absolute value).
    underlyings : DataFrame
        The same summed by underlying (spot, delta_units, exposure, gamma, vega, theta,
        funding_carry).
    equity, maintenance : float
        The book's equity and maintenance margin (USD, cross margin).
    liquidation_down, liquidation_up : float
        The common relative move of every underlying taking the book's equity to maintenance.
    horizon_days, funding_hours : float
    """

    positions: pd.DataFrame
    underlyings: pd.DataFrame
    equity: float
    maintenance: float
    liquidation_down: float
    liquidation_up: float
    horizon_days: float
    funding_hours: float

    def _headline(self) -> str:
        from riskkit._core import formats

        return (
            f"{len(self.positions)} positions on {len(self.underlyings)} underlyings: equity "
            f"{formats.money(self.equity)}, maintenance {formats.money(self.maintenance)}; the book "
            f"reaches maintenance at {_move(self.liquidation_down)} / {_move(self.liquidation_up)}"
        )

    def summary(self) -> pd.DataFrame:
        """By underlying: price, delta (units), exposure (USD), gamma, vega (per vol point), theta
        (per day) and the funding carry over the horizon."""
        return self.underlyings

    def weights(self) -> pd.Series:
        """Delta-equivalent exposure by underlying as a share of the book's equity: the weights
        :func:`riskkit.decomposition.risk_contributions` takes (leverage shows as weights
        summing past 1; options as their delta)."""
        if not self.equity > 0:
            raise InvalidParameterError(
                f"the book's equity is {self.equity:,.2f}: exposure shares need a positive equity."
            )
        return (self.underlyings["exposure"] / self.equity).rename("weight")


def _move(m: float) -> str:
    """A liquidation move in words: a percentage, or none within the range searched."""
    from riskkit._core import formats

    if np.isinf(m):
        return "no move down to -99.9%" if m < 0 else "no move up to +2000%"
    return formats.percent(m)


def margin_book(
    positions: pd.DataFrame,
    spots: pd.Series | dict,
    /,
    *,
    rate: float = 0.0,
    horizon_days: float = 1.0,
    funding_hours: float = 8.0,
) -> MarginBook:
    """Value, Greeks, margin, funding carry and liquidation distance of a derivative book.

    Parameters
    ----------
    positions : DataFrame
        One row per position, the columns of :mod:`riskkit.hedging.margin`.
    spots : Series or dict
        Today's price by underlying.
    rate : float
        Annual rate of the options' model.
    horizon_days : float
        Days over which the funding carry is summed (calendar days).
    funding_hours : float
        Hours between fundings (8 on most exchanges; 1 on some): the ``funding`` column is per
        interval, ``24 / funding_hours`` a day.

    Returns
    -------
    MarginBook
    """
    rate = check_real("rate", rate)
    horizon_days = check_real("horizon_days", horizon_days, low=0.0)
    funding_hours = check_real("funding_hours", funding_hours, low=0.0, low_open=True)
    b = _parse(positions, spots, rate)
    table = pd.DataFrame(
        {
            "underlying": b.underlying,
            "instrument": b.instrument,
            "settlement": np.where(b.inverse, "inverse", "linear"),
            "spot": b.spot,
            "equity": _equity(b, b.spot),
            "maintenance_margin": _maintenance(b, b.spot),
        },
        index=b.labels,
    ).join(_row_greeks(b))
    table.insert(7, "exposure", table["delta_units"] * b.spot)
    table["funding_carry"] = _funding(b, horizon_days * 24.0 / funding_hours)
    down, up = np.full(len(b.q), np.nan), np.full(len(b.q), np.nan)
    for i in np.flatnonzero(b.margined):

        def surplus(m, i=i):
            x = np.outer(1.0 + m, b.spot)
            return (_equity(b, x) - _maintenance(b, x))[:, i]

        down[i], up[i] = _liquidation(surplus)
    table["liquidation_down"], table["liquidation_up"] = down, up
    table["liquidation_distance"] = np.where(np.abs(down) <= up, down, up)
    total_down, total_up = _liquidation(lambda m: _surplus_of_book(b, m))
    sums = ["delta_units", "exposure", "gamma", "vega", "theta", "funding_carry"]
    by = table.groupby("underlying", sort=False)[sums].sum()
    by.insert(0, "spot", table.groupby("underlying", sort=False)["spot"].first())
    return MarginBook(
        table,
        by,
        float(table["equity"].sum()),
        float(table["maintenance_margin"].sum()),
        total_down,
        total_up,
        horizon_days,
        funding_hours,
    )


def _surplus_of_book(b: _Book, m):
    x = np.outer(1.0 + m, b.spot)
    return (_equity(b, x) - _maintenance(b, x)).sum(axis=1)
