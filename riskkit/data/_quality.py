"""Quality flags of price series, and the explicit split adjustment (private; see riskkit.data.quality).

Each flag is one row of a tidy table: asset, date (first date concerned),
end (last date concerned), flag, severity, value, detail. Nothing is
repaired here except by :func:`adjust_splits`, which the caller asks for.

========== ======== ==========================================================
flag       severity what
========== ======== ==========================================================
nonpositive error   a zero or negative price (value: the price)
duplicate  error    one date twice with different prices (value: rows)
duplicate  warning  one date twice with the same price, kept once (value: rows)
split      warning  an outlying move (as below) whose one-period price ratio is
                    1/k for a split ratio k of :data:`SPLIT_FACTORS` (5-for-4,
                    3-for-2, 2-for-1 ... 100-for-1, 1-for-2 ... 1-for-100
                    reverse) within ``split_tolerance`` x abs(log k) in logs (the
                    nearest k), that is an outlier also among the 20 moves each
                    side (a crash comes among large moves), with no other
                    large move and no stalled quotes within 5 periods each
                    side (``_near_outlier``), that does not reverse the next
                    period and that
                    fewer than half of the other assets share on its date (two
                    or more others: a market move is an outlier)
                    (value: k, the number of new shares per old share)
bad_tick   warning  an outlying move that the next period undoes: the next
                    move is outlying too and the round trip (next price over
                    the one before the tick, in logs) is at most
                    ``split_tolerance`` times the move (value: the tick's ratio)
outlier    warning  a log return whose robust z-score (distance from the median
                    in units of 1.4826 x the median absolute deviation of the
                    asset's log returns) is at least ``outlier_z``, neither
                    split-like nor undone (value: the z-score); fewer than 3
                    returns: no outliers, splits or ticks
stale      warning  the same price at least ``stale_periods`` periods in a row
                    (value: the number of unchanged periods)
gap        warning  daily data with missing days: any day on a 7-day calendar,
                    3 or more weekdays on a business-day one (1-2 are holidays)
                    (value: the number of missing periods)
========== ======== ==========================================================
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pandas as pd

from riskkit._core.formats import date as format_date

FLAG_COLUMNS = ["asset", "date", "end", "flag", "severity", "value", "detail"]
FLAGS = ("nonpositive", "duplicate", "split", "bad_tick", "outlier", "stale", "gap")
# New shares per old share of the splits people do: forward (3-for-2 is 1.5) and reverse (1-for-10 is 0.1).
SPLIT_FACTORS = tuple(
    [
        Fraction(5, 4),
        Fraction(3, 2),
        Fraction(2),
        Fraction(5, 2),
        *map(Fraction, (3, 4, 5, 6, 7, 8, 10, 15, 20, 25, 50, 100)),
    ]
    + [Fraction(1, k) for k in (2, 3, 4, 5, 8, 10, 15, 20, 25, 30, 50, 100)]
)
MAD_SCALE = 1.4826  # makes the median absolute deviation a standard deviation for normal data


def weekdays(index: pd.DatetimeIndex) -> np.ndarray:
    """The day of the week of each date, Monday 0 to Sunday 6: ``index.day_of_week``,
    by integer arithmetic on the stamps when they carry no time zone (1970-01-01 was
    a Thursday), which costs a tenth of pandas' field access on a backtest's dates."""
    if index.tz is not None:
        return np.asarray(index.day_of_week)
    per_day = int(np.timedelta64(1, "D") / np.timedelta64(1, index.unit))
    return (index.asi8 // per_day + 3) % 7


def seven_day(index: pd.DatetimeIndex) -> bool:
    """Weekends present: more than 15% of the dates on a Saturday or Sunday (a full 7-day
    calendar has 2/7 = 28.6%)."""
    return float(np.mean(weekdays(index) >= 5)) > 0.15 if len(index) else False


def empty_flags() -> pd.DataFrame:
    return pd.DataFrame(
        {
            c: pd.Series(dtype=t)
            for c, t in zip(
                FLAG_COLUMNS,
                ["object", "datetime64[ns]", "datetime64[ns]", "object", "object", "float64", "object"],
                strict=True,
            )
        }
    )


def flag_table(rows: list) -> pd.DataFrame:
    if not rows:
        return empty_flags()
    out = pd.DataFrame(rows, columns=FLAG_COLUMNS)
    out["date"] = pd.to_datetime(out["date"])
    out["end"] = pd.to_datetime(out["end"])
    out["value"] = out["value"].astype("float64")
    return out


def _row(asset, date, end, flag, value, detail, severity="warning") -> dict:
    return {
        "asset": asset,
        "date": date,
        "end": end,
        "flag": flag,
        "severity": severity,
        "value": float(value),
        "detail": detail,
    }


def split_factor(ratio: float, tolerance: float) -> float | None:
    """k, the new shares per old share of the split nearest ``ratio`` (in logs: the price
    moves by 1/k), when ``ratio`` is within ``tolerance`` x |log k| of 1/k in logs; else None."""
    if not ratio > 0:
        return None
    x = np.log(ratio)
    best = min(SPLIT_FACTORS, key=lambda k: abs(x + np.log(float(k))))
    size = abs(np.log(float(best)))
    return float(best) if abs(x + np.log(float(best))) <= tolerance * size else None


def describe_split(k: float) -> str:
    f = Fraction(k).limit_denominator(100)
    if f >= 1:
        return f"{f.numerator}-for-{f.denominator} split"
    return f"{f.numerator}-for-{f.denominator} reverse split"


def series_flags(asset, s: pd.Series, *, stale_periods: int, outlier_z: float, tolerance: float) -> list:
    """Flags of one asset's observed prices (no missing values, sorted dates)."""
    rows = []
    dates, v = s.index, s.to_numpy(dtype=float)
    bad = v <= 0
    for i in np.flatnonzero(bad):
        rows.append(_row(asset, dates[i], dates[i], "nonpositive", v[i], f"price {v[i]:g}", "error"))
    if len(v) < 2:
        return rows
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(bad[1:] | bad[:-1], np.nan, v[1:] / v[:-1])
    x = np.log(ratio)
    z = _robust_z(x)
    done = np.zeros(len(ratio), dtype=bool)  # moves already explained (a tick's reversal)
    for i in range(len(ratio)):
        if done[i] or not np.isfinite(ratio[i]):
            continue
        if z[i] < outlier_z:  # an ordinary move for this asset, whatever its ratio
            continue
        k = split_factor(ratio[i], tolerance)
        turbulent = k is not None and (_local_z(x, i) < outlier_z or _near_outlier(x, z, i, outlier_z))
        if turbulent:  # as large as the moves around it, or next to another large one: a crash
            k = None
        back = (
            i + 1 < len(ratio)
            and z[i + 1] >= outlier_z
            and abs(np.log(v[i + 2] / v[i]))
            <= tolerance * abs(x[i])  # the round trip leaves < 10% of the move
        )
        when = dates[i + 1]
        if back:
            done[i + 1] = True
            rows.append(
                _row(
                    asset,
                    when,
                    when,
                    "bad_tick",
                    ratio[i],
                    f"price {v[i + 1]:g} between {v[i]:g} and {v[i + 2]:g}: a move by {ratio[i]:.3f} "
                    "undone the next period",
                )
            )
        elif k is not None:
            f = Fraction(k).limit_denominator(100)
            near = f"{f.denominator}/{f.numerator}"
            last = (
                " (the last date: whether it reverses is unknown)"
                if i + 1 == len(ratio)
                else ", not reversed"
            )
            split = _row(
                asset,
                when,
                when,
                "split",
                k,
                f"price ratio {ratio[i]:.3f} ≈ {near}{last}: a {describe_split(k)}?",
            )
            rows.append({**split, "_z": z[i], "_move": ratio[i]})
        else:
            near = (
                f"; split-like (ratio {ratio[i]:.3f}) but among large moves: not taken for a split"
                * turbulent
            )
            rows.append(
                _row(
                    asset,
                    when,
                    when,
                    "outlier",
                    z[i],
                    f"return {ratio[i] - 1:+.1%}, robust z-score {z[i]:.1f}{near}",
                )
            )
    rows += _stale(asset, dates, v, stale_periods)
    rows += _gaps(asset, dates)
    return rows


