"""Option Greeks (riskkit.hedging.greeks): against a naive textbook closed form kept here (Hull,
*Options, Futures and Other Derivatives*, ch. 19), central finite differences of the price,
and, when installed, vollib and QuantLib's analytic European engine."""

import math

import numpy as np
import pytest

from riskkit.exceptions import InvalidParameterError
from riskkit.hedging.greeks import option_greeks


def _N(x):
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def _n(x):
    return math.exp(-x * x / 2.0) / math.sqrt(2.0 * math.pi)


def naive(S, K, T, sigma, kind, r=0.0, q=0.0):
    """Hull's Black-Scholes-Merton with a dividend yield q, one option at a time, in unit terms."""
    d1 = (math.log(S / K) + (r - q + sigma**2 / 2) * T) / (sigma * math.sqrt(T))
    d2 = d1 - sigma * math.sqrt(T)
    if kind == "call":
        price = S * math.exp(-q * T) * _N(d1) - K * math.exp(-r * T) * _N(d2)
        delta = math.exp(-q * T) * _N(d1)
        theta = (
            -S * _n(d1) * sigma * math.exp(-q * T) / (2 * math.sqrt(T))
            + q * S * _N(d1) * math.exp(-q * T)
            - r * K * math.exp(-r * T) * _N(d2)
        )
        rho = K * T * math.exp(-r * T) * _N(d2)
    else:
        price = K * math.exp(-r * T) * _N(-d2) - S * math.exp(-q * T) * _N(-d1)
        delta = -math.exp(-q * T) * _N(-d1)
        theta = (
            -S * _n(d1) * sigma * math.exp(-q * T) / (2 * math.sqrt(T))
            - q * S * _N(-d1) * math.exp(-q * T)
            + r * K * math.exp(-r * T) * _N(-d2)
        )
        rho = -K * T * math.exp(-r * T) * _N(-d2)
    gamma = _n(d1) * math.exp(-q * T) / (S * sigma * math.sqrt(T))
    vega = S * math.sqrt(T) * _n(d1) * math.exp(-q * T)
    return {
        "price": price,
        "delta": delta,
        "gamma": gamma,
        "vega": vega / 100,
        "theta": theta / 365,
        "rho": rho / 100,
    }


CASES = [
    (100.0, 100.0, 1.0, 0.2, "call", 0.05, 0.0),
    (100.0, 110.0, 0.5, 0.3, "put", 0.03, 0.01),
    (30000.0, 24000.0, 0.25, 0.7, "call", 0.0, 0.0),
    (30000.0, 17000.0, 0.1, 0.9, "put", 0.04, 0.02),
]


@pytest.mark.parametrize("case", CASES)
def test_matches_the_textbook_closed_form(case):
    S, K, T, v, kind, r, q = case
    got = option_greeks(S, K, T, v, kind=kind, rate=r, dividend=q).iloc[0]
    want = naive(S, K, T, v, kind, r, q)
    for name, value in want.items():
        assert got[name] == pytest.approx(value, rel=1e-10, abs=1e-12), name


def test_hull_example_15_6():
    """Hull's worked example: S=42, K=40, r=10%, sigma=20%, T=0.5: call 4.76, put 0.81."""
    g = option_greeks(42.0, 40.0, 0.5, 0.2, kind=np.array(["call", "put"]), rate=0.1)
    assert g["price"].round(2).tolist() == [4.76, 0.81]


def _bump(name, S, K, T, v, kind, model, settlement, r, q):
    """Central finite difference of the price for the Greek ``name``, in the documented units."""

    def p(S=S, T=T, v=v, r=r):
        return option_greeks(S, K, T, v, kind=kind, model=model, settlement=settlement, rate=r, dividend=q)[
            "price"
        ].item()

    h, hv = S * 1e-4, 1e-4
    if name == "delta":
        return (p(S=S + h) - p(S=S - h)) / (2 * h)
    if name == "gamma":
        return (p(S=S + h) - 2 * p() + p(S=S - h)) / h**2
    if name == "vega":
        return (p(v=v + hv) - p(v=v - hv)) / (2 * hv) * 0.01
    if name == "theta":
        return -(p(T=T + 1e-5) - p(T=T - 1e-5)) / 2e-5 / 365
    if name == "rho":
        return (p(r=r + 1e-5) - p(r=r - 1e-5)) / 2e-5 * 0.01
    if name == "vanna":

        def d(v):
            return (p(S=S + h, v=v) - p(S=S - h, v=v)) / (2 * h)

        return (d(v + hv) - d(v - hv)) / (2 * hv) * 0.01
    if name == "volga":
        return (p(v=v + hv) - 2 * p() + p(v=v - hv)) / hv**2 * 1e-4
    raise AssertionError(name)


