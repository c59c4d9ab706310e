"""The bundled datasets' catalogue: names, files, provenance (private; see riskkit.datasets).

Kept apart from :mod:`riskkit.datasets` so that :mod:`riskkit.data` can resolve a
dataset name without importing the module that reads datasets with it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from riskkit._core.packaged import packaged_dir
from riskkit._core.validation import format_items
from riskkit.exceptions import InvalidParameterError

_SKFOLIO = (
    "skfolio 1.12.2 wheel, skfolio/datasets/data/{file} (BSD-3-Clause, Copyright (c) 2023-2026 "
    "The skfolio developers); header 'Date' renamed 'date', values unchanged"
)
_SECTORS = {
    "AAPL": "Information Technology",
    "AMD": "Information Technology",
    "MSFT": "Information Technology",
    "BAC": "Financials",
    "JPM": "Financials",
    "BBY": "Consumer Discretionary",
    "HD": "Consumer Discretionary",
    "CVX": "Energy",
    "XOM": "Energy",
    "RRC": "Energy",
    "GE": "Industrials",
    "JNJ": "Health Care",
    "LLY": "Health Care",
    "MRK": "Health Care",
    "PFE": "Health Care",
    "UNH": "Health Care",
    "KO": "Consumer Staples",
    "PEP": "Consumer Staples",
    "PG": "Consumer Staples",
    "WMT": "Consumer Staples",
}
_FACTORS = {
    "MTUM": "Momentum",
    "QUAL": "Quality",
    "SIZE": "Size",
    "USMV": "Low volatility",
    "VLUE": "Value",
}

# The simulated crypto universe: 12 fictitious coins named after real segments.
_CRYPTO = {
    # name: (segment, annual volatility, first price)
    "BTC_SIM": ("Store of value", 0.50, 3800.0),
    "ETH_SIM": ("Smart-contract L1", 0.65, 140.0),
    "BNB_SIM": ("Exchange token", 0.70, 6.0),
    "SOL_SIM": ("Smart-contract L1", 1.00, 1.5),
    "ADA_SIM": ("Smart-contract L1", 0.85, 0.04),
    "AVAX_SIM": ("Smart-contract L1", 1.05, 4.0),
    "DOT_SIM": ("Smart-contract L1", 0.90, 3.0),
    "LINK_SIM": ("DeFi", 0.90, 0.35),
    "UNI_SIM": ("DeFi", 0.95, 2.5),
    "AAVE_SIM": ("DeFi", 1.00, 30.0),
    "DOGE_SIM": ("Meme", 1.10, 0.0024),
    "SHIB_SIM": ("Meme", 1.20, 0.000008),
}


# crypto_sim's crash periods (first and last date), from riskkit.datasets.simulated("crypto_sim").regimes
_CRYPTO_CRASHES = (
    ("2019-04-30", "2019-06-14"), ("2020-06-14", "2020-08-14"), ("2021-03-18", "2021-04-10"),
    ("2021-06-09", "2021-07-23"), ("2022-03-30", "2022-05-01"), ("2022-05-18", "2022-05-24"),
    ("2023-04-06", "2023-04-13"), ("2023-09-04", "2023-09-21"), ("2023-12-16", "2023-12-29"),
)  # fmt: skip


@dataclass(frozen=True)
class DatasetInfo:
    """What a bundled dataset is and where it came from."""

    name: str
    file: str
    title: str
    description: str
    source: str
    licence: str
    simulated: bool
    periods_per_year: int
    groups: dict = field(default_factory=dict, repr=False)
    # a simulated dataset's crash periods (first, last date), as its simulator's regime path has them
    # (tests/test_datasets.py checks them against riskkit.datasets.simulated(name).regimes)
    crash_periods: tuple = field(default=(), repr=False)


_REGISTRY: dict[str, DatasetInfo] = {
    d.name: d
    for d in (
        DatasetInfo(
            name="crypto_sim",
            file="crypto_sim.csv",
            title="SIMULATED crypto universe (12 fictitious coins, 2019-2024, 24/7)",
            description=(
                "Simulated daily closes of 12 fictitious coins named after real segments (suffix _SIM), "
                "2019-01-01 to 2024-12-31 on a 7-day calendar, from riskkit.simulation.simulate_market "
                "(fat tails, volatility clustering, crashes with jumping correlations). NOT market data; "
                "riskkit.datasets.simulated('crypto_sim') gives the true covariance."
            ),
            source="riskkit.simulation.simulate_market, parameters in riskkit.datasets._CRYPTO_PARAMS",
            licence="BSD-3-Clause (riskkit)",
            simulated=True,
            periods_per_year=365,
            groups={k: v[0] for k, v in _CRYPTO.items()},
            crash_periods=_CRYPTO_CRASHES,
        ),
        DatasetInfo(
            name="sp500_stocks",
            file="sp500_stocks.csv.gz",
            title="20 S&P 500 stocks, daily adjusted closes, 1990-2022",
            description=(
                "Daily adjusted closes of 20 S&P 500 constituents, 1990-01-02 to 2022-12-28 (business days)."
            ),
            source=_SKFOLIO.format(file="sp500_dataset.csv.gz"),
            licence="BSD-3-Clause (skfolio); for testing and examples only, stale, not investment data",
            simulated=False,
            periods_per_year=252,
            groups=dict(_SECTORS),
        ),
        DatasetInfo(
            name="sp500_index",
            file="sp500_index.csv.gz",
            title="S&P 500 index, daily closes, 1990-2022",
            description="Daily closes of the S&P 500 index, 1990-01-02 to 2022-12-28 (business days).",
            source=_SKFOLIO.format(file="sp500_index.csv.gz"),
            licence="BSD-3-Clause (skfolio); for testing and examples only",
            simulated=False,
            periods_per_year=252,
            groups={"SP500": "Index"},
        ),
        DatasetInfo(
            name="factor_etfs",
            file="factor_etfs.csv.gz",
            title="5 US factor ETFs, daily adjusted closes, 2014-2022",
            description="Daily adjusted closes of the iShares MSCI USA factor ETFs MTUM, QUAL, SIZE, USMV, "
            "VLUE, 2014-01-02 to 2022-12-28 (business days).",
            source=_SKFOLIO.format(file="factors_dataset.csv.gz"),
            licence="BSD-3-Clause (skfolio); for testing and examples only",
            simulated=False,
            periods_per_year=252,
            groups=dict(_FACTORS),
        ),
    )
}


def data_dir() -> Path:
    """Folder holding the bundled files: ``riskkit/_data`` when installed from
    a wheel, ``data/`` of the checkout otherwise."""
    return packaged_dir("_data", "data")


def info(name: str, /) -> DatasetInfo:
    """The :class:`DatasetInfo` of a bundled dataset."""
    try:
        return _REGISTRY[name]
    except (KeyError, TypeError):
        raise InvalidParameterError(
            f"name={name!r} is not a bundled dataset; available: {format_items(_REGISTRY)}."
        ) from None


def names() -> list[str]:
    """Names of the bundled datasets."""
    return list(_REGISTRY)