LOCAL_PERIODS = 20  # the moves each side of a split-like one that tell a crash from a split


def _local_z(x: np.ndarray, i: int) -> float:
    """The robust z-score of move ``i`` among the :data:`LOCAL_PERIODS` moves each side
    (itself and the next left out): a split stands out of calm moves, a crash comes among
    large ones. Infinite when fewer than 6 moves surround it or they are all zero."""
    around = np.r_[x[max(0, i - LOCAL_PERIODS) : i], x[i + 2 : i + 2 + LOCAL_PERIODS]]
    around = around[np.isfinite(around)]
    if around.size < 6:
        return np.inf
    med = np.median(around)
    scale = MAD_SCALE * np.median(np.abs(around - med))
    return np.inf if scale == 0 else float(abs(x[i] - med) / scale)


NEAR_PERIODS = 5  # a split's neighbours: the periods each side that tell it from a crash or stalled quotes


def _near_outlier(x: np.ndarray, z: np.ndarray, i: int, outlier_z: float) -> bool:
    """Move ``i`` in a stretch no split comes in: within :data:`NEAR_PERIODS` each side (the
    next move left out: a tick's reversal is judged apart), another move whose robust z-score
    is at least half ``outlier_z`` and a quarter of move ``i``'s own (a crash or a run of
    jumps), or unchanged prices on half the moves or more (stalled quotes of a thinly traded
    stock, jumping between them). The adjusted closes of UNH on 1999-09-30 (-19.5% between
    -6% and -8% days), BBY on 1991-12-19 and RRC on 1992-08-21 (quotes that jump and stall)
    were flagged as 5-for-4 and 3-for-2 splits without this; none was a split."""
    lo, hi = max(0, i - NEAR_PERIODS), i + 1 + NEAR_PERIODS
    around, moves = np.r_[z[lo:i], z[i + 2 : hi]], np.r_[x[lo:i], x[i + 2 : hi]]
    if (around >= max(outlier_z / 2, z[i] / 4)).any():
        return True
    return bool(moves.size >= 4 and np.mean(moves == 0) >= 0.5)


