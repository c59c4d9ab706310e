"""From a table as read to one wide float table (private; see riskkit.data.read_prices).

The assets and the date window are cut *before* any value is checked, so a
user can cut a bad region or a bad asset away; then numbers, then duplicated
timestamps (identical ones are kept once and flagged, different ones are an
error), then the long layout is pivoted. The result is sorted by date and may
hold missing values: choosing what to do with them is :mod:`riskkit.data._coverage`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from riskkit._core.validation import _fmt, check_numeric, check_unique_columns, format_items
from riskkit.data._dates import window_bound
from riskkit.data._read import Table
from riskkit.exceptions import DuplicateError, EmptyDataError, InvalidParameterError, NonNumericError


def narrow(
    name: str, table: Table, *, assets, start, end, duplicates: str = "refuse"
) -> tuple[pd.DataFrame, list, list, list]:
    """Wide float64 prices (NaN where absent), the log notes, the flags of exact repeats
    and the choices ``duplicates="first"``/``"last"`` made (dicts: date, asset, action)."""
    notes: list = []
    if table.layout == "wide":
        body = table.frame
        check_unique_columns(name, body)
        keep = _pick_assets(name, list(body.columns), assets, notes)
        body = _window(name, body[keep], body.index, start, end, notes)
        body = body.apply(lambda col: _thousands(col, notes))
        values = check_numeric(name, body)
        wide, flags, chosen = _dedupe_wide(name, values, duplicates)
    else:
        long = table.frame.assign(asset=_labels(table.frame["asset"]))
        order = list(pd.unique(long["asset"]))
        keep = _pick_assets(name, table.available or order, assets, notes)
        kept = long["asset"].isin(keep).to_numpy()
        long = long if kept.all() else long[kept]  # (a mask that keeps every row copies them all)
        long = _window(name, long, pd.DatetimeIndex(long["date"]), start, end, notes)
        long = long.assign(price=_long_numbers(name, long.assign(price=_thousands(long["price"], notes))))
        long, flags, chosen = _dedupe_long(name, long, duplicates)
        wide = _pivot(long, keep)
    wide = wide.sort_index(kind="stable")
    wide.index.name = "date"
    wide.columns = pd.Index(list(wide.columns), name="asset")
    return wide, notes, flags, chosen


def _labels(assets: pd.Series) -> pd.Series:
    """Asset labels as text; categories (as a long CSV is read) stay categories, renamed."""
    if isinstance(assets.dtype, pd.CategoricalDtype):
        return assets.cat.rename_categories([str(c) for c in assets.cat.categories])
    return assets.astype(str)


def _pick_assets(name: str, available: list, assets, notes: list) -> list:
    if assets is None or (not isinstance(assets, str) and len(assets) == 0):
        return available
    wanted = [assets] if isinstance(assets, str) else list(assets)
    absent = [a for a in wanted if a not in available]
    if absent:
        present = [a for a in wanted if a in available]
        raise InvalidParameterError(
            f"assets= names {format_items(absent)}, not in {name}; "
            f"its assets are {format_items(available, limit=30)}.",
            fixes=[{"assets": present}] if present else [],
        )
    dup = sorted({a for a in wanted if wanted.count(a) > 1})
    if dup:
        raise InvalidParameterError(f"assets= names {format_items(dup)} more than once.")
    notes.append(("assets", f"assets={wanted!r}: {len(wanted)} of {len(available)} assets kept"))
    return wanted


def _window(name: str, frame: pd.DataFrame, dates: pd.DatetimeIndex, start, end, notes: list) -> pd.DataFrame:
    lo, hi = window_bound("start", start, end=False), window_bound("end", end, end=True)
    if lo is None and hi is None:
        return frame
    if lo is not None and hi is not None and lo > hi:
        raise InvalidParameterError(f"start={start!r} comes after end={end!r}.")
    mask = pd.Series(True, index=range(len(dates)))
    if lo is not None:
        mask &= dates >= lo
    if hi is not None:
        mask &= dates <= hi
    if not mask.any():
        raise EmptyDataError(
            f"{name} has no prices between start={start or None!r} and end={end or None!r}; "
            f"its dates run from {_fmt(dates.min())} to {_fmt(dates.max())}."
        )
    notes.append(
        (
            "window",
            f"dates cut to start={start or None!r}, end={end or None!r}: "
            f"{int(mask.sum())} of {len(dates)} rows kept",
        )
    )
    return frame.iloc[mask.to_numpy()]


_THOUSANDS = r"\s*[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?\s*"  # 42,437.70 (a comma every 3 digits)
_PLAIN = r"\s*[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?\s*"


def _thousands(values: pd.Series, notes: list) -> pd.Series:
    """Prices written with thousands separators (``"42,437.70"``) as numbers, when
    every value of the column is such a number or a plain one (logged);
    anything else is left for the numeric check to name."""
    if values.dtype != object and not pd.api.types.is_string_dtype(values.dtype):
        return values
    if not any(isinstance(x, str) and "," in x for x in values.to_numpy()):  # the usual case, cheaply
        return values
    text = values.dropna().astype(str)
    grouped = text.str.fullmatch(_THOUSANDS)
    if not grouped.any() or not (grouped | text.str.fullmatch(_PLAIN)).all():
        return values
    example = text[grouped].iloc[0]
    notes.append(
        ("numbers", f"{values.name!r}: {int(grouped.sum())} price(s) written with thousands separators "
         f"(e.g. {example.strip()!r}) read as numbers")
    )  # fmt: skip
    return values.where(values.isna(), values.astype(str).str.replace(",", "", regex=False))


def _long_numbers(name: str, long: pd.DataFrame) -> pd.Series:
    raw = long["price"]
    if pd.api.types.is_bool_dtype(raw.dtype):
        raise NonNumericError(f"{name} must hold numbers only: the price column is boolean.")
    if pd.api.types.is_numeric_dtype(raw.dtype):
        return raw.astype("float64")
    conv = pd.to_numeric(raw, errors="coerce")
    bad = conv.isna() & raw.notna()
    if bad.any():
        parts = []
        for asset, g in long[bad.to_numpy()].groupby("asset", sort=False):
            shown = ", ".join(f"{_fmt(d)}: {v!r}" for d, v in zip(g["date"][:4], g["price"][:4], strict=True))
            parts.append(f"{asset!r} has {len(g)} non-numeric value(s) ({shown})")
        raise NonNumericError(f"{name} must hold numbers only: " + "; ".join(parts) + ".")
    return conv.astype("float64")


def _same(values: pd.DataFrame) -> bool:
    """Rows equal to the first one (missing equal to missing)."""
    first = values.iloc[0]
    return bool(((values == first) | (values.isna() & first.isna())).all().all())


def _dup_flag(asset, date, n: int) -> dict:
    return {
        "asset": asset,
        "date": date,
        "end": date,
        "flag": "duplicate",
        "severity": "warning",
        "value": float(n),
        "detail": f"{n} rows with the same date and price: kept once",
    }


def cut_fixes(dates: pd.DatetimeIndex, bad: pd.DatetimeIndex) -> list:
    """start=/end= values that cut the bad dates away and leave at least two dates."""
    fixes = []
    before, after = dates[dates < bad.min()].unique(), dates[dates > bad.max()].unique()
    if len(after) >= 2:
        fixes.append({"start": _fmt(after.min())})
    if len(before) >= 2:
        fixes.append({"end": _fmt(before.max())})
    return fixes


def _choice(asset, date, prices, duplicates: str) -> dict:
    kept = prices[0] if duplicates == "first" else prices[-1]
    shown = ", ".join(f"{v:g}" for v in prices)
    return {
        "date": date,
        "asset": asset,
        "action": f"{len(prices)} rows with different prices ({shown}): the {duplicates} kept, {kept:g} "
        f"(duplicates={duplicates!r})",
    }


def _dedupe_wide(name: str, values: pd.DataFrame, duplicates: str) -> tuple[pd.DataFrame, list, list]:
    dup = values.index.duplicated(keep=False)
    if not dup.any():
        return values, [], []
    flags, clash = [], []
    for date, rows in values[dup].groupby(level=0, sort=True):
        if _same(rows):
            flags += [_dup_flag(a, date, len(rows)) for a in values.columns]
        else:
            differ = [a for a in values.columns if not _same(rows[[a]])]
            clash.append((date, differ, rows))
    keep = "last" if duplicates == "last" else "first"
    if clash and duplicates != "refuse":
        chosen = [_choice(a, d, list(rows[a]), duplicates) for d, differ, rows in clash for a in differ]
        return values[~values.index.duplicated(keep=keep)], flags, chosen
    if clash:
        shown = "; ".join(
            f"{_fmt(d)} ({', '.join(f'{a!r}: ' + ', '.join(f'{v:g}' for v in rows[a]) for a in differ[:3])})"
            for d, differ, rows in clash[:4]
        )
        bad = pd.DatetimeIndex([d for d, _, _ in clash])
        raise DuplicateError(
            f"{name} has duplicated dates: {format_items(bad)} with different prices: {shown}. "
            "Nothing is chosen for you: pass duplicates='last' or 'first' to keep one row of each "
            "(logged), correct the file, or cut those dates away with start= or end=.",
            fixes=[{"duplicates": "last"}, {"duplicates": "first"}, *cut_fixes(values.index, bad)],
        )
    return values[~values.index.duplicated(keep="first")], flags, []


def _cells(long: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, pd.Index, pd.Index]:
    """Each row's date and asset as positions in the sorted dates and in the assets met,
    and those dates and assets (integer codes: lighter than pairs of labels)."""
    d, dates = pd.factorize(long["date"], sort=True)
    a, assets = pd.factorize(long["asset"])
    return d.astype(np.int64), a.astype(np.int64), pd.Index(dates), pd.Index(assets)


def _pivot(long: pd.DataFrame, keep: list) -> pd.DataFrame:
    """Long rows (one per date and asset) as dates x assets, the assets in ``keep``'s order,
    NaN where a date has no price; filled by position, without a MultiIndex."""
    d, a, dates, assets = _cells(long)
    values = np.full((len(dates), len(assets)), np.nan)
    values[d, a] = long["price"].to_numpy(dtype=np.float64)
    wide = pd.DataFrame(values, index=pd.DatetimeIndex(dates), columns=assets, copy=False)
    order = [x for x in keep if x in set(assets)]
    return wide if order == list(assets) else wide[order]


def _dedupe_long(name: str, long: pd.DataFrame, duplicates: str) -> tuple[pd.DataFrame, list, list]:
    d, a, dates, assets = _cells(long)
    cell = d * len(assets) + a
    dup = pd.Series(np.bincount(cell, minlength=len(dates) * len(assets))[cell] > 1, index=long.index)
    if not dup.any():
        return long, [], []
    flags, clash = [], {}
    for (date, asset), g in long[dup].groupby(["date", "asset"], sort=True):
        if _same(g[["price"]]):
            flags.append(_dup_flag(asset, date, len(g)))
        else:
            clash.setdefault(asset, []).append((date, list(g["price"])))
    keep = "last" if duplicates == "last" else "first"
    if clash and duplicates != "refuse":
        chosen = [_choice(a, d, p, duplicates) for a, items in clash.items() for d, p in items]
        return long[~long.duplicated(["date", "asset"], keep=keep)], flags, chosen
    if clash:
        listing = "; ".join(
            f"{a!r} on "
            + ", ".join(f"{_fmt(d)} ({', '.join(f'{v:g}' for v in p)})" for d, p in items[:4])
            + (f", ... ({len(items) - 4} more)" if len(items) > 4 else "")
            for a, items in clash.items()
        )
        others = [a for a in pd.unique(long["asset"]) if a not in clash]
        bad = pd.DatetimeIndex([d for items in clash.values() for d, _ in items])
        fixes = cut_fixes(pd.DatetimeIndex(long["date"]), bad) + ([{"assets": others}] if others else [])
        raise DuplicateError(
            f"{name} has duplicated dates per asset: {listing}, with different prices. Nothing is chosen for "
            "you: pass duplicates='last' or 'first' to keep one row of each (logged), correct the file, "
            "leave the asset out with assets=, or cut the dates away with start= or end=.",
            fixes=[{"duplicates": "last"}, {"duplicates": "first"}, *fixes],
        )
    return long[~long.duplicated(["date", "asset"], keep="first")], flags, []
