"""Reading price files and frames into one wide table (private; see riskkit.data.read_prices).

What is here: the file formats (CSV with or without a header, Parquet, a
folder of one file per asset), the recognition of a table's layout and of
its date, asset and price columns (dates, epoch units: :mod:`riskkit.data._dates`). The result is
a :class:`Table`: the raw values of the layout (wide, or long rows of date,
asset, price) with dates parsed, plus the notes of what was recognised.
Narrowing (assets, dates), numbers and duplicates are in
:mod:`riskkit.data._narrow`.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field, replace
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from riskkit._core.validation import count, format_items
from riskkit.data._dates import footer_rows, parse_dates, window_bound
from riskkit.data._dialect import SEPARATORS, Dialect, sniff
from riskkit.exceptions import (
    DuplicateError,
    EmptyDataError,
    InvalidParameterError,
    InvalidTypeError,
    LayoutError,
    NonNumericError,
)

LAYOUTS = ("auto", "wide", "long", "folder", "exchange")
CSV_SUFFIXES = (".csv", ".csv.gz", ".csv.bz2", ".csv.zip", ".csv.xz", ".txt")
PARQUET_SUFFIXES = (".parquet", ".pq")

# Column names as people write them, compared after _key (lower case, runs of space/_/- as one space).
DATE_KEYS = ("date", "datetime", "timestamp", "time", "open time", "observation date", "snapped at", "dates")
ASSET_KEYS = ("ticker", "symbol", "asset", "coin", "pair")
ADJUSTED_KEYS = ("adj close", "adjclose", "adjusted close")
PRICE_KEYS = ("close", "price")
# Fields that come with one asset's export besides its close (OHLCV, Binance klines, yfinance).
EXPORT_KEYS = frozenset(
    (
        "open",
        "high",
        "low",
        "close",
        "volume",
        "vwap",
        "turnover",
        "trades",
        "count",
        "ignore",
        "close time",
        "quote volume",
        "quote asset volume",
        "number of trades",
        "taker buy volume",
        "taker buy base asset volume",
        "taker buy quote volume",
        "taker buy quote asset volume",
        "dividends",
        "stock splits",
        "capital gains",
        "openint",
        "open interest",
        "tickvol",
        "vol",
        "spread",
        "change",
        "market cap",
        "total volume",
        *ADJUSTED_KEYS,
        *PRICE_KEYS,
    )
)
# Headerless exports, recognised by their number of fields.
BINANCE_KLINE = (
    "open_time",
    "open",
    "high",
    "low",
    "close",
    "volume",
    "close_time",
    "quote_volume",
    "count",
    "taker_buy_volume",
    "taker_buy_quote_volume",
    "ignore",
)
OHLCV = ("timestamp", "open", "high", "low", "close", "volume")
OHLCVT = (*OHLCV, "trades")  # Kraken's OHLCVT downloads
_HEADERLESS = {
    len(BINANCE_KLINE): ("a Binance kline export", BINANCE_KLINE),
    len(OHLCV): ("an OHLCV export", OHLCV),
    len(OHLCVT): ("an OHLCVT export (Kraken)", OHLCVT),
}
# Missing values as exports write them: FRED's ".", a terminal's "#N/A N/A".
_NA = ["", "NA", "NaN", "nan", "null", "NULL", "N/A", ".", "#N/A", "#N/A N/A", "#N/A Field Not Applicable"]


@dataclass
class Table:
    """A price table as read, dates parsed: with layout "wide", ``frame`` is dates x assets
    (raw values); otherwise ("long", "exchange", "folder") long rows of ``date``, ``asset``,
    ``price``."""

    layout: str
    frame: pd.DataFrame
    notes: list = field(default_factory=list)  # (step, text) pairs for the log
    available: list | None = None  # a folder's assets (all files, read or not)


def _key(name) -> str:
    """A column name compared: lower case, ``<>`` (MetaTrader), ``.`` and ``%`` removed, runs of
    space, ``_`` and ``-`` as one space."""
    return re.sub(r"[\s_\-]+", " ", re.sub(r"[<>.%]", "", str(name)).strip().lower()).strip()


def source_name(source) -> str:
    return f"prices in {Path(source).name!r}" if isinstance(source, str | PathLike) else "prices"


@dataclass(frozen=True)
class Format:
    """How to read a file beyond its layout and columns: the dialect given (None: detected),
    what to do with undated footer rows, and the window (cut before the dates are checked)."""

    date_format: str | None = None
    sep: str | None = None
    decimal: str | None = None
    encoding: str | None = None
    footer: str = "refuse"
    start: Any = None
    end: Any = None


def read(source, *, layout: str, date, asset, price, assets, fmt: Format = Format()) -> Table:
    """The table in ``source`` with its layout recognised (or as given)."""
    name = source_name(source)
    if isinstance(source, str | PathLike) and Path(source).is_dir():
        if layout not in ("auto", "folder"):
            raise LayoutError(
                f"source {str(source)!r} is a folder; a folder is read with layout='folder' "
                f"(one file per asset), not layout={layout!r}.",
                fixes=[{"layout": "folder"}],
            )
        return _read_folder(Path(source), date=date, price=price, assets=assets, fmt=fmt)
    if layout == "folder":
        raise LayoutError(
            f"layout='folder' needs a folder of price files; source {_describe(source)} is not one."
        )
    frame, notes, dialect = read_table(
        source, sep=fmt.sep, decimal=fmt.decimal, encoding=fmt.encoding, date=date, asset=asset, end=fmt.end
    )
    stem = _asset_of(Path(source)) if isinstance(source, str | PathLike) else None
    if stem is not None and stem != _stem(Path(source)):
        notes = [
            *notes,
            (
                "columns",
                f"asset {stem!r} from the file name {Path(source).name!r} (symbol-interval-period, as "
                "Binance names its files)",
            ),
        ]
    return _recognise(
        name, frame, notes, layout=layout, date=date, asset=asset, price=price, stem=stem, fmt=fmt,
        dialect=dialect, assets=assets,
    )  # fmt: skip


def _describe(source) -> str:
    return repr(str(source)) if isinstance(source, str | PathLike) else f"(a {type(source).__name__})"


def _stem(path: Path) -> str:
    name = path.name
    for suffix in sorted(CSV_SUFFIXES + PARQUET_SUFFIXES, key=len, reverse=True):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return path.stem


# Binance's public data files: SYMBOL-INTERVAL-YYYY-MM or SYMBOL-INTERVAL-YYYY-MM-DD (one month or day each)
_PERIOD_FILE = re.compile(r"([A-Za-z0-9]+)-(\d+(?:s|m|h|d|w|mo))(?:-(\d{4}-\d{2}(?:-\d{2})?))?")


def _asset_of(path: Path) -> str:
    """The asset a file holds, from its name: the symbol of a period file
    (``BTCUSDT-1d-2024-01.csv`` holds BTCUSDT), else the name without suffix."""
    m = _PERIOD_FILE.fullmatch(_stem(path))
    return m.group(1) if m else _stem(path)


def read_table(
    source,
    *,
    sep: str | None = None,
    decimal: str | None = None,
    encoding: str | None = None,
    date=None,
    asset=None,
    end=None,
) -> tuple[pd.DataFrame, list, Dialect]:
    """A raw frame from a DataFrame, CSV or Parquet file (a CSV's numbers parsed, its dates
    and labels as text: :func:`_body`), the notes and the dialect the CSV was written in
    (its choices are among the notes). ``date``, ``asset``: the column names given, if any; a
    truncated last row dated after ``end`` is left for narrowing to cut."""
    if isinstance(source, pd.DataFrame):
        return source.copy(), [], Dialect()
    if not isinstance(source, str | PathLike):
        raise InvalidTypeError(
            f"source must be a path to a CSV/Parquet file or a DataFrame, got {type(source).__name__}."
        )
    path = Path(source)
    lower = path.name.lower()
    if lower.endswith((".pkl", ".pickle", ".pkl.gz", ".pickle.gz")):
        raise InvalidParameterError(
            f"source {path.name!r} is a pickle file; riskkit does not read pickles because loading "
            "one can run arbitrary code. Save the prices as CSV or Parquet."
        )
    if not path.exists():
        raise FileNotFoundError(f"source {str(path)!r} does not exist.")
    if lower.endswith(PARQUET_SUFFIXES):
        frame = pd.read_parquet(path)
        if isinstance(frame.index, pd.DatetimeIndex):
            frame = frame.reset_index()
        return frame, [], Dialect()
    if not lower.endswith(CSV_SUFFIXES):
        raise InvalidParameterError(
            f"source {path.name!r} has an unsupported file type; expected one of "
            f"{format_items(CSV_SUFFIXES + PARQUET_SUFFIXES)}."
        )
    dialect = sniff(path, sep=sep, decimal=decimal, encoding=encoding)
    # pandas renames duplicated header names ("A", "A.1"): the header is read as written, apart.
    first = _csv(
        path, dialect, nrows=1, sep=dialect.sep, encoding=dialect.encoding, header=None, dtype=str,
        keep_default_na=False,
    ).iloc[0].tolist()  # fmt: skip
    headerless = all(_is_number(v) for v in first)
    body = _body(path, dialect, first, headerless=headerless, date=date, asset=asset)
    notes = list(dialect.notes)
    if headerless:
        known = _HEADERLESS.get(len(first))
        if known is None:
            raise LayoutError(
                f"source {path.name!r} has no header row: its first row is {len(first)} numbers "
                f"({', '.join(first[:4])}{', ...' if len(first) > 4 else ''}). Headerless files are "
                f"recognised as Binance klines ({len(BINANCE_KLINE)} fields) or OHLCV exports "
                f"({len(OHLCV)} fields: {', '.join(OHLCV)}); add a header row naming the columns "
                "(a date column and one column per asset, or date, asset, price)."
            )
        what, names = known
        body.columns = list(names)
        notes.append(("columns", f"no header row; {len(first)} fields read as {what}: {', '.join(names)}"))
        return body, notes, dialect
    if body.shape[1] != len(first):  # pragma: no cover  (pandas pads short rows; kept as a guard)
        raise DuplicateError(
            f"source {path.name!r}: header has {len(first)} names but rows have {body.shape[1]} fields."
        )
    body.columns = first
    _refuse_truncated(path.name, body, dialect, end)
    return body, notes, dialect


def _body(path: Path, dialect: Dialect, first: list, *, headerless: bool, date, asset) -> pd.DataFrame:
    """The rows of a CSV file below its header. Numbers are parsed by pandas as it reads
    (float64, 8 bytes a value, in the file's decimal and thousands marks). Labels stay
    text (the columns named like an asset column, or ``asset``), so ``0700`` stays a
    ticker; so do the dates (the first column, those named like a date column, or
    ``date``) when the file has decimal commas or thousands marks, so ``04.01.2010``
    stays a date (else pandas' own reading of them is kept: a copy of the column less).
    A value pandas cannot read as a number leaves its column text, for the checks to
    name it. A table with an asset column (long: each date and asset repeated) has its
    dates and assets read as categories, each distinct text kept once (measured, 35 MiB
    long CSV: 158 -> 95 MiB read)."""
    keys = [_key(name) for name in first]
    dates = {0} | {i for i, k in enumerate(keys) if k in DATE_KEYS or (date is not None and k == _key(date))}
    assets = {i for i, k in enumerate(keys) if k in ASSET_KEYS or (asset is not None and k == _key(asset))}
    if headerless:
        dates, assets = {0}, set()
    if not assets and dialect.decimal == "." and dialect.thousands is None:
        dates = set()  # as pandas infers them (text, or numbers: epochs, 20100104), without a copy
    text = "category" if assets else str
    # pandas reading in chunks (low_memory) holds the chunks and their join: for a wide table of
    # numbers one pass is lighter (measured, 34 MiB x 1,000 assets: 146 -> 104 MiB), for text heavier
    numbers = len(first) >= 8 and len(dates | assets) * 4 <= len(first)
    options = dict(sep=dialect.sep, encoding=dialect.encoding, header=None if headerless else 0,
                   keep_default_na=False, na_values=_NA)  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", pd.errors.DtypeWarning)  # a column of numbers and text: text, checked
        body = _csv(
            path, dialect, dtype=dict.fromkeys(sorted(dates | assets), text), decimal=dialect.decimal,
            thousands=dialect.thousands, low_memory=not numbers, **options,
        )  # fmt: skip
    for i in sorted(assets):  # pandas makes categories of digits numbers: tickers 0700 and 9988, as text
        column = body.iloc[:, i]
        if not pd.api.types.is_string_dtype(column.cat.categories.dtype):
            body.isetitem(
                i, _csv(path, dialect, usecols=[i], dtype=str, **options).iloc[:, 0].astype("category")
            )
    return body


def _csv(path: Path, dialect: Dialect, **options) -> pd.DataFrame:
    """pandas.read_csv, its errors as riskkit's (naming the dialect read, and the options to change it)."""
    try:
        return pd.read_csv(path, **options)
    except pd.errors.EmptyDataError:
        raise EmptyDataError(f"source {path.name!r} holds no rows (only blank lines).") from None
    except UnicodeDecodeError as exc:
        raise LayoutError(
            f"source {path.name!r} is not {dialect.encoding} throughout: {exc.reason} at byte {exc.start:,} "
            "(past the first part of the file, which decoded). Pass its encoding with encoding= "
            "(e.g. 'cp1252', as Excel on Windows writes it).",
            fixes=[{"encoding": e} for e in ("cp1252", "latin-1") if e != dialect.encoding],
        ) from None
    except pd.errors.ParserError as exc:
        raise LayoutError(
            f"source {path.name!r} cannot be split into columns with the delimiter {dialect.sep!r}: "
            f"{str(exc).strip()}. A row with more fields than the header is a damaged line or a "
            "different delimiter; pass sep= if the delimiter is another.",
            fixes=[{"sep": s} for s in SEPARATORS if s != dialect.sep and s != "|"],
        ) from None
    except (OSError, EOFError) as exc:
        raise LayoutError(
            f"source {path.name!r} cannot be read to its end ({type(exc).__name__}: {exc}): it is damaged "
            "or truncated; download or write it again."
        ) from None


def _refuse_truncated(name: str, body: pd.DataFrame, dialect: Dialect, end=None) -> None:
    """A last row with fewer fields than the others, in a file that does not end with a line
    break, was cut while being written: refused, naming it (pandas would pad it with NaN),
    unless ``end`` cuts it away (its date, intact, is after ``end``)."""
    if dialect.ends_with_newline or len(body) < 2:
        return
    last, before = body.iloc[-1], body.iloc[-2]
    if end is not None and _is_date(last.iloc[0]) and _is_date(end):
        if pd.Timestamp(str(last.iloc[0])) > pd.Timestamp(str(end)):
            return
    if last.isna().sum() > before.isna().sum():
        shown = dialect.sep.join("" if v is None or v != v else str(v) for v in last)
        raise LayoutError(
            f"source {name!r} looks truncated: its last row {shown!r} has fewer fields than the one "
            f"before and the file does not end with a line break (cut while being written or "
            "downloaded). Download or write it again, or cut the row away with end=.",
            fixes=[{"end": str(before.iloc[0])}] if _is_date(before.iloc[0]) else [],
        )


def _is_date(text) -> bool:
    try:
        pd.Timestamp(str(text))
    except (ValueError, TypeError):
        return False
    return True


def _is_number(text) -> bool:
    try:
        float(str(text))
    except ValueError:
        return False
    return str(text).strip() != ""


# --------------------------------------------------------------------------- recognising columns


def _find(frame: pd.DataFrame, given, keys, what: str, arg: str):
    """The column named ``given`` (any case), or the first whose name is one of ``keys``."""
    cols = list(frame.columns)
    if given is not None:
        exact = [c for c in cols if c == given] or [c for c in cols if _key(c) == _key(given)]
        if not exact:
            raise InvalidParameterError(
                f"{arg}={given!r} is not a column; columns are {format_items(cols, limit=20)}."
            )
        return exact[0]
    for k in keys:
        hits = [c for c in cols if _key(c) == k]
        if hits and (what != "asset" or _is_text(frame[hits[0]])):
            return hits[0]
    return None


def _is_text(values: pd.Series) -> bool:
    """A column of labels: text with some value that is not a number, or text of digits only
    (codes as Hong Kong and Tokyo list them: ``0700``, ``7203``)."""
    if pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_bool_dtype(values.dtype):
        return False
    v = values.dropna()
    if len(v) and not _is_number(v.iloc[0]):  # the usual case, at a glance (a ticker such as "AAPL")
        return True
    text = v.astype(str)
    return bool(len(v)) and (
        not pd.to_numeric(text, errors="coerce").notna().all() or text.str.fullmatch(r"\d+").all()
    )


def _price_column(frame: pd.DataFrame, price, exclude, notes: list):
    cols = [c for c in frame.columns if c not in exclude]
    if price is not None:
        return _find(frame[cols], price, (), "price", "price_column")
    adjusted = [c for c in cols if _key(c) in ADJUSTED_KEYS]
    plain = [c for k in PRICE_KEYS for c in cols if _key(c) == k]
    if adjusted and plain:
        notes.append(
            (
                "columns",
                f"both {adjusted[0]!r} and {plain[0]!r}: using {adjusted[0]!r} (adjusted for splits "
                f"and dividends); pass price_column={plain[0]!r} for the unadjusted close",
            )
        )
    return (adjusted or plain or [None])[0]


def _shape(frame: pd.DataFrame) -> str:
    rows = frame.head(2).to_numpy().tolist()
    return "; ".join(", ".join(map(str, r)) for r in rows)


def _recognise(
    name, frame, notes, *, layout, date, asset, price, stem, fmt: Format, dialect: Dialect, assets=None
) -> Table:
    """A table read from a file or given as a frame, as dates x assets (wide) or
    date/asset/price rows (long, exchange): its columns found, its layout
    recognised (``layout="auto"``), its footer and the rows outside the window
    cut, its dates parsed."""
    if frame.shape[0] == 0 or frame.shape[1] == 0:
        raise EmptyDataError(
            f"{name} is empty (shape {frame.shape}); it needs at least one row and one column."
        )
    if layout == "wide" and (asset is not None or price is not None):
        raise InvalidParameterError(
            "asset_column= and price_column= name columns of the long or exchange layouts, "
            "not of layout='wide'."
        )
    cols = _columns(frame, notes, layout=layout, date=date, asset=asset, price=price)
    seen = f"columns {format_items(frame.columns, limit=12)}; first rows: {_shape(frame)}"
    if layout == "auto":
        layout = _auto_layout(name, cols, seen)
        notes.insert(
            0,
            (
                "layout",
                f"layout {layout!r} recognised from the columns {format_items(frame.columns, limit=12)}",
            ),
        )
    if cols.date is not None:
        frame = _before_dates(name, frame, cols, notes, fmt=fmt, assets=assets if layout == "long" else None)
    frame = _as_numbers(name, frame, cols, layout, dialect)
    cols = replace(cols, rest=frame.drop(columns=[cols.date]) if cols.date is not None else frame)
    column = frame.index if cols.date is None else frame[cols.date]
    dates, note = parse_dates(name, column, cols.date, fmt.date_format)
    if note:
        notes.append(("dates", note))
    if layout == "wide":
        return Table("wide", cols.rest.set_axis(dates, axis=0), notes)
    long = _long_rows(name, frame, notes, cols, dates, layout=layout, stem=stem, seen=seen)
    return Table(layout, long, notes)


def _before_dates(name, frame, cols, notes: list, *, fmt: Format, assets) -> pd.DataFrame:
    """The rows whose dates are to be read: undated footer rows refused or dropped
    (``footer="drop"``, logged), a long table's other assets and the undatable rows
    outside ``start``/``end`` cut first (logged), so that they cannot stop the reading."""
    footer = footer_rows(frame[cols.date])
    if len(footer):
        shown = "; ".join(
            f"row {i + 1}: {', '.join(str(v) for v in frame.iloc[i].tolist() if v == v and str(v).strip())!r}"
            for i in footer[:4]
        ) + (f"; ... ({len(footer) - 4} more)" if len(footer) > 4 else "")
        it = "it" if len(footer) == 1 else "them"
        if fmt.footer != "drop":
            raise LayoutError(
                f"{name} ends with {count(len(footer), 'row')} without a date in {cols.date!r}, a "
                f"summary or footer rather than prices ({shown}). Pass footer='drop' to leave "
                f"{it} out (logged), or remove {it} from the file.",
                fixes=[{"footer": "drop"}],
            )
        notes.append(
            ("footer", f"footer='drop': {count(len(footer), 'undated row')} at the end left out ({shown})")
        )
        frame = frame.iloc[: footer[0]]
    if assets:
        wanted = [assets] if isinstance(assets, str) else list(assets)
        if cols.asset is not None and frame[cols.asset].astype(str).isin(wanted).any():
            frame = frame[frame[cols.asset].astype(str).isin(wanted).to_numpy()]
    if fmt.start or fmt.end:
        frame = _cut_undatable(name, frame, cols.date, fmt, notes)
    return frame


def _cut_undatable(name, frame, column, fmt: Format, notes: list) -> pd.DataFrame:
    """Rows whose date cannot be read and whose datable neighbours both lie outside the window."""
    lo, hi = window_bound("start", fmt.start, end=False), window_bound("end", fmt.end, end=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        guess = pd.to_datetime(frame[column], errors="coerce", format="mixed", utc=True).dt.tz_localize(None)
    bad = guess.isna().to_numpy()
    if not bad.any() or bad.all():
        return frame
    outside = ((guess < lo) if lo is not None else False) | ((guess > hi) if hi is not None else False)
    side = pd.Series(np.where(bad, np.nan, outside.astype(float)), index=frame.index)
    before, after = side.ffill(), side.bfill()
    cut = bad & (before.fillna(after) == 1).to_numpy() & (after.fillna(before) == 1).to_numpy()
    if not cut.any():
        return frame
    shown = format_items(frame[column][cut].astype(str).tolist(), limit=4)
    text = (
        f"{count(int(cut.sum()), 'row')} with unreadable dates ({shown}) outside "
        f"start={fmt.start or None!r}, "
        f"end={fmt.end or None!r}: cut before reading the dates"
    )
    notes.append(("window", text))
    return frame[~cut]


def _as_numbers(name: str, frame: pd.DataFrame, cols, layout: str, dialect: Dialect) -> pd.DataFrame:
    """Prices written with a decimal comma (and thousands marks) as text pandas reads."""
    targets = [cols.price] if layout != "wide" and cols.price is not None else list(cols.rest.columns)
    if dialect.decimal == "." and dialect.thousands is None:
        _refuse_decimal_comma(name, frame, targets)
        return frame
    out = frame.copy()
    for c in targets:
        values = out[c]
        if values.dtype == object or pd.api.types.is_string_dtype(values.dtype):
            if dialect.thousands:
                values = values.str.replace(dialect.thousands, "", regex=False)
            elif dialect.decimal == ",":  # thousands marks first met past the sampled head: 1.234,56
                values = values.str.replace(r"(?<=\d)\.(?=\d{3}(?:[.,]|$))", "", regex=True)
            out[c] = values.str.replace(dialect.decimal, ".", regex=False)
    return out


_COMMA_NUMBER = r"\s*[-+]?\d{1,3}(?:\.\d{3})*,\d+\s*|\s*[-+]?\d+,\d+\s*"  # 1.234,56 or 12,5


def _refuse_decimal_comma(name: str, frame: pd.DataFrame, targets: list) -> None:
    """A decimal point was given (``decimal="."``) but a price column holds numbers written
    with a decimal comma throughout: refused, naming it, with ``decimal=","`` as the fix."""
    for c in targets:
        values = frame[c]
        if isinstance(values, pd.DataFrame):  # a name twice: refused by name after reading (DuplicateError)
            continue
        if values.dtype == object or pd.api.types.is_string_dtype(values.dtype):
            text = values.dropna().astype(str)
            if len(text) and text.str.fullmatch(_COMMA_NUMBER).all():
                raise NonNumericError(
                    f"{name}: column {c!r} holds numbers written with a decimal comma "
                    f"({text.iloc[0].strip()!r}), read with a decimal point; pass decimal=',' (the "
                    "thousands mark is then told from the values).",
                    fixes=[{"decimal": ","}],
                )


@dataclass(frozen=True)
class _Columns:
    """The columns found: dates (None: the index), asset and price (None: not found),
    the table without its date column, and the columns besides asset and price."""

    date: Any
    asset: Any
    price: Any
    rest: pd.DataFrame
    others: list


def _columns(frame: pd.DataFrame, notes: list, *, layout, date, asset, price) -> _Columns:
    """Find the date, asset and price columns, by the names given or the usual ones."""
    date_col = _find(frame, date, DATE_KEYS, "date", "date_column")
    if date_col is None and not isinstance(frame.index, pd.DatetimeIndex):
        date_col = frame.columns[0]
        if layout in ("auto", "wide"):
            notes.append(
                (
                    "columns",
                    "no column named date/datetime/timestamp/time: dates read from the first column "
                    f"{date_col!r}",
                )
            )
    rest = frame.drop(columns=[date_col]) if date_col is not None else frame
    asset_col = (
        None if layout in ("wide", "exchange") else _find(rest, asset, ASSET_KEYS, "asset", "asset_column")
    )
    price_col = None
    if layout != "wide":
        price_col = _price_column(rest, price, {asset_col}, notes)
    others = [c for c in rest.columns if c not in (asset_col, price_col)]
    return _Columns(date_col, asset_col, price_col, rest, others)


def _auto_layout(name: str, cols: _Columns, seen: str) -> str:
    """``layout="auto"``: long with an asset and a price column, exchange with a price
    column among export fields, wide with neither; anything between is refused."""
    asset_col, price_col, others = cols.asset, cols.price, cols.others
    export_like = all(_key(c) in EXPORT_KEYS for c in others)
    if asset_col is not None and price_col is not None:
        return "long"
    if asset_col is not None:
        raise LayoutError(
            f"{name} looks long (asset column {asset_col!r}) but no column is named Close, Adj Close or "
            f"Price; saw {seen}. Name the price column with price_column=, or pass layout='wide'.",
            fixes=[{"layout": "wide"}],
        )
    if price_col is not None and export_like:
        return "exchange"
    if price_col is not None:
        # open, high, low or volume beside the price: one asset's export whatever else it holds (read
        # wide, its fields would be assets); the price alone among other columns may be a wide table
        export = any(_key(c) in EXPORT_KEYS for c in others)
        raise LayoutError(
            f"{name} is ambiguous: {price_col!r} names a price field of one asset's export, but "
            f"{format_items([c for c in others if _key(c) not in EXPORT_KEYS])} are not export fields "
            f"(open, high, low, volume, ...); saw {seen}. "
            + (
                "It has open, high, low or volume fields: pass layout='exchange' (with price_column=) to "
                "read it as one asset's export, the other columns left out."
                if export
                else "Pass layout='wide' if every column is an asset, or layout='exchange' (with "
                "price_column=) if the file is one asset's export."
            ),
            fixes=[{"layout": "exchange"}] if export else [{"layout": "wide"}, {"layout": "exchange"}],
        )
    if others and export_like:
        raise LayoutError(
            f"{name} has export fields ({format_items(others)}) but no close or price column; "
            f"saw {seen}. "
            "Name the price column with price_column= (and layout='exchange').",
        )
    return "wide"


def _long_rows(name, frame, notes, cols: _Columns, dates, *, layout, stem, seen) -> pd.DataFrame:
    """The date/asset/price rows of a long table or of one asset's export (an export of a
    date and one other column, as FRED writes ``DATE,SP500``: that column, logged)."""
    if cols.price is None and layout == "exchange" and len(cols.others) == 1:
        cols = replace(cols, price=cols.others[0])
        notes.append(("columns", f"prices from {cols.price!r}, the one column besides the dates"))
    if cols.price is None:
        raise LayoutError(
            f"layout={layout!r} needs a price column (Close, Adj Close or Price, any case) "
            f"and {name} has none; "
            f"saw {seen}. Name it with price_column=."
        )
    if layout == "exchange":
        if stem is None:
            raise LayoutError(
                "layout='exchange' names the asset after its file, and source is a DataFrame; read the file, "
                "or pass the frame with one column per asset (layout='wide')."
            )
        labels = np.full(len(frame), stem, dtype=object)
        notes.append(
            ("columns", f"one asset's export: asset {stem!r} (the file name), price from {cols.price!r}")
        )
    else:
        if cols.asset is None:
            raise LayoutError(
                "layout='long' needs an asset column (Ticker, Symbol, Asset, Coin or Pair, any case) "
                f"and {name} "
                f"has none; saw {seen}. Name it with asset_column=."
            )
        labels = frame[cols.asset].array  # as read (text): not a copy as Python objects
        notes.append(
            (
                "columns",
                f"long table: dates from {cols.date!r}, assets from {cols.asset!r}, "
                f"prices from {cols.price!r}",
            )
        )
    return pd.DataFrame({"date": dates, "asset": labels, "price": frame[cols.price].array})


_DOC_NAME = re.compile(r"(?i)(readme|license|licence|notice|changelog|notes)([._-].*)?\.txt$")


def _read_folder(folder: Path, *, date, price, assets, fmt: Format) -> Table:
    suffixes = CSV_SUFFIXES + PARQUET_SUFFIXES
    found = sorted(p for p in folder.iterdir() if p.is_file() and p.name.lower().endswith(suffixes))
    docs = [p for p in found if _DOC_NAME.match(p.name)]  # an export's README.txt, LICENSE.txt ...
    files = [p for p in found if p not in docs]
    if not files:
        raise LayoutError(f"folder {str(folder)!r} holds no price files ({format_items(suffixes)}).")
    by_asset: dict[str, list[Path]] = {}
    for p in files:
        by_asset.setdefault(_asset_of(p), []).append(p)
    # an asset's period files (a month or a day each) are its history in parts; other repeats are doubt
    periods = {a for a, ps in by_asset.items() if all(_PERIOD_FILE.fullmatch(_stem(p)) for p in ps)}
    twice = {a: [p.name for p in ps] for a, ps in by_asset.items() if len(ps) > 1 and a not in periods}
    if twice:
        raise DuplicateError(f"folder {str(folder)!r} holds several files for one asset: {twice}.")
    wanted = (
        list(by_asset) if not assets else [a for a in assets if a in by_asset]
    )  # _narrow names the others
    joined = {a: ps for a, ps in by_asset.items() if len(ps) > 1}
    if joined:
        notes = [
            ("layout", f"folder of {len(files)} price files for {len(by_asset)} assets (asset = file name)")
        ]
        notes += [
            ("layout", f"{a}: {len(ps)} period files joined, {ps[0].name} to {ps[-1].name}")
            for a, ps in joined.items()
        ]
    else:
        notes = [("layout", f"folder of {len(files)} price files, one per asset (asset = file name)")]
    if docs:
        notes.append(("layout", f"not read, as documents: {format_items([p.name for p in docs])}"))
    parts = []
    for a in wanted:
        for path in by_asset[a]:
            frame, found, dialect = read_table(
                path, sep=fmt.sep, decimal=fmt.decimal, encoding=fmt.encoding, date=date
            )
            table = _recognise(
                f"prices in {path.name!r}",
                frame,
                found,
                layout="exchange",
                date=date,
                asset=None,
                price=price,
                stem=a,
                fmt=fmt,
                dialect=dialect,
            )
            if not parts:  # what was recognised, told once (the files of a folder come from one export)
                notes += [(step, f"{path.name}: {text}") for step, text in table.notes]
            parts.append(table.frame)
    long = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["date", "asset", "price"])
    return Table("folder", long, notes, available=list(by_asset))
