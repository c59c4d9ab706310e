"""Stress grid of a derivative book: full revaluation over spot moves x volatility shocks (and
time decay over a horizon), beside the Greeks' Taylor estimate, and the worst cell as a
margin-style requirement.

Contents
--------
stress_grid     P&L of a book (:mod:`riskkit.hedging.margin`'s columns) over a grid -> StressGrid
span_grid       the default grid: CME SPAN's 16 risk scenarios for a price and a volatility scan range
StressGrid      its result: ``pnl``, ``taylor``, ``weights``, the requirement and the worst cell

Default grid: CME SPAN's risk array (CME Group, *CME SPAN: Standard Portfolio Analysis of Risk*,
and the SPAN risk-parameter file's 16 scenarios): the price unchanged, up and down 1/3, 2/3 and
3/3 of the **price scan range**, each with volatility up and down by the **volatility scan
range** (14 scenarios), and two extreme moves of 3 price scan ranges with volatility unchanged,
of which 35% of the loss counts. The grid shows every cell (moves x shocks); the requirement is
the largest weighted loss over the 16 SPAN cells (weight 1, or 0.35 for the extremes). The scan
ranges are an exchange's per-product choice; the defaults here (15% and 10 volatility points,
over one day) are illustrative for a crypto book, not CME's. With a grid of your own, every
cell counts at weight 1.

Each cell moves every underlying by the same relative ``spot move``, adds the ``vol shock``
(volatility points, absolute) to every option's volatility and ages the options by
``horizon_days`` (of 365 a year); perpetuals pay or earn their funding over the horizon. Full
revaluation prices every position again (:func:`riskkit.hedging.margin.margin_book`'s equity);
the Taylor estimate is :math:`\\Delta\\,\\delta S + \\tfrac12\\Gamma\\,\\delta S^2 +
\\nu\\,\\delta\\sigma + \\Theta\\,\\delta t` + funding, from today's Greeks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from riskkit._core.result import Result
from riskkit._core.validation import check_real, format_items
from riskkit.exceptions import InvalidParameterError
from riskkit.hedging.margin import _equity, _funding, _maintenance, _parse, _row_greeks

__all__ = ["StressGrid", "span_grid", "stress_grid"]

SPAN_EXTREME_WEIGHT = 0.35


def span_grid(price_scan: float = 0.15, vol_scan: float = 0.10) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CME SPAN's scenarios as a grid: spot moves ``price_scan x (-3, -1, -2/3, -1/3, 0, 1/3, 2/3, 1,
    3)``, vol shocks ``(-vol_scan, 0, +vol_scan)``, and the weights of the 16 SPAN cells (1, or
    0.35 for the two extreme moves at unchanged volatility; NaN: a cell outside SPAN's 16).

    >>> moves, shocks, weights = span_grid(0.15, 0.1)
    >>> int(np.isfinite(weights).sum()), float(weights[0, 1]), moves[-1].round(2)
    (16, 0.35, np.float64(0.45))
    """
    price_scan = check_real("price_scan", price_scan, low=0.0, low_open=True)
    vol_scan = check_real("vol_scan", vol_scan, low=0.0, low_open=True)
    moves = price_scan * np.array([-3.0, -1.0, -2 / 3, -1 / 3, 0.0, 1 / 3, 2 / 3, 1.0, 3.0])
    shocks = np.array([-vol_scan, 0.0, vol_scan])
    weights = np.full((len(moves), len(shocks)), np.nan)
    weights[1:-1, [0, 2]] = 1.0
    weights[[0, -1], 1] = SPAN_EXTREME_WEIGHT
    return moves, shocks, weights


