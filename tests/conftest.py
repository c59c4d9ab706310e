"""Shared fixtures: small price tables with known values."""

import numpy as np
import pandas as pd
import pytest


@pytest.fixture
def wide_prices() -> pd.DataFrame:
    """Three assets on five 24/7 days, simple numbers."""
    idx = pd.date_range("2024-01-01", periods=5, freq="D", name="date")
    return pd.DataFrame(
        {
            "BTC": [100.0, 110.0, 99.0, 99.0, 120.0],
            "ETH": [10.0, 10.5, 10.0, 11.0, 12.1],
            "SOL": [1.0, 2.0, 1.0, 1.5, 1.5],
        },
        index=idx,
    ).rename_axis(columns="asset")


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)


def random_prices(seed: int, n_dates: int = 60, n_assets: int = 4, freq: str = "D") -> pd.DataFrame:
    gen = np.random.default_rng(seed)
    idx = pd.date_range("2021-01-01", periods=n_dates, freq=freq, name="date")
    r = gen.normal(0.0, 0.03, (n_dates, n_assets))
    p = 100.0 * np.exp(np.cumsum(r, axis=0))
    return pd.DataFrame(p, index=idx, columns=pd.Index([f"A{i}" for i in range(n_assets)], name="asset"))


def straddle_and_short_perp() -> pd.DataFrame:
    """A derivative book (riskkit.hedging.margin's columns) on BTC at 30,000: 2 ATM calls and 2 ATM
    puts (3 months, 60% vol) and a short perpetual of 0.5 BTC opened at 30,000 with 5,000 of
    collateral, 0.5% maintenance and 0.01% funding per 8 h."""
    option = {"underlying": "BTC", "instrument": "option", "strike": 30000.0, "expiry": 0.25, "vol": 0.6}
    return pd.DataFrame(
        [
            {**option, "kind": "call", "quantity": 2.0},
            {**option, "kind": "put", "quantity": 2.0},
            {
                "underlying": "BTC",
                "instrument": "perpetual",
                "quantity": -0.5,
                "entry_price": 30000.0,
                "collateral": 5000.0,
                "maintenance": 0.005,
                "funding": 0.0001,
            },
        ],
        index=["call", "put", "perp"],
    )