def _robust_z(x: np.ndarray) -> np.ndarray:
    finite = x[np.isfinite(x)]
    if finite.size < 3:
        return np.zeros_like(x)
    med = np.median(finite)
    scale = MAD_SCALE * np.median(np.abs(finite - med))
    if scale == 0:  # mostly unchanged prices: the spread of the moves that happened
        moved = finite[finite != med]
        scale = MAD_SCALE * np.median(np.abs(moved - med)) if moved.size >= 3 else 0.0
    if scale == 0:
        return np.zeros_like(x)
    return np.nan_to_num(np.abs(x - med) / scale)


def _stale(asset, dates: pd.DatetimeIndex, v: np.ndarray, stale_periods: int) -> list:
    same = np.r_[False, v[1:] == v[:-1], False]
    starts = np.flatnonzero(same[1:] & ~same[:-1])
    ends = np.flatnonzero(~same[1:] & same[:-1])
    rows = []
    for a, b in zip(starts, ends, strict=True):  # unchanged on dates[a .. b-1] relative to the one before
        n = b - a
        if n >= stale_periods:
            rows.append(
                _row(asset, dates[a], dates[b - 1], "stale", n, f"price {v[a]:g} unchanged for {n} periods")
            )
    return rows


def _gaps(asset, dates: pd.DatetimeIndex) -> list:
    if len(dates) < 3:
        return []
    days = np.diff(dates.values).astype("timedelta64[s]").astype(float) / 86400.0
    if not 0.99 <= float(np.median(days)) <= 1.01 or (dates != dates.normalize()).any():
        return []  # not daily closes at midnight: no day calendar to check
    day = dates.values.astype("datetime64[D]")
    week = seven_day(dates)
    if week:
        missing, least, unit = (day[1:] - day[:-1]).astype(int) - 1, 1, "day"
    else:
        missing, least, unit = np.busday_count(day[:-1] + 1, day[1:]), 3, "weekday"
    rows = []
    for i in np.flatnonzero(missing >= least):
        first = pd.Timestamp(day[i] + 1)
        if not week:
            first = pd.Timestamp(np.busday_offset(day[i] + 1, 0, roll="forward"))
        last = (
            pd.Timestamp(np.busday_offset(day[i + 1], -1, roll="backward"))
            if not week
            else pd.Timestamp(day[i + 1] - 1)
        )
        calendar = "7-day" if week else "business-day"
        rows.append(
            _row(
                asset,
                first,
                last,
                "gap",
                missing[i],
                f"{missing[i]} missing {unit}(s) on a {calendar} calendar",
            )
        )
    return rows


def quality_flags(
    prices: pd.DataFrame, *, stale_periods: int, outlier_z: float, tolerance: float
) -> pd.DataFrame:
    """Flags of every asset of a wide table with a sorted DatetimeIndex (duplicates and NaN allowed)."""
    rows = []
    index = prices.index
    dup = index.duplicated(keep=False)
    if dup.any():
        for asset in prices.columns:
            for date, g in prices.loc[dup, asset].groupby(level=0):
                same = g.nunique(dropna=False) == 1
                rows.append(
                    _row(
                        asset,
                        date,
                        date,
                        "duplicate",
                        len(g),
                        f"{len(g)} rows with the same date and price"
                        if same
                        else f"{len(g)} rows with different prices ({', '.join(f'{x:g}' for x in g)})",
                        "warning" if same else "error",
                    )
                )
    for asset in prices.columns:
        s = prices[asset].dropna()
        s = s[~s.index.duplicated(keep="first")]
        rows += series_flags(asset, s, stale_periods=stale_periods, outlier_z=outlier_z, tolerance=tolerance)
    out = flag_table(_market_moves(rows, prices))
    return sort_flags(out, list(prices.columns))