@pytest.mark.parametrize("model", ["black_scholes", "black76"])
@pytest.mark.parametrize("settlement", ["linear", "inverse"])
@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("name", ["delta", "gamma", "vega", "theta", "rho", "vanna", "volga"])
def test_every_greek_is_the_derivative_of_the_price(name, case, settlement, model):
    """Central differences with relative bumps of 1e-4 (spot, vol) and 1e-5 (years, rate):
    agreement to 1e-5 relative (second differences 1e-4), or 1e-9 of the price absolute."""
    S, K, T, v, kind, r, q = case
    got = option_greeks(S, K, T, v, kind=kind, model=model, settlement=settlement, rate=r, dividend=q).iloc[0]
    fd = _bump(name, S, K, T, v, kind, model, settlement, r, q)
    rel = 1e-4 if name in ("gamma", "vanna", "volga") else 1e-5
    assert got[name] == pytest.approx(fd, rel=rel, abs=1e-9 * got["price"] / S + 1e-12), name


def test_black76_is_black_scholes_with_carry_equal_to_the_rate_dividend():
    """Black-76 on F equals Black-Scholes on spot S with q = r when F = S (the future's carry)."""
    b76 = option_greeks(100.0, 95.0, 0.75, 0.4, kind="put", model="black76", rate=0.05)
    bs = option_greeks(100.0, 95.0, 0.75, 0.4, kind="put", rate=0.05, dividend=0.05)
    for name in ("price", "delta", "gamma", "vega", "theta", "vanna", "volga"):
        assert b76[name].item() == pytest.approx(bs[name].item(), rel=1e-12), name
    # rho differs: Black-76 holds F; rho = -T * price
    assert b76["rho"].item() == pytest.approx(-0.75 * b76["price"].item() * 0.01, rel=1e-12)


def test_inverse_price_is_the_usd_price_in_coin_and_its_coin_delta():
    S = 30000.0
    usd = option_greeks(S, 32000.0, 0.25, 0.6, kind="call", model="black76")
    coin = option_greeks(S, 32000.0, 0.25, 0.6, kind="call", model="black76", settlement="inverse")
    assert coin["price"].item() == pytest.approx(usd["price"].item() / S, rel=1e-14)
    # S * dc/dS = Delta_BS - c: the coin delta an exchange displays
    assert S * coin["delta"].item() == pytest.approx(usd["delta"].item() - coin["price"].item(), rel=1e-12)


def test_put_delta_is_exact_deep_out_of_the_money():
    """-N(-d1) keeps the digits N(d1) - 1 loses: a put 40 sd out of the money."""
    g = option_greeks(100.0, 10.0, 0.1, 0.2, kind="put")
    d1 = (math.log(10.0) + 0.02 * 0.1) / (0.2 * math.sqrt(0.1))
    want = -0.5 * math.erfc(d1 / math.sqrt(2))  # -N(-d1), exactly
    assert want < 0 and g["delta"].item() == pytest.approx(want, rel=1e-12)


def test_put_call_parity():
    S, K, T, r, q = 100.0, 105.0, 0.7, 0.04, 0.015
    g = option_greeks(S, K, T, 0.35, kind=np.array(["call", "put"]), rate=r, dividend=q)
    c, p = g["price"]
    assert c - p == pytest.approx(S * math.exp(-q * T) - K * math.exp(-r * T), rel=1e-12)
    assert g["delta"][0] - g["delta"][1] == pytest.approx(math.exp(-q * T), rel=1e-12)


