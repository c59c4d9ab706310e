"""How riskkit writes a number or a date, in one place (pure Python: no numpy, no pandas).

percent      0.1234 -> "12.3%"
signed       a change with its sign: 0.15 -> "+15%", -10 -> "-10", a rounded zero "0%" / "0"
money        1234567.891 -> "1,234,568"
price        20558.54811 -> "20,558.55", 0.000163769 -> "0.0001638": 2 decimals from 1, else 4 significant
quantity     units at their price's precision: -126167215.4453 SHIB -> "-126,167,215", 2.70624 BTC as it is
fixed        1234.5 -> "1,234.5000": fixed decimals, thousands separators (a table's plain numbers)
integer      12.0 -> "12"
difference   a difference, error or residual: "below 1e-12" at rounding level
figure       a key figure: its own format specification, else 4 significant digits (whole units from 10,000);
             a boolean as "yes" / "no"
significant  a number to ``digits`` significant digits (a result's one-line repr)
date         a timestamp: "2024-01-03" at midnight, "2024-01-03T12:30:00" otherwise
period       the word for one period of a calendar: 365 or 252 a year -> "day", 12 -> "month"
span         n periods in the calendar's words: "7 days", "5 trading days", "3 months", "7 periods"

:mod:`riskkit.display` (tables and the report policy) and the result contract
(``riskkit._core.result``), the reports package (key figures, grid summaries,
the command line) and the explorers' widgets all write through these, so that one
figure reads the same wherever it is shown. The reports package imports neither
numpy nor pandas at import, hence this module's pure-Python formatters: a numpy
or pandas scalar is read through ``float()`` or duck typing.

A missing number (NaN) is ``"–"`` in a table (``percent``, ``money``, ``price``,
``fixed``, ``integer``) and ``""`` as a key figure (an empty cell of a grid summary).
"""

from __future__ import annotations

import datetime as _dt
import math
from typing import Any

from riskkit.exceptions import InvalidParameterError

__all__ = [
    "DECIMALS",
    "MISSING",
    "ROUNDING_FLOOR",
    "date",
    "difference",
    "figure",
    "fixed",
    "integer",
    "money",
    "percent",
    "period",
    "price",
    "quantity",
    "signed",
    "significant",
]

DECIMALS = 4
"""Decimals of plain numbers in tables (``riskkit.display.setup``, :func:`fixed`)."""

MISSING = "–"
"""A missing number in a table."""

ROUNDING_FLOOR = 1e-12
"""Differences below this are rounding: float64 carries ~16 digits, and sums,
products and BLAS kernels of realistic size lose at most a few of them."""


def _no_minus_zero(text: str) -> str:
    """``"-0.0%"``, ``"-0"`` -> without the sign: a rounded zero has none."""
    return text[1:] if text.startswith("-") and not any(c in "123456789" for c in text) else text


def percent(value: float, /, decimals: int = 1) -> str:
    """A fraction as a percentage: ``percent(0.1234) == "12.3%"``; NaN as ``"–"``.

    Examples
    --------
    >>> percent(0.1234), percent(-0.0005, 2), percent(-0.00001, 2), percent(float("nan"))
    ('12.3%', '-0.05%', '0.00%', '–')
    """
    value = float(value)
    if math.isnan(value):
        return MISSING
    return _no_minus_zero(f"{value:.{decimals}%}")


def signed(value: float, /, decimals: int = 0, *, percent: bool = False) -> str:
    """A change with its sign (a move, a shock): a rounded zero has none; NaN as ``"–"``.

    Examples
    --------
    >>> signed(0.15, percent=True), signed(-0.001, percent=True), signed(-10.0), signed(0.0)
    ('+15%', '0%', '-10', '0')
    """
    value = float(value)
    if math.isnan(value):
        return MISSING
    text = f"{value:+.{decimals}{'%' if percent else 'f'}}"
    return text[1:] if not any(c in "123456789" for c in text) else text