def _market_moves(rows: list, prices: pd.DataFrame) -> list:
    """A split-like move on a date when at least half of the other assets (two or more, with
    a price that day) moved by an outlier too is the market's move, not a split: an outlier."""
    moved: dict = {}
    for r in rows:
        if r["flag"] in ("split", "outlier", "bad_tick"):
            moved.setdefault(r["date"], set()).add(r["asset"])
    out = []
    for r in rows:
        if r["flag"] == "split" and prices.shape[1] >= 3:
            others = int(prices.loc[[r["date"]]].notna().any().sum()) - 1
            along = len(moved[r["date"]] - {r["asset"]})
            if others >= 2 and along >= others / 2:
                detail = (
                    f"return {r['_move'] - 1:+.1%}, robust z-score {r['_z']:.1f}, on a date {along} of the "
                    f"{others} other assets moved as much (the market's move, not a split)"
                )
                r = {**r, "flag": "outlier", "value": float(r["_z"]), "detail": detail}
        out.append(r)
    return out


def sort_flags(flags: pd.DataFrame, assets: list) -> pd.DataFrame:
    if flags.empty:
        return empty_flags()
    order = {a: i for i, a in enumerate(assets)}
    key = flags["asset"].map(order).fillna(len(order))
    out = flags.assign(_k=key).sort_values(["_k", "date", "flag"], kind="stable").drop(columns="_k")
    return out.reset_index(drop=True)


def split_adjusted(prices: pd.DataFrame, splits: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Divide each asset's prices before a split date by the split's k; the log of what was done."""
    out = prices.copy()
    log = []
    for r in splits.itertuples(index=False):
        before = out.index < r.date
        out.loc[before, r.asset] = out.loc[before, r.asset] / r.value
        n = int(np.count_nonzero(before & out[r.asset].notna().to_numpy()))
        log.append(
            {
                "date": r.date,
                "asset": r.asset,
                "ratio": r.value,
                "action": f"{n} prices before {format_date(r.date)} divided by {r.value:g} "
                f"({describe_split(r.value)})",
            }
        )
    return out, pd.DataFrame(log, columns=["date", "asset", "ratio", "action"])


def simulated_moves(flags: pd.DataFrame, prices: pd.DataFrame, dataset: str, crash_periods) -> pd.DataFrame:
    """The flags of a simulated dataset, whose simulator makes no splits: each split-like move
    an ``outlier`` (value: its robust z-score), and every outlier said to be the simulator's,
    on a day of one of its ``crash_periods`` ((first, last) dates) or on a calm day (a
    fat-tailed shock)."""
    periods = [(pd.Timestamp(a), pd.Timestamp(b)) for a, b in crash_periods]
    out = flags.copy()
    for i in np.flatnonzero(out["flag"].isin(["split", "outlier"]).to_numpy()):
        r = out.iloc[i]
        crash = next(((a, b) for a, b in periods if a <= r["date"] <= b), None)
        where = (
            f"a simulated crash day ({dataset}'s crash period {format_date(crash[0])} to "
            f"{format_date(crash[1])})"
            if crash
            else f"a calm day of {dataset}'s simulation (its shocks are fat-tailed and their "
            "volatility clusters)"
        )
        if r["flag"] == "split":
            s = prices[r["asset"]].dropna()
            x = np.log(s.to_numpy()[1:] / s.to_numpy()[:-1])
            at = s.index.get_loc(r["date"]) - 1
            ratio = float(np.exp(x[at]))
            out.iloc[i, out.columns.get_loc("flag")] = "outlier"
            out.iloc[i, out.columns.get_loc("value")] = float(_robust_z(x)[at])
            text = f"return {ratio - 1:+.1%} (price ratio {ratio:.3f}), robust z-score {_robust_z(x)[at]:.1f}"
            detail = f"{text}: {where}; the simulator makes no splits"
        else:
            detail = f"{r['detail'].split(';')[0]}: {where}"  # (not "split-like ...": none is a split)
        out.iloc[i, out.columns.get_loc("detail")] = detail
    return out
