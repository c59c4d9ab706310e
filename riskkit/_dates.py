"""Dates of a price table: text, datetimes or Unix epoch numbers -> naive UTC (private;
see riskkit.data.read). The epoch unit (s, ms, us, ns) is read from the numbers'
magnitude: the one unit in which every value is a time between 1980 and 2100."""

from __future__ import annotations

import numpy as np
import pandas as pd

from riskkit._validation import format_items
from riskkit.exceptions import CalendarError

# Unix epoch units, tried from seconds up; a unit fits when every value is a time in 1980-2100.
_EPOCH_UNITS = (("s", 1), ("ms", 10**3), ("us", 10**6), ("ns", 10**9))
_EPOCH_LOW, _EPOCH_HIGH = 315_532_800, 4_102_444_800  # 1980-01-01 and 2100-01-01 in seconds


def parse_dates(name: str, values, column=None) -> tuple[pd.DatetimeIndex, str | None]:
    """Dates as a naive-UTC DatetimeIndex named ``date``, and a note when they were epoch numbers."""
    raw = pd.Index(values)
    label = f"the date column {column!r}" if column is not None else "the dates"
    note = None
    if isinstance(raw, pd.DatetimeIndex):
        parsed = raw.tz_convert("UTC") if raw.tz is not None else raw.tz_localize("UTC")
    elif pd.api.types.is_bool_dtype(raw.dtype):
        raise CalendarError(f"{name}: {label} holds booleans, not dates.")
    elif pd.api.types.is_numeric_dtype(raw.dtype) or (
        len(raw) and pd.to_numeric(raw.astype(str), errors="coerce").notna().all()
    ):
        parsed, note = _epoch(
            name, label, pd.to_numeric(pd.Series(raw.astype(str) if raw.dtype == object else raw))
        )
    else:
        try:
            parsed = pd.DatetimeIndex(pd.to_datetime(raw, utc=True))
        except (ValueError, TypeError):
            try:
                parsed = pd.DatetimeIndex(pd.to_datetime(raw, utc=True, format="mixed"))
            except (ValueError, TypeError) as exc:
                bad = [v for v in raw if _unparseable(v)]
                raise CalendarError(f"{name}: dates that cannot be parsed: {format_items(bad)}.") from exc
    if parsed.isna().any():
        raise CalendarError(f"{name}: {int(parsed.isna().sum())} missing date(s) in {label}.")
    return pd.DatetimeIndex(parsed.tz_localize(None), name="date"), note


def _epoch(name: str, label: str, numbers: pd.Series) -> tuple[pd.DatetimeIndex, str]:
    v = numbers.to_numpy()
    for unit, per_second in _EPOCH_UNITS:
        if (
            np.isfinite(v).all()
            and (v >= _EPOCH_LOW * per_second).all()
            and (v < _EPOCH_HIGH * per_second).all()
        ):
            parsed = pd.DatetimeIndex(pd.to_datetime(numbers, unit=unit, utc=True))
            shown = {"s": "seconds", "ms": "milliseconds", "us": "microseconds", "ns": "nanoseconds"}[unit]
            return (
                parsed,
                f"{label} holds Unix epoch {shown} (from their magnitude, about {v[0]:.3g}), read as UTC",
            )
    raise CalendarError(
        f"{name}: {label} holds numbers ({numbers.dtype}, "
        f"from {_num(np.nanmin(v))} to {_num(np.nanmax(v))}), "
        "not dates, and not Unix epoch times in one unit (s, ms, us or ns) between 1980 and 2100. "
        "Write the dates as text (YYYY-MM-DD), or convert them explicitly, e.g. "
        "pd.to_datetime(values.astype(str), format='%Y%m%d') for 20240131."
    )


def _num(x: float) -> str:
    return f"{x:.0f}" if float(x).is_integer() else f"{x:g}"


def _unparseable(v) -> bool:
    try:
        pd.to_datetime(v, utc=True)
        return False
    except (ValueError, TypeError):
        return True
