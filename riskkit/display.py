"""Numbers as people read them, at a precision that rounding cannot move.

May import: riskkit._core, riskkit.exceptions.

setup        pandas options for reports: fixed decimals, thousands separators, no 1e+06
table        a table as text columns: percentages, money, counts, each at its precision
percent      0.1234 -> "12.3%"
signed       a change with its sign, a rounded zero without one: +1.6, 0.0 (never -0.0)
money        1234567.891 -> "1,234,568"
price        20558.54811 -> "20,558.55", 0.000163769 -> "0.0001638"
quantity     units at their price's precision: -126167215.4453 SHIB -> "-126,167,215", 2.70624 BTC unchanged
difference   a difference, error or residual as text: "below 1e-12" at rounding level
bullets      sentences as a Markdown list, the ones past a limit folded away (a report's data notes)
caution      sentences in a call-out a reader cannot miss (an unadjusted split before the figures)
count        3 -> "3 assets", 1 -> "1 asset"
period       the word for one period of the data's calendar: 365 or 252 a year -> "day", 12 -> "month"
span         n periods in the calendar's words: "7 days", "5 trading days", "3 months"
top_caption  what a figure or table of the largest rows shows: "top 30 of 10,000 assets by share of risk"

The policy, one for every notebook: returns, volatilities, weights, shares and
drawdowns are percentages; money has thousands separators and fixed decimals;
counts are integers; nothing is shown in scientific notation except differences
at rounding level (:func:`difference`). Column names carry the unit when it is
not a percentage of the portfolio ("volatility (annual)", "cost (USD)").

Two honest runs of the same computation on two CPUs agree to about 1e-15
relative; a check that two routes agree ("largest difference 2.7e-15") prints
that noise, and the printed digits then change from machine to machine. Such a
figure means "equal up to rounding" and is shown as such.

The formatters themselves (``percent``, ``money``, ``price``, ``difference``,
dates, key figures) are written once, in ``riskkit._core.formats``, and shared
with the result objects, the reports package and the explorers: this module
re-exports them and adds the pandas side (``setup``, ``table``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Literal

import pandas as pd

from riskkit._core import formats
from riskkit._core.formats import (
    DECIMALS,
    ROUNDING_FLOOR,
    difference,
    money,
    percent,
    period,
    price,
    quantity,
    signed,
    span,
)
from riskkit._core.validation import count
from riskkit.exceptions import InvalidParameterError

__all__ = [
    "ROUNDING_FLOOR",
    "bullets",
    "caution",
    "count",
    "difference",
    "money",
    "percent",
    "period",
    "price",
    "quantity",
    "setup",
    "signed",
    "span",
    "table",
    "top_caption",
]


def bullets(lines: Iterable[str], /, *, limit: int = 10, more: str = "more") -> str:
    """``lines`` as a Markdown list; past ``limit`` lines the rest are folded into a
    ``<details>`` block headed "N more" (a report shows them on a click).

    Examples
    --------
    >>> print(bullets(["a.", "b.", "c."], limit=2))
    - a.
    - b.
    <BLANKLINE>
    <details><summary>1 more</summary>
    <BLANKLINE>
    - c.
    <BLANKLINE>
    </details>
    >>> bullets([])
    ''
    """
    items = [str(line) for line in lines]
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
        raise InvalidParameterError(f"limit must be a whole number >= 0; got {limit!r}.")
    shown = "\n".join(f"- {line}" for line in items[:limit])
    rest = items[limit:]
    if not rest:
        return shown
    folded = "\n".join(f"- {line}" for line in rest)
    return f"{shown}\n\n<details><summary>{len(rest)} {more}</summary>\n\n{folded}\n\n</details>".lstrip()


def caution(lines: Iterable[str], /, *, title: str = "Check the data before reading on.") -> str:
    """``lines`` as a Markdown call-out a reader cannot miss (a quoted block under
    a bold ``title``), to put before the figures they concern; ``""`` for none.

    Examples
    --------
    >>> print(caution(["X on 2024-01-03: a 2-for-1 split?", "It is in every figure."]))
    > **⚠ Check the data before reading on.**
    >
    > - X on 2024-01-03: a 2-for-1 split?
    > - It is in every figure.
    <BLANKLINE>
    >>> caution([])
    ''
    """
    items = [str(line) for line in lines]
    if not items:
        return ""
    body = "\n".join(f"> - {line}" for line in items)
    return f"> **⚠ {title}**\n>\n{body}\n\n"


def top_caption(shown: int, total: int, /, *, noun: str = "asset", by: str = "share of risk") -> str:
    """What a figure or table of the largest rows shows, for its title: ``""`` when it shows all
    ``total``, else "top 30 of 10,000 assets by share of risk" (the rows chosen by
    :func:`riskkit.decomposition.top_assets`).

    Examples
    --------
    >>> top_caption(30, 10_000)
    'top 30 of 10,000 assets by share of risk'
    >>> top_caption(12, 12)
    ''
    """
    if shown >= total:
        return ""
    return f"top {shown:,} of {count(total, noun)} by {by}"


def setup(*, width: int = 140) -> None:
    """pandas display options for a report: numbers with thousands separators and
    :data:`DECIMALS` fixed decimals, never in scientific notation (a tiny value
    shows as 0.0000, a huge one in full), tables up to ``width`` characters."""
    pd.set_option("display.float_format", formats.fixed)
    pd.set_option("display.width", width)
    pd.set_option("display.max_colwidth", None)  # a reason or a note is never cut mid-word


def table(
    frame: pd.DataFrame | pd.Series,
    /,
    *,
    percent: Iterable[str] = (),
    money: Iterable[str] = (),
    integer: Iterable[str] = (),
    prices: Iterable[str] = (),
    quantities: Mapping[str, str] | None = None,
    decimals: Mapping[str, int] | int = DECIMALS,
    percent_decimals: int = 1,
    money_decimals: int = 0,
    axis: Literal["columns", "index"] = "columns",
    rows: int | None = None,
) -> pd.DataFrame:
    """``frame`` with its numeric columns as text, each at its precision.

    Columns named in ``percent`` become percentages, in ``money`` amounts with
    thousands separators, in ``integer`` whole numbers, in ``prices`` prices
    (:func:`price`: two decimals from 1, four significant digits below, so
    that BTC and SHIB in one column are both read right); ``quantities`` maps
    a column of units to the column of their prices, and each row's units are
    shown at its price's precision (:func:`quantity`: whole SHIB, BTC to five
    decimals); columns of an integer dtype are whole numbers too; other numeric
    columns get ``decimals`` fixed decimals (a number, or one per column).
    Booleans read "yes" and "no"; text and dates are left as they are. The
    labels are kept; the frame given is not modified. A Series is treated as a
    one-column frame.

    With ``axis="index"`` the names are the rows' and each row is formatted as
    a column would be: a result's summary shown transposed
    (``result.summary().T``, one figure a row) or a Series of mixed figures.

    With ``rows``, only the first ``rows`` rows are shown, then one row "… and
    9,970 more" (blank cells) when there are more: a table of 10,000 assets is
    30 lines, not a 10,000-line page (order the frame first, for example by
    :func:`riskkit.decomposition.top_assets`).

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"weight": [0.25, 0.75], "value": [1234.5, 1e7], "trades": [3.0, 12.0]})
    >>> table(t, percent=["weight"], money=["value"], integer=["trades"])
      weight       value trades
    0  25.0%       1,234      3
    1  75.0%  10,000,000     12
    >>> orders = pd.DataFrame(
    ...     {"price": [20558.55, 0.000163769], "units": [2.70624, -126167215.4453], "trade": [True, False]},
    ...     index=["BTC", "SHIB"],
    ... )
    >>> table(orders, prices=["price"], quantities={"units": "price"})
              price         units trade
    BTC   20,558.55       2.70624   yes
    SHIB  0.0001638  -126,167,215    no
    >>> s = pd.Series({"volatility": 0.616, "periods_per_year": 365.0, "ratio": 1.39804, "largest": "SHIB"})
    >>> s = s.rename("portfolio")
    >>> table(s, axis="index", percent=["volatility"], integer=["periods_per_year"], decimals=2)
                     portfolio
    volatility           61.6%
    periods_per_year       365
    ratio                 1.40
    largest               SHIB
    """
    from riskkit._core.validation import check_choice, format_items

    check_choice("axis", axis, ("columns", "index"))
    data = frame.to_frame() if isinstance(frame, pd.Series) else frame
    if axis == "index":
        named = {"percent": list(percent), "money": list(money), "integer": list(integer)}
        named["prices"] = list(prices)
        missing = [r for rows in named.values() for r in rows if r not in data.index]
        if missing:
            raise InvalidParameterError(
                f"table: no row {format_items(missing)}; the rows are {format_items(data.index)}."
            )
        # a row of mixed figures transposed is an object column: infer_objects reads each back as its own type
        flipped = data.T.infer_objects()
        digits = {"decimals": decimals, "percent_decimals": percent_decimals}
        digits["money_decimals"] = money_decimals
        return table(flipped, **named, **digits).T
    groups = {
        "percent": list(percent),
        "money": list(money),
        "integer": list(integer),
        "prices": list(prices),
        "quantities": list(quantities or {}),
    }
    quantities = dict(quantities or {})
    missing = [c for cols in [*groups.values(), quantities.values()] for c in cols if c not in data.columns]
    if missing:
        raise InvalidParameterError(
            f"table: no column {format_items(missing)}; the columns are {format_items(data.columns)}."
        )
    hidden = 0
    if rows is not None:
        if isinstance(rows, bool) or not isinstance(rows, int) or rows < 1:
            raise InvalidParameterError(f"rows must be a whole number >= 1 or None; got {rows!r}.")
        hidden = max(len(data) - rows, 0)
        data = data.iloc[:rows]
    out = data.copy()
    for col in data.columns:
        values = data[col]
        if pd.api.types.is_bool_dtype(values):
            out[col] = values.map({True: "yes", False: "no"}).astype(object)
            continue
        if not pd.api.types.is_numeric_dtype(values):
            continue
        if col in quantities:
            at = data[quantities[col]]
            text = [formats.quantity(v, p) for v, p in zip(values, at, strict=True)]
        elif col in groups["percent"]:
            text = [formats.percent(v, percent_decimals) for v in values]
        elif col in groups["money"]:
            text = [formats.money(v, money_decimals) for v in values]
        elif col in groups["prices"]:
            text = [formats.price(v) for v in values]
        elif col in groups["integer"] or pd.api.types.is_integer_dtype(values):
            text = [formats.integer(v) for v in values]
        else:
            d = decimals.get(col, DECIMALS) if isinstance(decimals, Mapping) else decimals
            text = [formats.fixed(v, d) for v in values]
        out[col] = pd.Series(text, index=data.index, dtype=object)
    if hidden:
        more = pd.DataFrame([[""] * out.shape[1]], columns=out.columns, index=[f"… and {hidden:,} more"])
        out = pd.concat([out.astype(object), more])
    return out
