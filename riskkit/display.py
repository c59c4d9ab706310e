"""Numbers as people read them, at a precision that rounding cannot move.

difference   a difference, error or residual as text: "below 1e-12" at rounding level

Two honest runs of the same computation on two CPUs agree to about 1e-15
relative; a check that two routes agree ("largest difference 2.7e-15") prints
that noise, and the printed digits then change from machine to machine. Such a
figure means "equal up to rounding" and is shown as such.
"""

from __future__ import annotations

import math

from riskkit.exceptions import InvalidParameterError

__all__ = ["ROUNDING_FLOOR", "difference"]

ROUNDING_FLOOR = 1e-12
"""Differences below this are rounding: float64 carries ~16 digits, and sums,
products and BLAS kernels of realistic size lose at most a few of them."""


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