@dataclass(frozen=True, eq=False, repr=False)
class StressGrid(Result):
    """P&L of a book over spot moves (rows, relative) x volatility shocks (columns, absolute).

    Attributes
    ----------
    pnl : DataFrame
        Full revaluation P&L (USD) of each cell over ``horizon_days``.
    taylor : DataFrame
        The Greeks' estimate of the same cells (USD).
    weights : DataFrame
        The weight of each cell in the requirement (NaN: not counted).
    requirement : float
        The largest weighted loss (USD, 0 when no counted cell loses).
    worst_move, worst_shock : float
        The cell giving it.
    positions : DataFrame
        Per position at the worst cell: ``pnl``, ``equity_after``, ``maintenance_after`` and
        ``surplus_after`` (equity minus maintenance; NaN for unmargined positions), USD.
    horizon_days : float
    source : str
        Where the grid comes from ("CME SPAN 16 scenarios ..." or "given").
    """

    pnl: pd.DataFrame
    taylor: pd.DataFrame
    weights: pd.DataFrame
    requirement: float
    worst_move: float
    worst_shock: float
    positions: pd.DataFrame
    horizon_days: float
    source: str

    def _headline(self) -> str:
        from riskkit._core import formats

        return (
            f"{self.pnl.shape[0]} spot moves x {self.pnl.shape[1]} vol shocks over "
            f"{formats.fixed(self.horizon_days, 0)} day(s): requirement {formats.money(self.requirement)} "
            f"at spot {formats.signed(self.worst_move, 1, percent=True)}, vol "
            f"{formats.signed(self.worst_shock * 100)} points "
            f"({self.source})"
        )

    def liquidation_cautions(self, book, buffer: float = 0.1) -> tuple[str, list[str]]:
        """What a reader must know of the margined positions of ``book`` (the
        :class:`~riskkit.hedging.margin.MarginBook` this grid stressed) under its worst cell: a
        title and one sentence per position that the worst cell **liquidates** (its equity ends
        below maintenance), or that it leaves within ``buffer`` (a fraction of the price) of its
        liquidation price; no sentences when none is. The title says which of the two it is.
        """
        from riskkit._core import formats

        buffer = check_real("buffer", buffer, low=0.0)
        margined = book.positions[book.positions["liquidation_distance"].notna()]
        up = self.worst_move > 0
        move = formats.signed(self.worst_move, 1, percent=True)
        gone, near = [], []
        for name, row in margined.iterrows():
            at = row["liquidation_up"] if up else row["liquidation_down"]
            where = (
                f"liquidation {formats.percent(abs(at))} {'up' if up else 'down'}"
                if np.isfinite(at)
                else f"no liquidation price {'up' if up else 'down'}"
            )
            surplus = float(self.positions.loc[name, "surplus_after"])
            if surplus < 0:
                gone.append(
                    f"{name}: liquidated by the worst stress cell (spot {move}): {where}, and its equity "
                    f"ends {formats.money(-surplus)} below maintenance"
                )
            elif np.isfinite(at) and abs(at) <= abs(self.worst_move) + buffer:
                near.append(f"{name}: {where}, within {formats.percent(buffer)} of the worst cell ({move})")
        title = (
            "Liquidated under the worst stress cell."
            if gone
            else f"Within {formats.percent(buffer)} of liquidation under the worst stress cell."
        )
        return title, gone + near

    def summary(self) -> pd.DataFrame:
        """One row per cell: spot move, vol shock, full revaluation and Taylor P&L, their gap, and
        the weight in the requirement; USD over the horizon."""
        out = pd.DataFrame(
            {
                "pnl": self.pnl.stack(),
                "taylor": self.taylor.stack(),
                "weight": self.weights.stack(future_stack=True),
            }
        )
        out["taylor_error"] = out["taylor"] - out["pnl"]
        return out.rename_axis(["spot_move", "vol_shock"])


