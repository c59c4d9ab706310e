"""Dates of a price table: text, datetimes or Unix epoch numbers -> naive dates (private;
see riskkit.data.read).

The epoch unit (s, ms, us, ns) is read from the numbers' magnitude: the one unit
in which every value is a time between 1980 and 2100. Stamps with a UTC offset
(``2010-01-04 00:00:00+01:00``, or a time-zone aware column) keep their local
calendar date when the series is daily or coarser (one stamp per local day:
the date the exchange means), and are converted to UTC when intraday; offsets
on some rows only are refused. Undated summary rows at the end of a file
("Average", "Total rows", blank) are found by :func:`footer_rows`.

Contents
--------
parse_dates   the dates of a column, and a note on how they were read
footer_rows   the positions of the undated rows that end a table
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from riskkit._core.validation import format_items
from riskkit.exceptions import CalendarError, InvalidParameterError

# Unix epoch units, tried from seconds up; a unit fits when every value is a time in 1980-2100.
_EPOCH_UNITS = (("s", 1), ("ms", 10**3), ("us", 10**6), ("ns", 10**9))
_EPOCH_LOW, _EPOCH_HIGH = 315_532_800, 4_102_444_800  # 1980-01-01 and 2100-01-01 in seconds


# a day and a month as numbers, in either order, then the year: 02/01/2024, 2.1.24, 13-01-2024 10:00
_NUMERIC_DMY = re.compile(r"\s*(\d{1,2})([/.\-])(\d{1,2})\2(\d{4}|\d{2})(?:[ T].*)?\s*")


def parse_dates(
    name: str, values, column=None, date_format: str | None = None
) -> tuple[pd.DatetimeIndex, str | None]:
    """Dates as a naive-UTC DatetimeIndex named ``date``, and a note on how they were read
    (epoch numbers, or the order of day and month).

    Each distinct value is read once (a long table repeats each date once per asset:
    reading the distinct ones is as many times faster and lighter); an error is raised
    from the whole column, so that it names the rows of the file. The rules are :func:`_parse`'s.
    """
    raw = pd.Index(values)
    if isinstance(raw.dtype, pd.CategoricalDtype):  # read as categories: each distinct text once
        codes, uniques = np.asarray(raw.codes), pd.Index(np.asarray(raw.categories, dtype=object))
        if (codes < 0).any():
            return _parse(name, raw.astype(object), column, date_format)  # raises, counting the missing
        try:
            parsed, note = _parse(name, uniques, column, date_format)
        except CalendarError:
            return _parse(name, raw.astype(object), column, date_format)  # raises, naming the file's rows
        return pd.DatetimeIndex(parsed.take(codes), name="date"), note
    if raw[:4096].is_unique and raw[:: max(1, len(raw) // 4096)].is_unique:  # a head and a sample:
        # distinct stamps (one series): then the distinct values are not worth finding
        return _parse(name, raw, column, date_format)
    codes, uniques = pd.factorize(raw, use_na_sentinel=False)
    try:
        parsed, note = _parse(name, pd.Index(uniques, dtype=raw.dtype), column, date_format)
    except CalendarError:
        return _parse(name, raw, column, date_format)  # raises, naming the rows of the file
    return pd.DatetimeIndex(parsed.take(codes), name="date"), note


def _parse(
    name: str, values, column=None, date_format: str | None = None
) -> tuple[pd.DatetimeIndex, str | None]:
    """:func:`parse_dates` on every value.

    Text such as ``02/01/2024`` is read day first or month first only when the
    file settles it (a first number above 12 means day first, a second one
    above 12 month first); a file that never does, or mixes both orders, is a
    :class:`CalendarError` asking for ``date_format``.
    """
    raw = pd.Index(values)
    label = f"the date column {column!r}" if column is not None else "the dates"
    note = None
    if date_format:
        parsed = _with_format(name, label, raw, date_format)
        note = f"{label} read with date_format={date_format!r}"
    elif isinstance(raw, pd.DatetimeIndex):
        if raw.tz is None:
            parsed = raw.tz_localize("UTC")
        else:
            parsed, note = _local_or_utc(label, raw.tz_localize(None), raw.tz_convert("UTC"), str(raw.tz))
    elif (offsets := _with_offsets(name, label, raw)) is not None:
        parsed, note = offsets
    elif pd.api.types.is_bool_dtype(raw.dtype):
        raise CalendarError(f"{name}: {label} holds booleans, not dates.")
    elif pd.api.types.is_numeric_dtype(raw.dtype) or (
        len(raw) and _is_number(raw[0]) and pd.to_numeric(raw.astype(str), errors="coerce").notna().all()
    ):
        numbers = pd.to_numeric(
            pd.Series(raw if pd.api.types.is_numeric_dtype(raw.dtype) else raw.astype(str))
        )
        parsed, note = _yyyymmdd(name, label, numbers) or _epoch(name, label, numbers)
    elif (order := _day_month_order(name, label, raw)) is not None:
        fmt, note = order
        parsed = _with_format(name, label, raw, fmt, inferred=True)
    else:
        try:
            parsed = pd.DatetimeIndex(pd.to_datetime(raw, utc=True))
        except (ValueError, TypeError):
            numeric = pd.Series(raw.astype(str)).str.fullmatch(_NUMERIC_DMY.pattern)
            if numeric.any():  # "mixed" would read each such date in whichever order fits it
                raise CalendarError(
                    f"{name}: {label} holds dates in more than one format, such as "
                    f"{format_items([raw[numeric.to_numpy()][0], raw[~numeric.to_numpy()][0]])}; "
                    "give the format of the file with date_format= (e.g. '%d/%m/%Y') to have the "
                    "others named."
                ) from None
            try:
                parsed = pd.DatetimeIndex(pd.to_datetime(raw, utc=True, format="mixed"))
            except (ValueError, TypeError) as exc:
                bad = [v for v in raw if _unparseable(v)]
                raise CalendarError(
                    f"{name}: dates that cannot be parsed: {format_items(bad)}. "
                    "Give their format with date_format=, e.g. '%d.%m.%Y %H:%M'."
                ) from exc
    if parsed.isna().any():
        raise CalendarError(f"{name}: {int(parsed.isna().sum())} missing date(s) in {label}.")
    return pd.DatetimeIndex(parsed.tz_localize(None), name="date"), note


_OFFSET = re.compile(r"\s*(.*?\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*(Z|UTC|[+-]\d{2}:?\d{2})\s*")


def _with_offsets(name: str, label: str, raw: pd.Index) -> tuple[pd.DatetimeIndex, str] | None:
    """Text stamps ending with a UTC offset (``+01:00``, ``-0500``, ``Z``): read by
    :func:`_local_or_utc`; None when no stamp has one. Refused when only some have one."""
    if raw.dtype != object and not pd.api.types.is_string_dtype(raw.dtype):
        return None
    text = pd.Series(raw.astype(str), dtype=object)
    found = text.str.fullmatch(_OFFSET.pattern)
    if not found.any():
        return None
    rows = np.flatnonzero(~found.to_numpy())
    if len(rows):
        with_offset = np.flatnonzero(found.to_numpy())
        raise CalendarError(
            f"{name}: {label} mixes stamps with a UTC offset ({_rows(text, with_offset)}) and stamps "
            f"without one ({_rows(text, rows)}); which time zone the others are in cannot be told. "
            "Correct the file so every stamp has its offset, or none has."
        )
    parts = text.str.extract(_OFFSET)
    try:
        local = pd.DatetimeIndex(pd.to_datetime(parts[0], format="mixed"))
    except (ValueError, TypeError) as exc:
        raise CalendarError(f"{name}: {label} has stamps that cannot be parsed: {exc}.") from None
    sign = parts[1].str[0].map({"+": 1, "-": -1}).fillna(0).to_numpy()
    digits = parts[1].str.replace(":", "", regex=False).str[1:]
    hours = pd.to_numeric(digits.str[:2], errors="coerce").fillna(0).to_numpy()
    minutes = pd.to_numeric(digits.str[2:4], errors="coerce").fillna(0).to_numpy()
    offset = pd.to_timedelta(sign * (hours * 60 + minutes), unit="min")
    shown = format_items(pd.unique(parts[1]), limit=4)
    return _local_or_utc(label, local, (local - offset).tz_localize("UTC"), f"offsets {shown}")


def _local_or_utc(label: str, local: pd.DatetimeIndex, utc: pd.DatetimeIndex, zone: str):
    """One stamp per local calendar day (daily or coarser): the local dates; else UTC."""
    stamps = local.unique()
    if len(stamps.normalize().unique()) == len(stamps):
        note = (
            f"{label} has UTC {zone}: one stamp per day, each read as its local calendar date "
            f"(e.g. {local[0]} is {local[0]:%Y-%m-%d})"
        )
        return local.normalize().tz_localize("UTC"), note
    return utc, f"{label} has UTC {zone} and several stamps a day (intraday): converted to UTC"


def _rows(text: pd.Series, positions, limit: int = 3) -> str:
    shown = ", ".join(f"row {i + 1} {text.iloc[i]!r}" for i in positions[:limit])
    return shown + (f" and {len(positions) - limit} more" if len(positions) > limit else "")


_SUMMARY = re.compile(
    r"(?i)\s*(average|avg|mean|median|total|totals|sum|count|min|max|minimum|maximum|std|stdev|"
    r"summary|rows|records|end|source|note|notes|disclaimer|generated|data provided|copyright|©)\b.*"
)


def footer_rows(values) -> np.ndarray:
    """Positions of the rows that end a table without a date: a blank date cell or a
    summary label ("Average", "Total rows: 253", "Source: ..."). Empty when every row
    is such a row (then nothing in the table is a date, which parsing says)."""
    values = pd.Index(values)
    n, tail = len(values), min(len(values), 64)
    while True:  # only the end of the column is looked at, growing while it is all undated
        flags = _undated(values[n - tail :])
        if not len(flags) or not flags[-1] or (flags.all() and tail == n):
            return np.array([], dtype=int)
        if not flags.all():
            return np.arange(n - int(np.argmin(flags[::-1])), n)  # the start of the last undated run
        tail = min(n, tail * 16)


def _undated(values: pd.Index) -> np.ndarray:
    text = pd.Series(values.astype(object)).map(lambda v: "" if v is None or v != v else str(v))
    return (text.str.strip().eq("") | text.str.fullmatch(_SUMMARY.pattern)).to_numpy(dtype=bool)


def _day_month_order(name: str, label: str, raw: pd.Index) -> tuple[str, str] | None:
    """For dates written as two numbers and a year (``02/01/2024``): the format that
    reads them, and a note saying why; None for other dates. Raises when the
    order of day and month cannot be told or is not the same throughout."""
    text = pd.Series(raw.astype(str))
    if not len(text) or not _NUMERIC_DMY.fullmatch(text.iloc[0]):  # ISO and others: at a glance
        return None
    if not text.str.fullmatch(_NUMERIC_DMY.pattern).all():
        return None
    found = text.str.extract(_NUMERIC_DMY)
    first, sep, second = found[0].astype(int), found[1].iloc[0], found[2].astype(int)
    year = "%Y" if len(found[3].iloc[0]) == 4 else "%y"
    day_first = text[first > 12]
    month_first = text[second > 12]
    day_fmt, month_fmt = f"%d{sep}%m{sep}{year}", f"%m{sep}%d{sep}{year}"
    fixes = [{"date_format": day_fmt}, {"date_format": month_fmt}]
    if len(day_first) and len(month_first):
        raise CalendarError(
            f"{name}: {label} mixes day-first dates ({format_items(day_first.tolist(), limit=3)}) and "
            f"month-first dates ({format_items(month_first.tolist(), limit=3)}); no one reading fits "
            f"both. Correct the file, or give the format of most with date_format= ({day_fmt!r} or "
            f"{month_fmt!r}) to have the others named.",
            fixes=fixes,
        )
    if len(day_first) or len(month_first):
        example = (day_first if len(day_first) else month_first).iloc[0]
        fmt = _full_format(example, day_fmt if len(day_first) else month_fmt, dayfirst=bool(len(day_first)))
        order = "day" if len(day_first) else "month"
        return fmt, f"{label} read {order} first ({fmt}), as {example!r} can only be read so"
    raise CalendarError(
        f"{name}: {label} could be read day first or month first (e.g. {text.iloc[0]!r}: no day in "
        f"the file is above 12). Say which with date_format={day_fmt!r} (day first) or "
        f"{month_fmt!r} (month first).",
        fixes=fixes,
    )


def _full_format(example: str, date_part: str, *, dayfirst: bool) -> str:
    """The format of ``example`` (its time included), its date read as ``date_part``."""
    from pandas.tseries.api import guess_datetime_format

    return guess_datetime_format(example.strip(), dayfirst=dayfirst) or date_part


def _with_format(name: str, label: str, raw: pd.Index, fmt: str, inferred: bool = False) -> pd.DatetimeIndex:
    parsed = pd.to_datetime(pd.Series(raw.astype(str)), format=fmt, errors="coerce", utc=True)
    bad = [v for v, p in zip(raw, parsed, strict=True) if p is pd.NaT or p != p]
    if bad:
        how = f"the format {fmt!r} read from the file" if inferred else f"date_format={fmt!r}"
        raise CalendarError(f"{name}: {label} has dates that do not match {how}: {format_items(bad)}.")
    return pd.DatetimeIndex(parsed)


def _yyyymmdd(name: str, label: str, numbers: pd.Series) -> tuple[pd.DatetimeIndex, str] | None:
    """Dates written as numbers ``20100104`` (Stooq's ``<DATE>``, Excel's ``yyyymmdd``), or None
    when the numbers are not such. Unambiguous when every value is a whole number of 8 digits
    that is a valid date between 1900 and 2099 (no Unix epoch time in 1980-2100 has fewer
    than 9 digits, and a day-first or month-first 8-digit number such as 04012010 is not a
    valid date so read) and the values are in order, rising or falling (a column of codes
    or prices that happened to fit is refused, asking for ``date_format='%Y%m%d'``)."""
    v = numbers.to_numpy(dtype=float)
    if not len(v) or not np.isfinite(v).all() or not (v == np.floor(v)).all():
        return None
    if not ((v >= 19000101) & (v <= 20991231)).all():
        return None
    parsed = pd.to_datetime(pd.Series(v.astype(np.int64).astype(str)), format="%Y%m%d", errors="coerce")
    if parsed.isna().any():
        return None  # 8 digits that are not all dates: the epoch reading says what they are
    d = np.diff(v)
    if not ((d >= 0).all() or (d <= 0).all()):
        at = int(np.flatnonzero(d < 0)[0]) if (d < 0).any() else int(np.flatnonzero(d > 0)[0])
        raise CalendarError(
            f"{name}: {label} holds 8-digit numbers that are all valid dates written yyyymmdd "
            f"(e.g. {int(v[0])}), but not in order ({int(v[at])} then {int(v[at + 1])}), so they may "
            "be codes rather than dates. If they are dates, say so with date_format='%Y%m%d'.",
            fixes=[{"date_format": "%Y%m%d"}],
        )
    return (
        pd.DatetimeIndex(parsed).tz_localize("UTC"),
        f"{label} holds dates written as yyyymmdd numbers (e.g. {int(v[0])} is "
        f"{parsed.iloc[0]:%Y-%m-%d}): 8 digits, valid dates, in order",
    )


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
        "Write the dates as text (YYYY-MM-DD), or give their format with date_format= "
        "(e.g. '%Y%m%d' for 20240131)."
    )


def _is_number(value) -> bool:
    try:
        float(str(value))
    except ValueError:
        return False
    return True


def _num(x: float) -> str:
    return f"{x:.0f}" if float(x).is_integer() else f"{x:g}"


def _unparseable(v) -> bool:
    try:
        pd.to_datetime(v, utc=True)
        return False
    except (ValueError, TypeError):
        return True


def window_bound(arg: str, value, *, end: bool):
    """``start=``/``end=`` as a timestamp (None when not given); an ``end`` given as a day
    reaches its last instant; a date with a time zone is read in UTC."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError):
        raise InvalidParameterError(f"{arg}={value!r} is not a date; write it as YYYY-MM-DD.") from None
    if ts.tz is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    if end and isinstance(value, str) and len(value.strip()) <= 10:  # a day: up to its last instant
        ts = ts + pd.Timedelta(days=1) - pd.Timedelta(1, "ns")
    return ts
