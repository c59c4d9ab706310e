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