def test_vectorised_over_a_book_with_labels():
    g = option_greeks(
        [100, 100, 100],
        [90, 100, 110],
        0.5,
        0.3,
        kind=np.array(["call", "put", "call"]),
        labels=["a", "b", "c"],
    )
    assert list(g.index) == ["a", "b", "c"]
    for i, (K, kind) in enumerate([(90, "call"), (100, "put"), (110, "call")]):
        assert g["price"].iloc[i] == pytest.approx(naive(100, K, 0.5, 0.3, kind)["price"], rel=1e-12)


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ((100.0, 100.0, [0.5, -0.1], 0.2), r"expiry must be positive.*'b'"),
        ((100.0, 100.0, 0.5, [0.2, -0.2]), r"vol must be positive.*'b'"),
    ],
)
def test_bad_options_name_the_row(args, match):
    with pytest.raises(InvalidParameterError, match=match):
        option_greeks(*args, labels=["a", "b"])


def test_bad_kind_and_choice():
    with pytest.raises(InvalidParameterError, match=r"kind must be 'call' or 'put'.*'b'"):
        option_greeks(100.0, 100.0, 0.5, 0.2, kind=np.array(["call", "straddle"]), labels=["a", "b"])
    with pytest.raises(InvalidParameterError, match="model"):
        option_greeks(100.0, 100.0, 0.5, 0.2, model="heston")


def test_against_vollib():
    """py_vollib's analytical Greeks (vega per 1%, theta per day of 365, rho per 1%)."""
    analytical = pytest.importorskip("py_vollib.black_scholes_merton.greeks.analytical")
    bsm = pytest.importorskip("py_vollib.black_scholes_merton")
    for S, K, T, v, kind, r, q in CASES:
        flag = kind[0]
        g = option_greeks(S, K, T, v, kind=kind, rate=r, dividend=q).iloc[0]
        assert g["price"] == pytest.approx(bsm.black_scholes_merton(flag, S, K, T, r, v, q), rel=1e-8)
        assert g["delta"] == pytest.approx(analytical.delta(flag, S, K, T, r, v, q), rel=1e-8)
        assert g["gamma"] == pytest.approx(analytical.gamma(flag, S, K, T, r, v, q), rel=1e-8)
        assert g["vega"] == pytest.approx(analytical.vega(flag, S, K, T, r, v, q), rel=1e-8)


def test_against_quantlib():
    """QuantLib's AnalyticEuropeanEngine: vega per unit vol, theta per year, rho per unit rate."""
    ql = pytest.importorskip("QuantLib")
    S, K, T, v, kind, r, q = CASES[1]
    today = ql.Date(1, 1, 2024)
    ql.Settings.instance().evaluationDate = today
    dc = ql.Actual365Fixed()
    maturity = today + round(T * 365)
    T = (maturity - today) / 365.0
    opt = ql.VanillaOption(ql.PlainVanillaPayoff(ql.Option.Put, K), ql.EuropeanExercise(maturity))
    process = ql.BlackScholesMertonProcess(
        ql.QuoteHandle(ql.SimpleQuote(S)),
        ql.YieldTermStructureHandle(ql.FlatForward(today, q, dc)),
        ql.YieldTermStructureHandle(ql.FlatForward(today, r, dc)),
        ql.BlackVolTermStructureHandle(ql.BlackConstantVol(today, ql.NullCalendar(), v, dc)),
    )
    opt.setPricingEngine(ql.AnalyticEuropeanEngine(process))
    g = option_greeks(S, K, T, v, kind=kind, rate=r, dividend=q).iloc[0]
    assert g["price"] == pytest.approx(opt.NPV(), rel=1e-8)
    assert g["delta"] == pytest.approx(opt.delta(), rel=1e-8)
    assert g["gamma"] == pytest.approx(opt.gamma(), rel=1e-8)
    assert g["vega"] == pytest.approx(opt.vega() / 100, rel=1e-8)
    assert g["theta"] == pytest.approx(opt.theta() / 365, rel=1e-6)
    assert g["rho"] == pytest.approx(opt.rho() / 100, rel=1e-8)
