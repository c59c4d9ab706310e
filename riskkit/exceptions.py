"""Exceptions and warnings raised by riskkit.

May import: nothing of riskkit.

Every error riskkit raises on bad input is a subclass of :class:`RiskkitError`
and of the built-in :class:`ValueError` or :class:`TypeError`, so
``except ValueError`` keeps working for callers who do not know riskkit.
Messages name the argument, the rule that was broken and the offending
labels or dates.

Errors
------
RiskkitError            base class of every riskkit error
InvalidParameterError   an option outside its allowed values (ValueError)
InvalidTypeError        an argument of the wrong type (TypeError)
DataError               bad data in general (ValueError); the classes below refine it
LayoutError             a price table whose layout or columns cannot be told apart
EmptyDataError          no rows or no columns, or fewer rows than needed
DuplicateError          duplicated dates or asset names
NonNumericError         values that are not numbers (also a TypeError)
NonFiniteError          infinite values (or NaN where never allowed)
MissingDataError        missing values (NaN) where they are not allowed
NonPositivePriceError   zero or negative prices
CalendarError           a date index that is not sorted, not dates, or cannot be
                        given a number of periods per year
SingularCovarianceError a covariance that is singular (or numerically so) where the
                        computation needs an inverse; names the smallest eigenvalue
RuinError               a backtest whose portfolio value reached zero or below (stops there)
ConvergenceError        an iterative solver that did not meet its tolerance (ValueError)

Warnings
--------
RiskkitWarning          base class of every riskkit warning
DataRepairWarning       data were changed because an explicit repair option asked
                        for it; the warning lists what changed (``.log``)
DataQualityWarning      prices that look wrong but are kept (split-like moves);
                        ``.flags`` holds the quality flags
ModelValidityWarning    a result outside the region where its model is valid (for
                        example a non-monotone Cornish-Fisher expansion)

Errors about data carry ``fixes``: the keyword arguments that would settle
them, best first, as dicts (``[{"align": "common"}, {"start": "2013-03-01"}]``);
``fix`` is the first. The report CLI renders them as ``-p align common``.

Silence a warning class with ``warnings.simplefilter("ignore", DataRepairWarning)``.
"""

from __future__ import annotations

__all__ = [
    "CalendarError",
    "ConvergenceError",
    "DataError",
    "DataQualityWarning",
    "DataRepairWarning",
    "DuplicateError",
    "EmptyDataError",
    "InvalidParameterError",
    "InvalidTypeError",
    "LayoutError",
    "MissingDataError",
    "ModelValidityWarning",
    "NonFiniteError",
    "NonNumericError",
    "NonPositivePriceError",
    "RiskkitError",
    "RiskkitWarning",
    "RuinError",
    "SingularCovarianceError",
]


class RiskkitError(Exception):
    """Base class of every error raised by riskkit.

    ``fixes`` lists keyword arguments that would settle the error, best first
    (each a dict of argument name to value, values being plain literals:
    str, int, float, bool or lists of them); ``fix`` is the first, or ``{}``.
    """

    def __init__(self, *args, fixes=()):
        super().__init__(*args)
        self.fixes = tuple(dict(f) for f in fixes)

    @property
    def fix(self) -> dict:
        """The first suggested fix (keyword -> value), or ``{}``."""
        return dict(self.fixes[0]) if self.fixes else {}

    def __reduce__(self):  # keep the fixes across pickling (grid workers send errors back)
        return (_rebuild, (type(self), self.args, self.__dict__))


def _rebuild(cls, args, state):
    err = cls.__new__(cls)
    Exception.__init__(err, *args)
    err.__dict__.update(state)
    return err


class InvalidParameterError(RiskkitError, ValueError):
    """An option or parameter outside its allowed values."""


class InvalidTypeError(RiskkitError, TypeError):
    """An argument of the wrong type."""


class DataError(RiskkitError, ValueError):
    """Input data that break a rule (prices, returns, weights, covariances)."""


class EmptyDataError(DataError):
    """No rows or columns, or fewer rows than the computation needs."""


class LayoutError(DataError):
    """A price table whose layout (wide, long, one asset's export) or whose
    date, asset or price column cannot be told from what it holds."""


class DuplicateError(DataError):
    """Duplicated dates or duplicated asset names."""


class NonNumericError(DataError, TypeError):
    """Values that cannot be read as numbers."""


class NonFiniteError(DataError):
    """Infinite values, or NaN where missing values are never allowed."""


class MissingDataError(DataError):
    """Missing values where the caller did not choose a repair."""


class NonPositivePriceError(DataError):
    """Zero or negative prices."""


class CalendarError(DataError):
    """A date index that is unsorted, not made of dates, or of unknown frequency."""


class SingularCovarianceError(DataError):
    """A covariance that is singular, or numerically so, where an inverse is needed.

    ``smallest_eigenvalue`` holds the smallest eigenvalue found.
    """

    def __init__(self, message: str, smallest_eigenvalue: float | None = None):
        super().__init__(message)
        self.smallest_eigenvalue = smallest_eigenvalue


class RuinError(DataError):
    """A simulated portfolio whose value reached zero or below (a backtest stops there).

    ``configs`` names the configurations ruined and ``dates`` the date each was
    (the first date its value was zero or below)."""

    configs: tuple = ()
    dates: object = None


class ConvergenceError(RiskkitError, ValueError):
    """An iterative solver stopped before meeting its tolerance."""


class RiskkitWarning(UserWarning):
    """Base class of every warning issued by riskkit."""


class DataRepairWarning(RiskkitWarning):
    """Data were changed by an explicit repair option.

    The warning's ``log`` attribute is a DataFrame with one row per change
    (columns ``asset``, ``date``, ``action``), the same table the repair
    function returns.
    """

    def __init__(self, message: str, log=None):
        super().__init__(message)
        self.log = log


class DataQualityWarning(RiskkitWarning):
    """Prices that look wrong but are kept as they are (for example a move by
    a split-like ratio that does not reverse). ``flags`` is the tidy table of
    :func:`riskkit.data.quality` for the flagged rows."""

    def __init__(self, message: str, flags=None):
        super().__init__(message)
        self.flags = flags


class ModelValidityWarning(RiskkitWarning):
    """A number computed outside the region where its model holds."""
