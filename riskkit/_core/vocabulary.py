"""Former names of options, kept for one release: one decorator, one warning.

Every renamed keyword goes through :func:`renamed`, so the warning reads the same
everywhere and the glossary (docs/api/glossary.md) lists what replaced what.
"""

from __future__ import annotations

import functools
import os
import sys
import warnings

REMOVED_IN = "0.3"  # the release that drops the former names
_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # .../riskkit


def outside_stacklevel() -> int:
    """The ``stacklevel`` that makes a warning point at the first frame outside riskkit:
    the user's line, however many riskkit wrappers (decorators, aliases) stand between."""
    level, frame = 1, sys._getframe(1)
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE + os.sep):
        level, frame = level + 1, frame.f_back
    return level


def warn_renamed(message: str) -> None:
    """A :class:`FutureWarning` about a former name, pointing at the caller's line."""
    warnings.warn(message, FutureWarning, stacklevel=outside_stacklevel())


NOTES = {"cost_bps": " (a fraction: the value given was divided by 10,000, 10 bp = 0.001)"}
"""What a rename changed besides the name, said in its warning."""


def renamed(**old_to_new: str):
    """Decorator for a function or a class (its ``__init__``): keyword ``old`` is
    still accepted as ``new``, with a :class:`FutureWarning` naming both.

    >>> @renamed(alpha="level")
    ... def var(x, *, level=0.95):
    ...     return level
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as seen:
    ...     warnings.simplefilter("always")
    ...     var(1, alpha=0.99), str(seen[0].message)
    (0.99, 'var(alpha=) is now var(level=); alpha= will be removed in riskkit 0.3.')
    """

    def wrap(obj):
        target = obj.__init__ if isinstance(obj, type) else obj
        name = obj.__name__

        @functools.wraps(target)
        def inner(*args, **kwargs):
            for old, new in old_to_new.items():
                if old in kwargs:
                    if new in kwargs:
                        from riskkit.exceptions import InvalidParameterError

                        raise InvalidParameterError(f"{name}: pass {new}= only; {old}= is its former name.")
                    note = NOTES.get(old, "")
                    warn_renamed(
                        f"{name}({old}=) is now {name}({new}=){note}; "
                        f"{old}= will be removed in riskkit {REMOVED_IN}."
                    )
                    kwargs[new] = kwargs.pop(old)
            return target(*args, **kwargs)

        if isinstance(obj, type):
            obj.__init__ = inner
            return obj
        return inner

    return wrap
