"""The premium over buy-and-hold of a backtest, split into its terms, and what one path can say.

premium_split    per configuration: the premium and its constant-mix, timing and cost terms
premium_by_year  one configuration's premium by calendar year (log growth, adding up to the whole)
one_path_reading the caveat and the premium split as sentences, for a report's backtest section

The terms are those of :func:`riskkit.metrics.backtest_summary`, in annual log growth
(per period without a calendar): ``premium = constant_mix + timing + costs``, where
``constant_mix`` is the target mix rebalanced every period without costs against buy-and-hold,
``timing`` what trading only on the policy's dates gained or lost against that mix, and
``costs`` what the trades cost (never positive).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from riskkit._core.formats import date, percent, span
from riskkit._core.validation import format_items
from riskkit.exceptions import InvalidParameterError

_YEARS_LISTED = 12  # a longer backtest's premium is not listed year by year in the reading

_TERMS = {
    "premium_vs_buy_and_hold": "premium",
    "drift_term": "constant_mix",
    "rebalancing_term": "timing",
    "cost_term": "costs",
}


def premium_split(result, /) -> pd.DataFrame:
    """The premium over buy-and-hold of every configuration of a
    :class:`~riskkit.rebalancing.BacktestResult`, split into its terms.

    Returns
    -------
    DataFrame
        One row per configuration: ``premium``, ``constant_mix``, ``timing``, ``costs``
        (``premium`` is the sum of the other three) in log growth, and ``units``
        (``"annual"``, or ``"per period"`` without a calendar).
    """
    summary = result.summary()
    return summary[[*_TERMS, "units"]].rename(columns=_TERMS)


def premium_by_year(result, /, name: str) -> pd.Series:
    """Configuration ``name``'s premium over buy-and-hold by calendar year, in log growth
    over the year's dates (not annualised): the years add up to the whole backtest's
    log premium, :math:`\\ln(V_T / V_0) - \\ln(B_T / B_0)`. Each year runs from the last
    value of the year before (the first value for the first year) to its own last value."""
    _check_name(result, name)
    values = result.values[name]
    if not isinstance(values.index, pd.DatetimeIndex):
        raise InvalidParameterError(
            "premium_by_year needs a backtest on dated prices (a DatetimeIndex); "
            f"got a {type(values.index).__name__}."
        )
    gap = np.log(values.to_numpy()) - np.log(result.buy_and_hold.to_numpy())
    ends = pd.Series(gap, index=values.index).groupby(values.index.year).last()
    by_year = ends.diff()
    by_year.iloc[0] = ends.iloc[0] - gap[0]
    return by_year.rename("premium").rename_axis("year")


def one_path_reading(result, /, name: str, *, simulated: bool, risk_free: float = 0.0) -> str:
    """The backtest of one path read honestly, in Markdown: that it is one path (simulated
    or historical), configuration ``name``'s premium over buy-and-hold and its split
    (:func:`premium_split`), its calendar years (:func:`premium_by_year`, up to 12 of
    them) and the year that carried most of it when one did (more than half), the range of the premiums
    over every configuration but buy-and-hold, and the risk-free rate of the Sharpe ratios.

    Parameters
    ----------
    result : BacktestResult
    name : str
        The configuration read (a report's chosen policy).
    simulated : bool
        Whether the prices are one simulated path (a bundled simulated dataset) or one history.
    risk_free : float, default=0.0
        The risk-free rate the Sharpe ratios were computed at (``summary(risk_free=...)``): annual,
        per period without a calendar.
    """
    _check_name(result, name)
    split = premium_split(result)
    row = split.loc[name]
    annual = row["units"] == "annual"
    unit = "a year" if annual else "per period"
    idx = result.values.index
    took = f"{(len(idx) - 1) / result.periods_per_year:.1f} years, " if annual else ""
    path = "one simulated path" if simulated else "one history"
    lines = [
        f"**One path is one path.** This backtest follows {path} ({took}{date(idx[0])} to {date(idx[-1])}). "
        f"On it the premium of **{name}** over buy-and-hold is {_signed(row['premium'])} {unit} "
        "(log growth): "
        f"{_signed(row['constant_mix'])} from holding the target mix rebalanced every period instead of "
        f"buy-and-hold (constant mix), {_signed(row['timing'])} from trading only on the policy's dates "
        f"(timing) and {_signed(row['costs'])} in costs."
    ]
    if isinstance(idx, pd.DatetimeIndex):
        years = premium_by_year(result, name)
        total = float(years.sum())
        top = years.abs().idxmax()
        if 1 < len(years) <= _YEARS_LISTED:
            returns_in = pd.Series(idx[1:].year).value_counts()  # a year's periods (returns)
            short = 0.9 * result.periods_per_year if annual else 0.0  # a part of a year is said

            def part(year) -> str:
                n = int(returns_in.get(year, 0))
                return f" ({span(n, result.periods_per_year)})" if n < short else ""

            listed = ", ".join(f"{year}{part(year)} {_signed(v)}" for year, v in years.items())
            most = abs(years[top]) > 0.5 * abs(total) and np.sign(years[top]) == np.sign(total)
            lines.append(
                f"By calendar year, of the whole backtest's {_signed(total)} (log growth, not annualised): "
                + listed
                + (f"; most of it in {top}." if most else ".")
            )
    traded = result.rebalanced.sum()  # a configuration that never traded is buy-and-hold
    compared = split["premium"][(traded > 0) | (split.index == name)]
    if len(compared) > 1:
        lines.append(
            f"Across the {len(compared)} policies compared (buy-and-hold aside) the premium ranges from "
            f"{_signed(compared.min())} to {_signed(compared.max())} {unit}, on one draw of the "
            "market's luck: it is not evidence that one policy beats another (rank policies on many paths, "
            "as notebook 03's explorer does)."
        )
    rate = percent(risk_free, 4).rstrip("%").rstrip("0").rstrip(".") + "%"  # 0%, 2.5%, 0.25%
    lines.append(f"Sharpe ratios at a risk-free rate of {rate} {unit}.")
    return " ".join(lines)


def _signed(value: float) -> str:
    """A log-growth term with its sign, in percent at two decimals (a rounded zero has none)."""
    text = percent(value, 2)
    return text if text.startswith("-") or text == "0.00%" else f"+{text}"


def _check_name(result, name: str) -> None:
    if name not in result.values.columns:
        raise InvalidParameterError(
            f"name: {name!r} is not a configuration of this backtest; they are "
            f"{format_items(result.values.columns)}."
        )
