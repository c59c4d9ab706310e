"""riskkit.hedging: hedge ratios, Black-Scholes greeks, banded re-hedging."""

import numpy as np
import pandas as pd
import pytest
from riskkit.costs import Costs

from riskkit import hedging as H
from riskkit.exceptions import InvalidParameterError


def pair(seed=0, n=500, beta=0.8):
    g = np.random.default_rng(seed)
    idx = pd.date_range("2022-01-01", periods=n, freq="D")
    f = pd.Series(g.normal(0, 0.03, n), index=idx)
    s = beta * f + pd.Series(g.normal(0, 0.01, n), index=idx)
    return s, f


def test_hedge_ratio_is_cov_over_var_and_effectiveness_is_r2():
    s, f = pair()
    h = H.hedge_ratio(s, f)
    assert h.ratio == pytest.approx(np.cov(s, f)[0, 1] / np.var(f, ddof=1), rel=1e-12)
    assert h.ci_low < 0.8 < h.ci_high
    assert h.effectiveness == pytest.approx(H.hedge_effectiveness(s, f, h.ratio), rel=1e-10)
    roll = H.rolling_hedge_ratio(s, f, window=60)
    last = roll.index[-1]
    assert roll[last] == pytest.approx(
        np.cov(s.iloc[-60:], f.iloc[-60:])[0, 1] / np.var(f.iloc[-60:], ddof=1), rel=1e-10
    )
    ew = H.rolling_hedge_ratio(s, f, halflife=30)
    assert abs(ew.iloc[-1] - 0.8) < 0.1
    assert H.hedge_effectiveness(s, f, roll) > 0.8
    with pytest.raises(InvalidParameterError, match="same dates"):
        H.hedge_ratio(s, f.iloc[1:])


def test_black_scholes_reference_values_and_parity():
    bs = H.black_scholes(100.0, 100.0, 1.0, 0.2, kind="call", rate=0.05)
    assert bs.loc[0, "price"] == pytest.approx(10.4506, abs=1e-4)
    assert bs.loc[0, "delta"] == pytest.approx(0.63683, abs=1e-5)
    assert bs.loc[0, "gamma"] == pytest.approx(0.018762, abs=1e-6)
    put = H.black_scholes(100.0, 100.0, 1.0, 0.2, kind="put", rate=0.05)
    assert bs.loc[0, "price"] - put.loc[0, "price"] == pytest.approx(100 - 100 * np.exp(-0.05), rel=1e-12)
    h = 1e-4
    up, dn = (H.black_scholes(100 + d, 90.0, 0.5, 0.6, kind="put").loc[0, "price"] for d in (h, -h))
    assert H.black_scholes(100.0, 90.0, 0.5, 0.6, kind="put").loc[0, "delta"] == pytest.approx(
        (up - dn) / (2 * h), rel=1e-6
    )
    with pytest.raises(InvalidParameterError, match="expiry"):
        H.black_scholes(100.0, 100.0, 0.0, 0.2)
    with pytest.raises(InvalidParameterError, match="vol must be positive"):
        H.black_scholes(100.0, 100.0, 1.0, -0.2)


def test_book_greeks_synthetic_forward():
    book = pd.DataFrame(
        {
            "kind": ["call", "put"],
            "strike": [100.0, 100.0],
            "expiry": [0.5, 0.5],
            "vol": [0.8, 0.8],
            "quantity": [1.0, -1.0],
        }
    )
    g = H.book_greeks(book, 95.0)
    assert g["delta"] == pytest.approx(1.0, rel=1e-12) and g["gamma"] == pytest.approx(0.0, abs=1e-15)
    assert g["hedge_units"] == pytest.approx(-1.0)


def test_banded_rehedging_trade_off():
    g = np.random.default_rng(1)
    idx = pd.date_range("2024-01-01", periods=120, freq="D")
    prices = pd.Series(30000 * np.exp(np.cumsum(g.normal(0, 0.03, 120))), index=idx)
    book = pd.DataFrame(
        {"kind": ["call"], "strike": [30000.0], "expiry": [0.5], "vol": [0.6], "quantity": [-10.0]}
    )
    table = H.banded_rehedging(book, prices, bands=(0.0, 0.05, 0.2, 1.0), costs=Costs(proportional=0.001))
    assert list(table["rehedges"]) == sorted(table["rehedges"], reverse=True)
    assert list(table["hedging_cost"]) == sorted(table["hedging_cost"], reverse=True)
    assert table.loc[0.0, "residual_risk"] < table.loc[1.0, "residual_risk"]
    assert set(table["units"]) == {"per period"}  # the residual risk is one period's