def stress_grid(
    positions: pd.DataFrame,
    spots: pd.Series | dict,
    /,
    *,
    spot_moves=None,
    vol_shocks=None,
    price_scan: float = 0.15,
    vol_scan: float = 0.10,
    horizon_days: float = 1.0,
    rate: float = 0.0,
    funding_hours: float = 8.0,
) -> StressGrid:
    """Full revaluation of a book over spot moves x volatility shocks, with its Taylor estimate.

    Parameters
    ----------
    positions, spots
        As :func:`riskkit.hedging.margin.margin_book`.
    spot_moves, vol_shocks : sequences of float, optional
        Relative moves of every underlying (0.1 = +10%) and absolute volatility shocks (0.05 = +5
        points); given together, every cell counts. By default :func:`span_grid` of
        ``price_scan`` and ``vol_scan``.
    horizon_days : float
        Days the options age (of 365 a year) and the perpetuals fund over.

    Returns
    -------
    StressGrid
    """
    horizon_days = check_real("horizon_days", horizon_days, low=0.0)
    funding_hours = check_real("funding_hours", funding_hours, low=0.0, low_open=True)
    if (spot_moves is None) != (vol_shocks is None):
        raise InvalidParameterError("give spot_moves and vol_shocks together, or neither (the SPAN grid).")
    if spot_moves is None:
        moves, shocks, weights = span_grid(price_scan, vol_scan)
        source = f"CME SPAN 16 scenarios, price scan {price_scan:.0%}, vol scan {vol_scan * 100:.0f} points"
    else:
        moves, shocks = np.asarray(spot_moves, float).ravel(), np.asarray(vol_shocks, float).ravel()
        if not (moves.size and shocks.size and np.isfinite(moves).all() and np.isfinite(shocks).all()):
            raise InvalidParameterError("spot_moves and vol_shocks must be non-empty finite numbers.")
        if (moves <= -1).any():
            raise InvalidParameterError(
                f"spot moves must be above -100%; not {format_items(moves[moves <= -1].tolist())}."
            )
        weights, source = np.ones((moves.size, shocks.size)), "given"
    b = _parse(positions, spots, check_real("rate", rate))
    low = b.labels[b.option & (b.vol + shocks.min() <= 0)]
    if len(low):
        raise InvalidParameterError(
            f"a vol shock of {shocks.min():+.2f} takes the volatility of the rows {format_items(low)} "
            "to zero or below."
        )
    dt = horizon_days / 365.0
    carry = _funding(b, horizon_days * 24.0 / funding_hours)
    today = _equity(b, b.spot)
    full = np.empty((moves.size, shocks.size, len(b.q)))
    for j, dv in enumerate(shocks):
        full[:, j] = _equity(b, np.outer(1.0 + moves, b.spot), dv, dt) - today + carry
    g = _row_greeks(b).to_numpy()
    dS = np.outer(moves, b.spot)[:, None, :]
    taylor = (
        g[:, 0] * dS
        + 0.5 * g[:, 1] * dS**2
        + g[:, 2] * (shocks * 100)[None, :, None]
        + g[:, 3] * horizon_days
        + carry
    ).sum(axis=2)
    pnl = full.sum(axis=2)
    loss = np.where(np.isfinite(weights), -weights * pnl, -np.inf)
    i, j = np.unravel_index(np.argmax(loss), loss.shape)
    after = today + full[i, j]
    maint = _maintenance(b, b.spot * (1.0 + moves[i]))
    worst = pd.DataFrame(
        {
            "pnl": full[i, j],
            "equity_after": after,
            "maintenance_after": np.where(b.margined, maint, np.nan),
            "surplus_after": np.where(b.margined, after - maint, np.nan),
        },
        index=b.labels,
    )

    def frame(a):
        return pd.DataFrame(
            a, index=pd.Index(moves, name="spot_move"), columns=pd.Index(shocks, name="vol_shock")
        )

    return StressGrid(
        frame(pnl),
        frame(taylor),
        frame(weights),
        float(max(loss[i, j], 0.0)),
        float(moves[i]),
        float(shocks[j]),
        worst,
        horizon_days,
        source,
    )
