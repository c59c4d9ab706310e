"""Helpers shared by the explorers' experiments (see :mod:`riskkit.explorers`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from riskkit._core.validation import check_int


def _spawn(seed: int, n: int) -> list[np.random.Generator]:
    """``n`` independent generators; the k-th does not depend on ``n``."""
    seed = check_int("seed", seed, minimum=0)
    return [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(n)]


def _describe(table: pd.DataFrame) -> pd.DataFrame:
    q = table.quantile([0.05, 0.5, 0.95])
    return pd.DataFrame(
        {
            "mean": table.mean(),
            "std": table.std(ddof=1),
            "5%": q.loc[0.05],
            "median": q.loc[0.5],
            "95%": q.loc[0.95],
        }
    )
