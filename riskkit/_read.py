"""Reading price tables from files and frames (private; see riskkit.data.read_prices)."""

from __future__ import annotations

from os import PathLike
from pathlib import Path

import pandas as pd

from riskkit._validation import check_numeric, check_unique_columns, format_items
from riskkit.exceptions import CalendarError, DuplicateError, InvalidParameterError, InvalidTypeError

DATE_NAMES = ("date", "datetime", "timestamp", "time")
CSV_SUFFIXES = (".csv", ".csv.gz", ".csv.bz2", ".csv.zip", ".csv.xz", ".txt")
PARQUET_SUFFIXES = (".parquet", ".pq")


def read_table(source) -> pd.DataFrame:
    if isinstance(source, pd.DataFrame):
        return source.copy()
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
        return frame
    if lower.endswith(CSV_SUFFIXES):
        # pandas renames duplicated header names ("A", "A.1"): read the header as written.
        header = pd.read_csv(path, header=None, nrows=1, dtype=str).iloc[0].tolist()
        frame = pd.read_csv(
            path,
            header=None,
            skiprows=1,
            dtype=str,
            keep_default_na=False,
            na_values=["", "NA", "NaN", "nan", "null", "NULL", "N/A"],
        )
        if frame.shape[1] != len(header):
            raise DuplicateError(
                f"source {path.name!r}: header has {len(header)} names but rows have {frame.shape[1]} fields."
            )
        frame.columns = header
        return frame
    raise InvalidParameterError(
        f"source {path.name!r} has an unsupported file type; expected one of "
        f"{format_items(CSV_SUFFIXES + PARQUET_SUFFIXES)}."
    )


def find_date_column(frame: pd.DataFrame, date_column: str | None) -> str | None:
    """The date column's name, or None when the index holds the dates."""
    if date_column is not None:
        if date_column not in frame.columns:
            raise InvalidParameterError(
                f"date_column={date_column!r} is not a column; columns are {format_items(frame.columns)}."
            )
        return date_column
    for col in frame.columns:
        if str(col).lower() in DATE_NAMES:
            return col
    if isinstance(frame.index, pd.DatetimeIndex):
        return None
    return frame.columns[0]


def parse_dates(name: str, values) -> pd.DatetimeIndex:
    raw = pd.Index(values)
    if isinstance(raw, pd.DatetimeIndex):
        parsed = raw.tz_convert("UTC") if raw.tz is not None else raw.tz_localize("UTC")
    elif pd.api.types.is_numeric_dtype(raw.dtype) or pd.api.types.is_bool_dtype(raw.dtype):
        raise CalendarError(
            f"{name}: the date column holds numbers ({raw.dtype}), not dates; convert it explicitly "
            "(for example pd.to_datetime(values, unit='s') for Unix seconds)."
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
        raise CalendarError(f"{name}: {int(parsed.isna().sum())} missing date(s) in the date column.")
    return pd.DatetimeIndex(parsed.tz_localize(None), name="date")


def _unparseable(v) -> bool:
    try:
        pd.to_datetime(v, utc=True)
        return False
    except (ValueError, TypeError):
        return True


def wide_from_frame(name: str, frame: pd.DataFrame, date_col) -> pd.DataFrame:
    if date_col is None:
        dates, body = frame.index, frame
    else:
        dates, body = frame[date_col], frame.drop(columns=[date_col])
    check_unique_columns(name, body)
    index = parse_dates(name, dates)
    if index.has_duplicates:
        dup = index[index.duplicated()].unique()
        raise DuplicateError(f"{name} has duplicated dates: {format_items(dup)}.")
    body = body.set_axis(index, axis=0)
    return body


def pivot_long(name: str, frame: pd.DataFrame, date_col, asset_col: str, price_col: str) -> pd.DataFrame:
    for col in (asset_col, price_col):
        if col not in frame.columns:
            raise InvalidParameterError(
                f"layout='long' needs a column {col!r}; columns are {format_items(frame.columns)}."
            )
    dates = frame.index if date_col is None else frame[date_col]
    index = parse_dates(name, dates)
    long = pd.DataFrame(
        {"date": index, "asset": frame[asset_col].to_numpy(), "price": frame[price_col].to_numpy()}
    )
    dup = long.duplicated(["date", "asset"], keep=False)
    if dup.any():
        pairs = long.loc[dup, ["asset", "date"]].drop_duplicates()
        listing = "; ".join(
            f"{a!r} on {format_items(g['date'], limit=4)}" for a, g in pairs.groupby("asset", sort=True)
        )
        raise DuplicateError(f"{name} has duplicated dates per asset: {listing}.")
    prices = check_numeric(name, long[["price"]])["price"]
    wide = pd.Series(prices.to_numpy(), index=pd.MultiIndex.from_frame(long[["date", "asset"]])).unstack(
        "asset"
    )
    order = pd.unique(long["asset"])
    return wide.reindex(columns=order)