def money(value: float, /, decimals: int = 0) -> str:
    """An amount with thousands separators and fixed decimals; NaN as ``"–"``.

    Examples
    --------
    >>> money(1234567.891), money(-217.4, 2), money(0.4), money(-0.4)
    ('1,234,568', '-217.40', '0', '0')
    """
    value = float(value)
    if math.isnan(value):
        return MISSING
    return _no_minus_zero(f"{value:,.{decimals}f}")


def price(value: float, /) -> str:
    """A price as a trader reads it, one rule for every asset: two decimals from 1
    up (with thousands separators), four significant digits below 1 (so that a
    coin at a fraction of a cent keeps its digits); ``"–"`` for a missing one.

    >>> price(20558.54811), price(232.392882), price(1.11615), price(-3.0)
    ('20,558.55', '232.39', '1.12', '-3.00')
    >>> price(0.184101), price(0.000163769), price(0.5), price(0.0)
    ('0.1841', '0.0001638', '0.5000', '0.00')
    """
    value = float(value)
    if math.isnan(value):
        return MISSING
    if abs(value) >= 1.0 or value == 0.0:
        return _no_minus_zero(f"{value:,.2f}")
    decimals = 3 - math.floor(math.log10(abs(value)))  # 4 significant digits
    text = f"{value:.{decimals}f}"
    if abs(float(text)) >= 1.0:  # 0.99996 rounds up to 1: the rule for 1 and above
        return f"{value:,.2f}"
    return text


def quantity(value: float, /, price: float) -> str:
    """Units of an asset (held, traded) at the precision its price makes
    meaningful: as many decimals as the price has digits before the point, so
    that one step of the last digit is worth more than a tenth of a currency
    unit and at most one (whole units below a price of 1, at most 8
    decimals); thousands separators; ``"–"`` for a missing one. Without a usable
    price (zero, missing) the plain :data:`DECIMALS`.

    >>> quantity(-126167215.4453, 0.000163769), quantity(-112535.1693, 0.184101)
    ('-126,167,215', '-112,535')
    >>> quantity(2.70624, 20558.55), quantity(114.68203, 232.39), quantity(-3396.6972, 1.11615)
    ('2.70624', '114.682', '-3,396.7')
    """
    value, price = float(value), float(price)
    if math.isnan(value):
        return MISSING
    if math.isnan(price) or price == 0.0:
        return fixed(value)
    decimals = min(8, max(0, math.ceil(math.log10(abs(price)))))
    return _no_minus_zero(f"{value:,.{decimals}f}")


def fixed(value: float, /, decimals: int = DECIMALS) -> str:
    """A plain number at ``decimals`` fixed decimals with thousands separators,
    never in scientific notation; NaN as ``"–"``.

    >>> fixed(1234.5), fixed(1e-7), fixed(2.5, 1)
    ('1,234.5000', '0.0000', '2.5')
    """
    value = float(value)
    return MISSING if math.isnan(value) else f"{value:,.{decimals}f}"


def integer(value: float, /) -> str:
    """A count as a whole number with thousands separators; NaN as ``"–"``.

    >>> integer(12.0), integer(12345.6)
    ('12', '12,346')
    """
    value = float(value)
    return MISSING if math.isnan(value) else f"{round(value):,d}"


def difference(value: float, /, *, floor: float = ROUNDING_FLOOR, digits: int = 1) -> str:
    """A difference, error or residual as text, rounding noise shown as such.

    Parameters
    ----------
    value : float
        The difference (its absolute value is shown when it is above ``floor``,
        with its sign).
    floor : float, default=1e-12
        Below this, ``"below 1e-12"`` (the floor as written) is returned.
    digits : int, default=1
        Decimals of the mantissa in scientific notation.

    Examples
    --------
    >>> difference(2.7e-15)
    'below 1e-12'
    >>> difference(-3.26e-5)
    '-3.3e-05'
    """
    if not (isinstance(floor, int | float) and floor > 0):
        raise InvalidParameterError(f"floor must be a positive number; got {floor!r}.")
    value = float(value)
    if math.isnan(value):
        return "nan"
    if abs(value) < floor:
        return f"below {floor:g}"
    return f"{value:.{digits}e}"


