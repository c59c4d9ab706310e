"""Bundled datasets: a simulated crypto universe and real US stock data.

May import: riskkit._core, riskkit.exceptions, riskkit.data, riskkit.simulation.

Contents
--------
list_datasets   a table of the bundled datasets
load            prices of a dataset, validated (riskkit's price format)
info            title, provenance, licence, calendar of a dataset
groups          asset -> group (sector, or crypto segment) where known
simulated       the simulated dataset regenerated with its truth (true covariance, regimes)
write_simulated write the simulated dataset's file (byte-identical on regeneration)

The files live in ``data/`` of a checkout and in ``riskkit/_data`` of an
installed wheel; ``data/README.md`` records the provenance of each.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from riskkit._core.validation import format_items
from riskkit.data import read
from riskkit.data._catalog import _CRYPTO, _REGISTRY, DatasetInfo, data_dir, info, names
from riskkit.exceptions import InvalidParameterError

__all__ = [
    "DatasetInfo",
    "data_dir",
    "groups",
    "info",
    "list_datasets",
    "load",
    "names",
    "simulated",
    "write_simulated",
]

_CRYPTO_PARAMS = {
    "seed": 2,
    "n_periods": 2191,
    "calendar": "7d",
    "start": "2019-01-01",
    "names": list(_CRYPTO),
    "groups": [v[0] for v in _CRYPTO.values()],
    "annual_vol": [v[1] for v in _CRYPTO.values()],
    "start_prices": [v[2] for v in _CRYPTO.values()],
    "market_loading": (0.6, 0.8),
    "group_loading": (0.3, 0.45),
    "annual_drift": 0.6,
}


def load(name: str, /) -> pd.DataFrame:
    """Prices of a bundled dataset, validated by :func:`riskkit.data.read`.

    Without warnings: the bundled files are curated, and their quality flags were
    reviewed (``rk.data.load(name).flags`` shows them: AAPL's -52% on 2000-09-29
    in ``sp500_stocks`` is a real move in adjusted data, not a split; the
    simulated coins' jumps of 2021-11-02 are the simulator's).

    Examples
    --------
    >>> import riskkit as rk
    >>> prices = rk.datasets.load("crypto_sim")
    >>> prices.shape
    (2192, 12)
    """
    return read(data_dir() / info(name).file).prices


def groups(name: str, /) -> pd.Series:
    """Asset -> group (GICS sector for stocks, segment for the simulated coins)."""
    d = info(name)
    return pd.Series(d.groups, name="group").rename_axis("asset")


def list_datasets() -> pd.DataFrame:
    """One row per bundled dataset: title, assets, dates, calendar, simulated or real."""
    rows = []
    for d in _REGISTRY.values():
        prices = load(d.name)
        rows.append(
            {
                "name": d.name,
                "title": d.title,
                "assets": prices.shape[1],
                "rows": prices.shape[0],
                "first": prices.index[0].date(),
                "last": prices.index[-1].date(),
                "periods_per_year": d.periods_per_year,
                "simulated": d.simulated,
            }
        )
    return pd.DataFrame(rows).set_index("name")


def simulated(name: str = "crypto_sim", /):
    """Regenerate a simulated dataset with its truth.

    Returns the :class:`~riskkit.simulation.SimulatedMarket` behind the
    bundled file: exact prices and log returns, the true covariance, the
    regimes. ``load(name)`` gives the same prices rounded to 10 significant
    digits as stored.
    """
    from riskkit.simulation import simulate_market

    if not info(name).simulated:
        raise InvalidParameterError(
            f"{name!r} is real market data; simulated datasets: "
            f"{format_items(k for k, v in _REGISTRY.items() if v.simulated)}."
        )
    return simulate_market(**_CRYPTO_PARAMS)


def write_simulated(directory: str | Path, /, name: str = "crypto_sim") -> Path:
    """Write a simulated dataset's file into ``directory`` and return its path.

    The text is fixed: dates as ``YYYY-MM-DD``, prices with 10 significant
    digits, ``\\n`` line ends, so regenerating gives a byte-identical file.
    """
    market = simulated(name)
    buf = io.StringIO()
    market.prices.to_csv(buf, float_format="%.10g", date_format="%Y-%m-%d", lineterminator="\n")
    path = Path(directory) / info(name).file
    path.write_bytes(buf.getvalue().encode("ascii"))
    return path