def test_banded_ratio_rehedging_trade_off():
    s, f = pair(seed=3, n=400)
    table = H.banded_ratio_rehedging(
        s, f, halflife=20, bands=(0.0, 0.02, 0.1, 1.0), costs=Costs(proportional=0.001)
    )
    assert list(table["rehedges"]) == sorted(table["rehedges"], reverse=True)
    assert table.loc[1.0, "rehedges"] == 0 and table.loc[1.0, "hedging_cost"] == 0.0
    assert (table["variance_reduction"] > 0.5).all()  # the hedge works whatever the band
    assert set(table["units"]) == {"per period"}
    # the cost of a re-hedge is the traded ratio change times the proportional rate
    zero = H.banded_ratio_rehedging(s, f, halflife=20, bands=(0.0,), costs=Costs(proportional=0.001))
    est = H.rolling_hedge_ratio(s, f, halflife=20).reindex(s.index).to_numpy()
    assert zero.loc[0.0, "hedging_cost"] == pytest.approx(1e-3 * np.abs(np.diff(est[29:])).sum(), rel=1e-9)


def test_constant_and_nearly_constant_hedges():
    """Found by the property suite (issue 15): a constant hedge gave a ratio of -3e-13 instead of an
    error, and a nearly constant one a slope 1e-6 off (cancellation in the uncentred design)."""
    from riskkit.exceptions import InvalidParameterError
    from riskkit.hedging import hedge_ratio

    idx = pd.date_range("2020-01-01", periods=3)
    spot = pd.Series([-3.274996e-10, 3.583231e-08, 1.520817e-08], index=idx)
    with pytest.raises(InvalidParameterError, match="hedge returns are constant"):
        hedge_ratio(spot, pd.Series(0.001, index=idx))
    hedge = pd.Series(0.001 + np.array([1.3e-12, -0.4e-12, 2.2e-12]), index=idx)
    x, y = hedge.to_numpy(), spot.to_numpy()
    slope = np.sum((x - x.mean()) * (y - y.mean())) / np.sum((x - x.mean()) ** 2)
    assert hedge_ratio(spot, hedge).ratio == pytest.approx(slope, rel=1e-9)


def test_min_trade_means_not_executed_in_both_hedging_simulations():
    """Issue 13.2: one meaning of Costs.min_trade. A re-hedge below it is not executed:
    the hedge held stays, nothing is paid, no re-hedge is counted."""
    s, f = pair(seed=3, n=400)
    est = H.rolling_hedge_ratio(s, f, halflife=20).reindex(s.index).to_numpy()
    y, x = s.to_numpy(), f.to_numpy()
    costs = Costs(proportional=0.001, fixed=0.001, min_trade=0.01)
    got = H.banded_ratio_rehedging(s, f, halflife=20, bands=(0.0, 0.005), costs=costs, warmup=30)
    for band in (0.0, 0.005):  # a naive loop of the rule
        held, paid, n, r = est[29], 0.0, 0, []
        for t in range(30, len(y)):
            day = y[t] - held * x[t]
            move = abs(est[t] - held)
            if move > band and move >= 0.01:
                c = 1e-3 * move + 0.001
                day, paid, n, held = day - c, paid + c, n + 1, est[t]
            r.append(day)
        assert got.loc[band, "rehedges"] == n > 0
        assert got.loc[band, "hedging_cost"] == pytest.approx(paid, rel=1e-12)
        assert got.loc[band, "residual_risk"] == pytest.approx(np.std(r, ddof=1), rel=1e-12)
    # the option book: a minimum above every trade leaves the initial hedge in place, for free
    g = np.random.default_rng(1)
    idx = pd.date_range("2024-01-01", periods=60, freq="D")
    prices = pd.Series(100 * np.exp(np.cumsum(g.normal(0, 0.03, 60))), index=idx)
    book = pd.DataFrame(
        {"kind": ["call"], "strike": [100.0], "expiry": [0.5], "vol": [0.6], "quantity": [-10.0]}
    )
    free = H.banded_rehedging(book, prices, bands=(0.0,), costs=Costs(fixed=1.0))
    never = H.banded_rehedging(book, prices, bands=(0.0,), costs=Costs(fixed=1.0, min_trade=1e9))
    assert free.loc[0.0, "rehedges"] == 59 and free.loc[0.0, "hedging_cost"] == pytest.approx(59.0)
    assert never.loc[0.0, "rehedges"] == 0 and never.loc[0.0, "hedging_cost"] == 0.0
    greeks = H.black_scholes(prices.to_numpy(), 100.0, 0.5 - np.arange(60) / 365, 0.6)
    value = -10 * greeks["price"].to_numpy()
    static = np.diff(value) + 10 * greeks["delta"].iloc[0] * np.diff(prices.to_numpy())
    assert never.loc[0.0, "residual_risk"] == pytest.approx(np.std(static, ddof=1), rel=1e-10)