def significant(value: float, /, digits: int = 4) -> str:
    """``value`` to ``digits`` significant digits (Python's ``g``).

    >>> significant(0.61951), significant(2 / 3, 6)
    ('0.6195', '0.666667')
    """
    return f"{float(value):.{digits}g}"


def figure(value: Any, /, spec: str | None = None) -> str:
    """A key figure as text: with ``spec`` (a format specification such as
    ``".1%"``) when it is a number, else a float to 4 significant digits (whole
    units with thousands separators from 10,000); a boolean "yes" or "no"; text
    as it is; ``""`` for None or NaN (an empty cell).

    >>> figure(0.61951, ".1%"), figure(1000000.0000000001, ",.0f"), figure(0.61951), figure(123456.7)
    ('62.0%', '1,000,000', '0.6195', '123,457')
    >>> figure(None), figure(float("nan")), figure(3), figure("ok"), figure(True), figure(False)
    ('', '', '3', 'ok', 'yes', 'no')
    """
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, bool) or getattr(getattr(value, "dtype", None), "kind", "") == "b":  # numpy's too
        # a yes-or-no figure ("trade today"), read as such
        return "yes" if value else "no"
    if spec and isinstance(value, int | float) and not isinstance(value, bool):
        return format(value, spec)
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 1e4 else significant(value, 4)
    return str(value)


def date(value: Any, /) -> str:
    """A date or timestamp as ISO 8601 text: the day alone at midnight, the time too otherwise.

    Works for ``pandas.Timestamp`` (nanoseconds included), ``datetime.datetime`` and
    ``datetime.date``; anything else is ``str(value)``.

    >>> import datetime as dt
    >>> date(dt.datetime(2024, 1, 3)), date(dt.datetime(2024, 1, 3, 12, 30)), date(dt.date(2024, 1, 3))
    ('2024-01-03', '2024-01-03T12:30:00', '2024-01-03')
    """
    if hasattr(value, "normalize") and hasattr(value, "isoformat"):  # a pandas Timestamp
        midnight = value == value.normalize()
    elif isinstance(value, _dt.datetime):
        midnight = value.time() == _dt.time()
    elif isinstance(value, _dt.date):
        return value.isoformat()
    else:
        return str(value)
    return value.strftime("%Y-%m-%d") if midnight else value.isoformat()


_PERIOD_WORDS = {
    8760: "hour", 6240: "hour", 1638: "hour",  # 24/7, 24x5, 6.5 exchange hours x 252
    365: "day", 366: "day", 360: "day", 260: "day", 252: "day", 250: "day",
    52: "week", 26: "fortnight", 12: "month", 4: "quarter", 2: "half-year", 1: "year",
}  # fmt: skip


def period(periods_per_year: Any, /) -> str:
    """The word for one period of a calendar with ``periods_per_year`` periods a year, to write
    "one-day VaR" or "per month" from the data's own calendar; ``"period"`` when the number is
    not a usual calendar's (or is None: no dates).

    >>> period(365), period(252), period(12.0), period(8760), period(None), period(100)
    ('day', 'day', 'month', 'hour', 'period', 'period')
    """
    if periods_per_year is None or isinstance(periods_per_year, bool):
        return "period"
    value = float(periods_per_year)
    return _PERIOD_WORDS.get(round(value), "period") if value == round(value) else "period"


_BUSINESS_DAYS = (250, 252, 260)


def span(n: int, periods_per_year: Any, /) -> str:
    """``n`` periods of a calendar with ``periods_per_year`` periods a year, in its words:
    a window or a step as a reader counts it. A business-day calendar's periods are trading days
    (seven of them are not a week).

    >>> span(7, 365), span(5, 252), span(1, 12), span(3, 12), span(30, None)
    ('7 days', '5 trading days', '1 month', '3 months', '30 periods')
    """
    word = period(periods_per_year)
    if word == "day" and periods_per_year is not None and round(float(periods_per_year)) in _BUSINESS_DAYS:
        word = "trading day"
    return f"{int(n):,} {word}{'' if int(n) == 1 else 's'}"
