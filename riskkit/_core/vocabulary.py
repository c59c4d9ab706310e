"""Former names of options, kept for one release: one decorator, one warning.

Every renamed keyword goes through :func:`renamed`, so the warning reads the same
everywhere and the glossary (docs/api/glossary.md) lists what replaced what.
"""

from __future__ import annotations

import functools
import warnings

REMOVED_IN = "0.3"  # the release that drops the former names


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
                    warnings.warn(
                        f"{name}({old}=) is now {name}({new}=); "
                        f"{old}= will be removed in riskkit {REMOVED_IN}.",
                        FutureWarning,
                        stacklevel=2,
                    )
                    kwargs[new] = kwargs.pop(old)
            return target(*args, **kwargs)

        if isinstance(obj, type):
            obj.__init__ = inner
            return obj
        return inner

    return wrap