def test_hedge_ratio_result_contract():
    import pickle

    s, f = pair(seed=2)
    h = H.hedge_ratio(s, f)
    assert h.ci_low < h.ratio < h.ci_high and "\n" not in repr(h) and repr(h).startswith("HedgeRatio(ratio ")
    assert "<table" in h._repr_html_()
    back = pickle.loads(pickle.dumps(h))
    assert back == h
    assert list(h.summary().columns) == [
        "ratio",
        "std_error",
        "ci_low",
        "ci_high",
        "effectiveness",
        "observations",
    ]


def test_one_delta_band_rule_today_and_along_a_path():
    """hedge_status and banded_rehedging read the band against the delta of the day: a hedge of
    10 against a book delta that fell from -10 to -8 is outside a 20% band (|-8 + 10| = 2 > 1.6),
    though inside the band around the starting delta (2 <= 2.0): the two readings differ here."""
    assert bool(H.outside_band(-8.0, 10.0, 0.2)) and not bool(H.outside_band(-10.0, 10.0 - 0.0, 0.2))
    S = np.array([[100.0], [101.0]])
    value = np.array([[0.0], [0.0]])
    delta = np.array([[-10.0], [-8.0]])
    _, _, hedge, trades = H._rehedge(S, value, delta, 0.2, Costs())
    assert trades[0] == 1 and hedge[1, 0] == 8.0  # re-hedged to -delta of the day
    _, _, hedge, trades = H._rehedge(S, value, np.array([[-10.0], [-8.4]]), 0.2, Costs())
    assert trades[0] == 0 and hedge[1, 0] == 10.0  # |1.6| <= 0.2 * 8.4 = 1.68: inside
    # along a real path: on every date, banded_rehedging re-hedges exactly when hedge_status says so
    g = np.random.default_rng(5)
    idx = pd.date_range("2024-01-01", periods=80, freq="D")
    prices = pd.Series(100 * np.exp(np.cumsum(g.normal(0, 0.03, 80))), index=idx)
    book = pd.DataFrame({"kind": ["call"], "strike": [100.0], "expiry": [0.5], "vol": [0.6],
                         "quantity": [-10.0], "underlying": ["X"]})  # fmt: skip
    held, n = None, 0
    for t in range(len(idx)):
        opts = book.assign(expiry=0.5 - t / 365)
        if held is None:
            held = -float(H.book_greeks(opts, float(prices.iloc[0]))["delta"])
            continue
        status = H.hedge_status(opts, pd.Series({"X": float(prices.iloc[t])}), hedges={"X": held}, band=0.1)
        if status.loc["X", "status"] == "re-hedge":
            held, n = held + status.loc["X", "trade_units"], n + 1
    table = H.banded_rehedging(book.drop(columns="underlying"), prices, bands=(0.1,))
    assert table.loc[0.1, "rehedges"] == n > 0


def test_prices_must_be_positive_one_rule():
    from riskkit.exceptions import MissingDataError, NonPositivePriceError

    book = pd.DataFrame(
        {"kind": ["call"], "strike": [100.0], "expiry": [0.5], "vol": [0.6], "quantity": [-10.0]}
    )
    idx = pd.date_range("2024-01-01", periods=5, freq="D")
    prices = pd.Series([100.0, 101.0, -1.0, 99.0, 98.0], index=idx)
    with pytest.raises(
        NonPositivePriceError, match="prices must be positive; zero or negative for 2024-01-03"
    ):
        H.banded_rehedging(book, prices)
    with pytest.raises(MissingDataError, match="missing for 2024-01-03"):
        H.banded_rehedging(book, prices.where(prices > 0))


def test_option_books_need_a_calendar_on_prices_without_dates():
    # the options age in years: prices on a plain index need periods_per_year, named in the error
    from riskkit.exceptions import CalendarError
    from riskkit.explorers import delta_hedge

    book = pd.DataFrame(
        {"kind": ["call"], "strike": [100.0], "expiry": [0.5], "vol": [0.5], "quantity": [-10.0]}
    )
    plain = pd.Series(100.0 * np.exp(np.linspace(0.0, 0.05, 30)))
    with pytest.raises(CalendarError, match="periods_per_year is needed"):
        H.banded_rehedging(book, plain)
    with pytest.raises(CalendarError, match="periods_per_year is needed"):
        delta_hedge(book, plain.to_frame())
    # given, it is the calendar of dated prices: the same numbers as on 30 daily dates
    dated = plain.set_axis(pd.date_range("2024-01-01", periods=30, freq="D"))
    pd.testing.assert_frame_equal(
        H.banded_rehedging(book, plain, periods_per_year=365), H.banded_rehedging(book, dated)
    )
    a = delta_hedge(book, plain.to_frame(), periods_per_year=365).components
    b = delta_hedge(book, dated.to_frame()).components
    np.testing.assert_array_equal(a.to_numpy(), b.to_numpy())
