"""A corpus of price files written the way real exports look, from the bundled real series.

``write_corpus(folder)`` writes every file and returns its :class:`Case` list: the file,
the options a user would pass (stated per file, most need none), and what pandas says the
file holds (prices, dates, periods per year), or the riskkit error a bad file must give.
The expected prices are the series the file was written from, rounded as the file writes
them: nothing in ``expected`` comes from riskkit's reading. Used by tests/test_corpus.py
(reading) and by the CLI-level corpus test.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

import riskkit as rk
from riskkit.exceptions import EmptyDataError, LayoutError


@dataclass
class Case:
    """One file of the corpus and what reading it must give."""

    name: str
    path: Path
    options: dict = field(default_factory=dict)
    expected: pd.DataFrame | None = None  # dates x assets, as pandas has them
    periods_per_year: int | None = None
    error: type | None = None
    match: str = ""


def _stocks(assets=("AAPL", "MSFT"), start="2010-01-04", end="2011-12-30") -> pd.DataFrame:
    p = rk.datasets.load("sp500_stocks")
    return p.loc[start:end, list(assets)].round(2)


def _crypto(asset="BTC_SIM", start="2023-01-01", end="2023-12-31") -> pd.DataFrame:
    p = rk.datasets.load("crypto_sim")
    return p.loc[start:end, [asset]].round(2)


def _ohlcv(close: pd.Series) -> pd.DataFrame:
    """Open, high, low around the close (deterministic), and a volume."""
    rng = np.random.default_rng(7)
    c = close.to_numpy()
    o = np.round(c * (1 + rng.normal(0, 0.003, len(c))), 2)
    hi = np.round(np.maximum(o, c) * 1.004, 2)
    lo = np.round(np.minimum(o, c) * 0.996, 2)
    vol = rng.integers(10**5, 10**7, len(c))
    return pd.DataFrame({"Open": o, "High": hi, "Low": lo, "Close": c, "Volume": vol}, index=close.index)


def _expect(frame: pd.DataFrame, index=None) -> pd.DataFrame:
    out = frame.copy().astype("float64")
    out.index = pd.DatetimeIndex(index if index is not None else out.index, name="date")
    out.columns = pd.Index(list(out.columns), name="asset")
    return out


def _num(x: float, decimal: str = ".", thousands: str = "") -> str:
    text = f"{x:,.2f}" if thousands else f"{x:.2f}"
    return text.replace(",", "\x00").replace(".", decimal).replace("\x00", thousands)


def _yahoo(folder: Path) -> list[Case]:
    s = _stocks(("AAPL",))["AAPL"]
    bars = _ohlcv(s)
    bars.insert(4, "Adj Close", s.to_numpy())
    bars["Close"] = np.round(s * 1.01, 2)  # the unadjusted close differs; Adj Close is preferred
    out = [
        Case("yahoo", folder / "AAPL.csv", {}, _expect(s.to_frame()), 252),
    ]
    bars.to_csv(out[0].path, index_label="Date", float_format="%.2f")
    cases = []
    for zone, label in (
        ("Europe/Berlin", "frankfurt"),
        ("America/New_York", "newyork"),
        ("Asia/Tokyo", "tokyo"),
    ):
        path = folder / f"SAP_{label}.csv"
        frame = _ohlcv(s)
        frame["Dividends"], frame["Stock Splits"] = 0.0, 0.0
        frame.index = s.index.tz_localize(zone)
        frame.to_csv(path, index_label="Date", float_format="%.2f")  # 2010-01-04 00:00:00+01:00
        cases.append(Case(f"yfinance_{label}", path, {}, _expect(s.rename("SAP_" + label).to_frame()), 252))
    hourly = _stocks(("MSFT",)).iloc[:60]["MSFT"]
    stamps = pd.date_range("2024-03-04 09:00", periods=60, freq="h", tz="Europe/Berlin")
    path = folder / "EURUSD_1h.csv"
    pd.DataFrame({"Close": hourly.to_numpy()}, index=stamps).to_csv(path, index_label="Datetime")
    cases.append(
        Case(
            "yfinance_hourly",
            path,
            {},
            _expect(hourly.rename("EURUSD_1h").to_frame(), stamps.tz_convert(None)),
        )
    )
    parquet = folder / "SIE_berlin.parquet"
    frame = pd.DataFrame({"SIE": s.to_numpy()}, index=s.index.tz_localize("Europe/Berlin"))
    frame.index.name = "Date"
    frame.to_parquet(parquet)
    cases.append(Case("parquet_tz_aware", parquet, {}, _expect(s.rename("SIE").to_frame()), 252))
    return out + cases


def _stooq_investing(folder: Path) -> list[Case]:
    s = _stocks(("MSFT",))["MSFT"]
    stooq = folder / "msft_us_d.csv"
    _ohlcv(s).to_csv(stooq, index_label="Date", float_format="%.2f")
    openint = folder / "MSFT_openint.csv"
    _ohlcv(s).assign(OpenInt=0).to_csv(openint, index_label="Date", float_format="%.2f")
    bulk = folder / "msft.us.txt"  # Stooq's bulk download: <DATE> as 20100104, a <TICKER> column
    bars = _ohlcv(s)
    lines = ["<TICKER>,<PER>,<DATE>,<TIME>,<OPEN>,<HIGH>,<LOW>,<CLOSE>,<VOL>,<OPENINT>"] + [
        f"MSFT.US,D,{d:%Y%m%d},000000,{r.Open:.2f},{r.High:.2f},{r.Low:.2f},{r.Close:.2f},{r.Volume},0"
        for d, r in zip(bars.index, bars.itertuples(), strict=True)
    ]
    bulk.write_text("\n".join(lines) + "\n")
    inv = folder / "MSFT Historical Data.csv"
    big = (s * 40).round(2)  # prices in the thousands: written 1,234.56 (quoted)
    lines = ['"Date","Price","Open","High","Low","Vol.","Change %"']
    for d, v in zip(s.index[::-1], big.to_numpy()[::-1], strict=True):  # newest first, as investing.com
        lines.append(
            f'"{d:%m/%d/%Y}","{_num(v, ".", ",")}","{_num(v, ".", ",")}","{_num(v, ".", ",")}",'
            f'"{_num(v, ".", ",")}","25.12M","0.52%"'
        )
    inv.write_text("\n".join(lines) + "\n")
    return [
        Case("stooq", stooq, {}, _expect(s.rename("msft_us_d").to_frame()), 252),
        Case("stooq_bulk_yyyymmdd", bulk, {}, _expect(s.rename("MSFT.US").to_frame()), 252),
        Case("ohlcv_openint", openint, {}, _expect(s.rename("MSFT_openint").to_frame()), 252),
        Case("investing_com", inv, {}, _expect(big.rename("MSFT Historical Data").to_frame()), 252),
    ]


def _excel(folder: Path) -> list[Case]:
    p = (_stocks(("AAPL", "MSFT")) * 300).round(2)  # in the thousands: 1.234,56

    def write(path, header, date_fmt, decimal, thousands, encoding):
        rows = [header] + [
            f"{d:{date_fmt}};{_num(a, decimal, thousands)};{_num(m, decimal, thousands)}"
            for d, a, m in zip(p.index, p["AAPL"], p["MSFT"], strict=True)
        ]
        path.write_bytes(("\r\n".join(rows) + "\r\n").encode(encoding))

    de, de_plain, fr = folder / "kurse_de.csv", folder / "kurse_de_bom.csv", folder / "cours_fr.csv"
    write(de, "Datum;AAPL;MSFT", "%d.%m.%Y", ",", ".", "cp1252")
    write(de_plain, "Datum;Schlusskurs AAPL (€);MSFT", "%d.%m.%Y", ",", "", "utf-8-sig")
    write(fr, "Date;AAPL;MSFT", "%d/%m/%Y", ",", chr(0xA0), "cp1252")
    utf16 = folder / "unicode_text.txt"
    rows = ["Date\tAAPL\tMSFT"] + [
        f"{d:%Y-%m-%d}\t{a:.2f}\t{m:.2f}" for d, a, m in zip(p.index, p["AAPL"], p["MSFT"], strict=True)
    ]
    utf16.write_bytes(("\r\n".join(rows) + "\r\n").encode("utf-16"))
    semicolon_dot = folder / "semicolon_dot.csv"
    rows = ["date;AAPL;MSFT"] + [
        f"{d:%Y-%m-%d};{a:.2f};{m:.2f}" for d, a, m in zip(p.index, p["AAPL"], p["MSFT"], strict=True)
    ]
    semicolon_dot.write_text("\n".join(rows) + "\n")
    renamed = p.rename(columns={"AAPL": "Schlusskurs AAPL (€)"})
    return [
        Case("excel_de", de, {}, _expect(p), 252),
        Case("excel_de_bom", de_plain, {}, _expect(renamed), 252),
        Case("excel_fr", fr, {}, _expect(p), 252),
        Case("excel_utf16_tab", utf16, {}, _expect(p), 252),
        Case("semicolon_dot_decimal", semicolon_dot, {}, _expect(p), 252),
    ]


def _sheets_terminal_fred(folder: Path) -> list[Case]:
    s = _stocks(("AAPL",))["AAPL"]
    sheets = folder / "GOOGLEFINANCE_AAPL.csv"
    rows = ["Date,Close"] + [f"{d.month}/{d.day}/{d.year} 16:00:00,{v:.2f}" for d, v in s.items()]
    sheets.write_text("\n".join(rows) + "\n")
    p = _stocks(("AAPL", "MSFT", "JPM"))
    wide = folder / "terminal_export.csv"
    rows = ["Dates,AAPL US Equity,MSFT US Equity,JPM US Equity"] + [
        f"{d.month}/{d.day}/{d.year},{a:.2f},{m:.2f},{j:.2f}" for d, a, m, j in p.itertuples()
    ]
    wide.write_text("\n".join(rows) + "\n")
    terminal = p.rename(columns=lambda c: f"{c} US Equity")
    index = rk.datasets.load("sp500_index").loc["2010-01-04":"2011-12-30"].round(2)
    fred = folder / "SP500.csv"
    holidays = pd.bdate_range(index.index[0], index.index[-1]).difference(index.index)
    full = index["SP500"].reindex(index.index.union(holidays))
    fred.write_text(
        "DATE,SP500\n" + "".join(f"{d:%Y-%m-%d},{'.' if v != v else f'{v:.2f}'}\n" for d, v in full.items())
    )
    weekly = index["SP500"].resample("W-FRI").last()
    weekly_path = folder / "SP500_weekly.csv"
    weekly.to_frame().to_csv(weekly_path, index_label="observation_date", float_format="%.2f")
    monthly = rk.datasets.load("sp500_index")["SP500"].resample("MS").first().round(2)
    monthly_path = folder / "SP500_monthly.csv"
    monthly.to_frame().to_csv(monthly_path, index_label="observation_date", float_format="%.2f")
    fred_dir = folder / "fred_folder"
    fred_dir.mkdir()
    for c in ("AAPL", "MSFT"):
        p[[c]].to_csv(fred_dir / f"{c}.csv", index_label="DATE", float_format="%.2f")
    return [
        Case(
            "google_sheets",
            sheets,
            {},
            _expect(s.rename("GOOGLEFINANCE_AAPL").to_frame(), s.index + pd.Timedelta(hours=16)),
            252,
        ),
        Case("terminal_wide", wide, {}, _expect(terminal), 252),
        Case("fred_dots", fred, {"missing": "drop"}, _expect(index), 252),
        Case("fred_weekly", weekly_path, {}, _expect(weekly.to_frame()), 52),
        Case("fred_monthly", monthly_path, {}, _expect(monthly.to_frame()), 12),
        Case("fred_folder", fred_dir, {}, _expect(p[["AAPL", "MSFT"]]), 252),
    ]


def _crypto_files(folder: Path) -> list[Case]:
    s = _crypto()["BTC_SIM"]
    ms = (s.index - pd.Timestamp("1970-01-01")) // pd.Timedelta(milliseconds=1)
    bars = _ohlcv(s)
    kline = folder / "BTCUSDT-1d.csv"
    lines = [
        f"{t},{o:.2f},{h:.2f},{lo:.2f},{c:.2f},{v},{t + 86_399_999},"
        f"{v * c:.2f},100,{v // 2},{v * c / 2:.2f},0"
        for t, (o, h, lo, c, v) in zip(ms, bars.itertuples(index=False), strict=True)
    ]
    kline.write_text("\n".join(lines) + "\n")
    parts = folder / "binance_parts"
    parts.mkdir()
    for month in ("01", "02", "03"):
        sel = s.index.strftime("%m") == month
        text = "open_time,open,high,low,close,volume\n" + "".join(
            f"{t},{o:.2f},{h:.2f},{lo:.2f},{c:.2f},{v}\n"
            for t, (o, h, lo, c, v) in zip(ms[sel], bars[sel].itertuples(index=False), strict=True)
        )
        (parts / f"BTCUSDT-1d-2023-{month}.csv").write_text(text)
    q1 = s[s.index < "2023-04-01"]
    coinbase = folder / "BTC-USD.csv"
    sec = ms // 1000
    rows = ["time,low,high,open,close,volume"] + [
        f"{t},{lo:.2f},{h:.2f},{o:.2f},{c:.2f},{v}"
        for t, (o, h, lo, c, v) in list(zip(sec, bars.itertuples(index=False), strict=True))[::-1]
    ]  # newest first
    coinbase.write_text("\n".join(rows) + "\n")
    kraken = folder / "XBTUSD_1440.csv"
    kraken.write_text(
        "".join(
            f"{t},{o:.2f},{h:.2f},{lo:.2f},{c:.2f},{v},{v // 7}\n"
            for t, (o, h, lo, c, v) in zip(sec, bars.itertuples(index=False), strict=True)
        )
    )
    gecko = folder / "btc-usd-max.csv"
    gecko.write_text(
        "snapped_at,price,market_cap,total_volume\n"
        + "".join(f"{d:%Y-%m-%d} 00:00:00 UTC,{v:.2f},{v * 19e6:.1f},{v * 1e4:.1f}\n" for d, v in s.items())
    )
    tv = folder / "BITSTAMP_BTCUSD, 1D.csv"
    tv.write_text(
        "time,open,high,low,close,Volume\n"
        + "".join(
            f"{d:%Y-%m-%d}T00:00:00Z,{o:.2f},{h:.2f},{lo:.2f},{c:.2f},{v}\n"
            for d, (o, h, lo, c, v) in zip(s.index, bars.itertuples(index=False), strict=True)
        )
    )
    equity = _stocks(("AAPL",))["AAPL"]
    mt = folder / "AAPL_D1.csv"
    mt.write_text(
        "<DATE>\t<OPEN>\t<HIGH>\t<LOW>\t<CLOSE>\t<TICKVOL>\t<VOL>\t<SPREAD>\n"
        + "".join(f"{d:%Y.%m.%d}\t{c:.2f}\t{c:.2f}\t{c:.2f}\t{c:.2f}\t100\t0\t2\n" for d, c in equity.items())
    )
    gz = folder / "ETHUSDT.csv.gz"
    with gzip.open(gz, "wt") as f:
        f.write("timestamp,open,high,low,close,volume\n")
        f.writelines(f"{d:%Y-%m-%d},{c:.2f},{c:.2f},{c:.2f},{c:.2f},1\n" for d, c in s.items())
    return [
        Case("binance_klines", kline, {}, _expect(s.rename("BTCUSDT").to_frame()), 365),
        Case("binance_period_files", parts, {}, _expect(q1.rename("BTCUSDT").to_frame()), 365),
        Case("coinbase", coinbase, {}, _expect(s.rename("BTC-USD").to_frame()), 365),
        Case("kraken_ohlcvt", kraken, {}, _expect(s.rename("XBTUSD_1440").to_frame()), 365),
        Case("coingecko", gecko, {}, _expect(s.rename("btc-usd-max").to_frame()), 365),
        Case("tradingview", tv, {}, _expect(s.rename("BITSTAMP_BTCUSD, 1D").to_frame()), 365),
        Case("metatrader", mt, {}, _expect(equity.rename("AAPL_D1").to_frame()), 252),
        Case("gzip", gz, {}, _expect(s.rename("ETHUSDT").to_frame()), 365),
    ]


def _needs_options(folder: Path) -> list[Case]:
    p = _stocks(("AAPL", "MSFT"))
    footer = folder / "with_footer.csv"
    text = p.to_csv(index_label="Date", float_format="%.2f", lineterminator="\n")
    mean = p.mean()
    footer.write_text(text + f"Average,{mean['AAPL']:.2f},{mean['MSFT']:.2f}\nTotal rows: {len(p)},,\n,,\n")
    s = p["MSFT"]
    dup = folder / "two_closes.csv"
    rows = ["Date,Close"]
    for i, (d, v) in enumerate(s.items()):
        if i % 50 == 10:  # an exchange writing a provisional close, then the final one
            rows.append(f"{d:%Y-%m-%d},{v * 0.99:.2f}")
        rows.append(f"{d:%Y-%m-%d},{v:.2f}")
    dup.write_text("\n".join(rows) + "\n")
    repeat = folder / "repeated_row.csv"
    lines = text.splitlines()
    repeat.write_text("\n".join([*lines[:20], lines[19], *lines[20:]]) + "\n")
    adjusted = _stocks(("AAPL", "MSFT", "JPM"))
    raw = adjusted.copy()
    events = {"AAPL": [(200, 1.5), (400, 0.1)], "MSFT": [(150, 1.25)], "JPM": [(300, 3.0), (420, 1 / 20)]}
    for asset, splits in events.items():  # unadjusted prices: before each split, k times higher
        for at, k in splits:
            raw.iloc[:at, raw.columns.get_loc(asset)] *= k
    raw = raw.round(4)
    splits = folder / "unadjusted_splits.csv"
    raw.to_csv(splits, index_label="Date", float_format="%.4f")
    return [
        Case("footer_rows", footer, {"footer": "drop"}, _expect(p), 252),
        Case(
            "duplicated_dates", dup, {"duplicates": "last"}, _expect(s.rename("two_closes").to_frame()), 252
        ),
        Case("exact_repeated_row", repeat, {}, _expect(p), 252),
        Case("splits_any_ratio", splits, {"adjust_splits": True}, _expect(adjusted), 252),
    ]


def _bad(folder: Path) -> list[Case]:
    (folder / "empty.csv").write_bytes(b"")
    (folder / "binary.csv").write_bytes(
        np.random.default_rng(3).integers(0, 256, 4096, dtype=np.uint8).tobytes()
    )
    (folder / "nul.csv").write_bytes(b"\x00" * 100_000)
    good = _stocks(("AAPL",)).to_csv(index_label="Date", float_format="%.2f").encode()
    (folder / "nul_padded.csv").write_bytes(good + b"\x00" * 70_000)
    two = _stocks(("AAPL", "MSFT")).to_csv(index_label="Date", float_format="%.2f").encode()
    (folder / "truncated.csv").write_bytes(two[: two.rindex(b",") - 2])  # cut inside the last row's AAPL
    with gzip.open(folder / "cut.csv.gz", "wb") as f:
        f.write(good)
    whole = (folder / "cut.csv.gz").read_bytes()
    (folder / "cut.csv.gz").write_bytes(whole[: len(whole) // 2])
    (folder / "workbook.csv").write_bytes(b"PK\x03\x04" + b"\x14\x00" * 100)
    return [
        Case("empty", folder / "empty.csv", error=EmptyDataError, match="is empty: it holds 0 bytes"),
        Case("binary", folder / "binary.csv", error=LayoutError, match="not a text file"),
        Case("nul_only", folder / "nul.csv", error=EmptyDataError, match="only NUL bytes"),
        Case("nul_padded", folder / "nul_padded.csv", error=LayoutError, match="NUL bytes after its text"),
        Case("truncated", folder / "truncated.csv", error=LayoutError, match="looks truncated"),
        Case("truncated_gzip", folder / "cut.csv.gz", error=LayoutError, match="damaged or truncated"),
        Case("xlsx_named_csv", folder / "workbook.csv", error=LayoutError, match="an .xlsx workbook"),
    ]


def write_corpus(folder: Path) -> list[Case]:
    """Write every file of the corpus into ``folder`` and return the cases."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    writers = (_yahoo, _stooq_investing, _excel, _sheets_terminal_fred, _crypto_files, _needs_options, _bad)
    return [case for write in writers for case in write(folder)]
