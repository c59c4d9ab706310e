"""Covariance estimators as ndarray kernels (private; see riskkit.shrinkage).

Every kernel takes a :class:`Moments` (the data and its 1/T cross-product
matrix) and returns an :class:`Estimate`. Nothing here validates input or
knows about labels.

Conventions, as in the papers and in scikit-learn: the data are demeaned
column by column (unless ``assume_centered``) and the sample covariance the
linear shrinkage formulas start from is :math:`S = X_c^\\top X_c / T`
(ddof = 0).

Speed: every estimator costs one :math:`N \\times N` cross-product (the
floor) plus :math:`O(TN + N^2)` work. The fourth-moment sums of the shrinkage
formulas are rewritten as sums over observations, e.g.
:math:`\\sum_{ij} [(X^{\\circ 2})^\\top X^{\\circ 2}]_{ij} = \\sum_t \\lVert x_t \\rVert^4`,
so no second :math:`N \\times N` product is formed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

_CENTER_RATIO = 1.0  # above this max(mean^2 / variance), centre explicitly before X'X


@dataclass
class Moments:
    """Data and its cross-products for one estimation window.

    X : (T, N) raw observations; m : (N,) column means (zeros when centred);
    S : (N, N) ``(X - m)'(X - m) / T``.
    """

    X: np.ndarray
    m: np.ndarray
    S: np.ndarray
    _xc: np.ndarray | None = field(default=None, repr=False)

    @property
    def T(self) -> int:
        return self.X.shape[0]

    @property
    def N(self) -> int:
        return self.X.shape[1]

    @property
    def xc(self) -> np.ndarray:
        """Centred data (made on first use)."""
        if self._xc is None:
            self._xc = self.X - self.m if self.m.any() else self.X
        return self._xc

    def row_sq_norms(self) -> np.ndarray:
        """:math:`\\lVert x_t - m \\rVert^2` for every t, without forming ``X - m``."""
        if self._xc is not None or not self.m.any():
            xc = self.xc
            return np.einsum("ij,ij->i", xc, xc)
        a = np.einsum("ij,ij->i", self.X, self.X)
        return a - 2.0 * (self.X @ self.m) + self.m @ self.m


@dataclass
class Estimate:
    cov: np.ndarray
    base: np.ndarray  # the sample covariance the estimator starts from
    intensity: float | None = None
    target: np.ndarray | None = None
    info: dict = field(default_factory=dict)


def moments(X: np.ndarray, *, assume_centered: bool) -> Moments:
    """Column means and the 1/T cross-product matrix, with one ``X'X``."""
    T, N = X.shape
    if assume_centered:
        return Moments(X, np.zeros(N), X.T @ X / T)
    m = X.mean(axis=0)
    P = X.T @ X / T
    var = np.diag(P) - m * m
    if np.any(m * m > _CENTER_RATIO * np.abs(var)):
        xc = X - m  # large means: centre first to avoid cancellation
        return Moments(X, m, xc.T @ xc / T, xc)
    S = P - np.outer(m, m)
    return Moments(X, m, S)


def moments_from_sums(X: np.ndarray, P: np.ndarray, s: np.ndarray, *, assume_centered: bool) -> Moments:
    """Moments of a window from its running sums ``P = X'X`` and ``s = X'1``."""
    T = X.shape[0]
    if assume_centered:
        return Moments(X, np.zeros(X.shape[1]), P / T)
    m = s / T
    return Moments(X, m, P / T - np.outer(m, m))


# --------------------------------------------------------------------------- helpers


def cov_to_corr(cov: np.ndarray) -> np.ndarray:
    """Correlation from a covariance: symmetric, unit diagonal."""
    sd = np.sqrt(np.diag(cov))
    corr = cov / np.outer(sd, sd)
    corr = (corr + corr.T) / 2.0
    np.fill_diagonal(corr, 1.0)
    return corr


def condition_number(cov: np.ndarray) -> float:
    """Ratio of largest to smallest eigenvalue (inf when singular)."""
    ev = np.linalg.eigvalsh(cov)
    if ev[0] <= ev[-1] * np.finfo(float).eps * len(ev):
        return float("inf")
    return float(ev[-1] / ev[0])


def _blend(S: np.ndarray, F: np.ndarray, s: float) -> np.ndarray:
    return s * F + (1.0 - s) * S


# --------------------------------------------------------------------------- estimators


def sample(mo: Moments, *, ddof: int) -> Estimate:
    S = mo.S * (mo.T / (mo.T - ddof)) if ddof else mo.S
    return Estimate(S, S)


def ewma(X: np.ndarray, *, lam: float, assume_centered: bool) -> Estimate:
    """Weights :math:`w_t \\propto \\lambda^{T-1-t}` summing to one; weighted mean removed."""
    T = X.shape[0]
    w = lam ** np.arange(T - 1, -1, -1, dtype=float)
    w /= w.sum()
    xc = X if assume_centered else X - w @ X
    xs = xc * np.sqrt(w)[:, None]
    cov = xs.T @ xs
    return Estimate(cov, cov, info={"lambda": lam, "halflife": float(np.log(0.5) / np.log(lam))})


def identity_target(S: np.ndarray) -> np.ndarray:
    N = S.shape[0]
    return np.eye(N) * (np.trace(S) / N)


def ledoit_wolf_identity(mo: Moments) -> Estimate:
    """Ledoit & Wolf (2004) toward :math:`\\mu I`, :math:`\\mu = \\operatorname{tr}(S)/N`."""
    S, T, N = mo.S, mo.T, mo.N
    F = identity_target(S)
    if N == 1:
        return Estimate(S.copy(), S, 0.0, F)
    mu = np.trace(S) / N
    row2 = mo.row_sq_norms()
    beta_ = float(row2 @ row2)  # = sum of (X^2)'(X^2)
    delta_ = float(np.sum(S * S))
    beta = (beta_ / T - delta_) / (N * T)
    delta = (delta_ - 2.0 * mu * np.trace(S) + N * mu**2) / N
    beta = min(beta, delta)
    s = 0.0 if beta == 0 else beta / delta
    return Estimate(_blend(S, F, s), S, float(s), F)


def oas(mo: Moments) -> Estimate:
    """Chen, Wiesel, Eldar & Hero (2010) oracle approximating shrinkage toward :math:`\\mu I`."""
    S, T, N = mo.S, mo.T, mo.N
    F = identity_target(S)
    if N == 1:
        return Estimate(S.copy(), S, 0.0, F)
    mu = np.trace(S) / N
    alpha = float(np.mean(S * S))
    num = alpha + mu**2
    den = (T + 1) * (alpha - mu**2 / N)
    s = 1.0 if den == 0 else min(num / den, 1.0)
    return Estimate(_blend(S, F, s), S, float(s), F)


def constant_correlation_target(S: np.ndarray) -> tuple[np.ndarray, float]:
    N = S.shape[0]
    sd = np.sqrt(np.diag(S))
    if N == 1:
        return S.copy(), float("nan")
    rbar = float((np.sum(S / np.outer(sd, sd)) - N) / (N * (N - 1)))
    F = rbar * np.outer(sd, sd)
    np.fill_diagonal(F, np.diag(S))
    return F, rbar


def ledoit_wolf_constant_correlation(mo: Moments) -> Estimate:
    """Ledoit & Wolf (2003, "Honey, I shrunk the sample covariance matrix")."""
    S, T, N = mo.S, mo.T, mo.N
    F, rbar = constant_correlation_target(S)
    if N == 1:
        return Estimate(S.copy(), S, 0.0, F, {"mean_correlation": rbar})
    var = np.diag(S)
    sd = np.sqrt(var)
    xc = mo.xc
    x2 = xc * xc
    row2 = x2.sum(axis=1)
    pi_hat = float(row2 @ row2) / T - float(np.sum(S * S))
    x4_sum = np.einsum("ti,ti->i", x2, x2) / T  # (1/T) sum_t x_ti^4
    rho_diag = float(np.sum(x4_sum - var * var))
    a = (x2 * xc) @ (1.0 / sd)  # sum_i x_ti^3 / sd_i
    b = xc @ sd  # sum_j sd_j x_tj
    theta_off = (float(a @ b) / T - float(np.sum(x4_sum))) - (float(sd @ S @ sd) - float(np.sum(var * var)))
    rho_hat = rho_diag + rbar * theta_off
    gamma_hat = float(np.sum((F - S) ** 2))
    s = 0.0 if gamma_hat == 0 else max(0.0, min(1.0, (pi_hat - rho_hat) / gamma_hat / T))
    info = {"mean_correlation": rbar, "pi": pi_hat, "rho": rho_hat, "gamma": gamma_hat}
    return Estimate(_blend(S, F, s), S, float(s), F, info)


def single_index_target(S: np.ndarray, c: np.ndarray, var_m: float) -> np.ndarray:
    F = np.outer(c, c) / var_m
    np.fill_diagonal(F, np.diag(S))
    return F


def ledoit_wolf_single_index(mo: Moments, market: np.ndarray | None) -> Estimate:
    """Ledoit & Wolf (2003, "Improved estimation of the covariance matrix of stock returns").

    ``market``: (T,) market returns; None for the equal-weighted average.
    """
    S, T, N = mo.S, mo.T, mo.N
    xc = mo.xc
    if market is None:
        xm = xc.mean(axis=1)
    else:
        xm = market - market.mean() if mo.m.any() else market
    var_m = float(xm @ xm) / T
    c = xc.T @ xm / T
    F = single_index_target(S, c, var_m)
    info = {"market_variance": var_m, "beta": c / var_m}
    if N == 1:
        return Estimate(S.copy(), S, 0.0, F, info)
    var = np.diag(S)
    x2 = xc * xc
    row2 = x2.sum(axis=1)
    phi = float(row2 @ row2) / T - float(np.sum(S * S))
    r_diag = float(np.sum(np.einsum("ti,ti->i", x2, x2) / T - var * var))
    q = xc @ c  # x_t . c
    cSc = float(c @ S @ c)
    A = float(np.sum(row2 * xm * q)) / T - cSc
    B = float(xm @ ((x2 * xc) @ c)) / T - float(np.sum(c * c * var))
    C = float(np.sum(xm * xm * q * q)) / T - var_m * cSc
    D = float((xm * xm) @ (x2 @ (c * c))) / T - var_m * float(np.sum(var * c * c))
    r_off = 2.0 * (A - B) / var_m - (C - D) / var_m**2
    rho = r_diag + r_off
    gamma = float(np.sum((S - F) ** 2))
    s = 0.0 if gamma == 0 else max(0.0, min(1.0, (phi - rho) / gamma / T))
    info.update({"pi": phi, "rho": rho, "gamma": gamma})
    return Estimate(_blend(S, F, s), S, float(s), F, info)


def fixed(mo: Moments, *, target: str, intensity: float, market: np.ndarray | None) -> Estimate:
    """Blend of S = X_c'X_c / T and a target with a given intensity."""
    S = mo.S
    if target == "identity":
        F = identity_target(S)
    elif target == "constant_correlation":
        F = constant_correlation_target(S)[0]
    else:
        F = ledoit_wolf_single_index(mo, market).target
    return Estimate(_blend(S, F, intensity), S, float(intensity), F)


def nonlinear(mo: Moments) -> Estimate:
    """Ledoit & Wolf (2020) analytical nonlinear shrinkage.

    Effective sample size n = T - 1 after demeaning (T when centred), sample
    covariance :math:`X_c^\\top X_c / n`, Epanechnikov kernel with bandwidth
    :math:`h = n^{-1/3}` scaled by each eigenvalue.
    """
    T, p = mo.T, mo.N
    n = T if not mo.m.any() else T - 1
    S = mo.S * (T / n)
    lam, u = np.linalg.eigh(S)
    lam = lam[max(0, p - n) :]
    k = lam.shape[0]
    h = n ** (-1.0 / 3.0)
    H = h * lam[None, :]  # bandwidth of kernel j, broadcast over i
    x = (lam[:, None] - lam[None, :]) / H
    sqrt5 = np.sqrt(5.0)
    ftilde = (3.0 / 4.0 / sqrt5) * np.mean(np.maximum(1.0 - x * x / 5.0, 0.0) / H, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_term = np.log(np.abs((sqrt5 - x) / (sqrt5 + x)))
    hf = (-3.0 / 10.0 / np.pi) * x + (3.0 / 4.0 / sqrt5 / np.pi) * (1.0 - x * x / 5.0) * log_term
    edge = np.abs(x) == sqrt5
    hf[edge] = (-3.0 / 10.0 / np.pi) * x[edge]
    hftilde = np.mean(hf / H, axis=1)
    if p <= n:
        c = p / n
        d = lam / ((np.pi * c * lam * ftilde) ** 2 + (1.0 - c - np.pi * c * lam * hftilde) ** 2)
    else:
        hf0 = (
            (1.0 / np.pi)
            * (
                3.0 / 10.0 / h**2
                + 3.0
                / 4.0
                / sqrt5
                / h
                * (1.0 - 1.0 / 5.0 / h**2)
                * np.log((1.0 + sqrt5 * h) / (1.0 - sqrt5 * h))
            )
            * np.mean(1.0 / lam)
        )
        d0 = 1.0 / (np.pi * (p - n) / n * hf0)
        d1 = lam / (np.pi**2 * lam**2 * (ftilde**2 + hftilde**2))
        d = np.concatenate([np.full(p - n, d0), d1])
    cov = (u * d) @ u.T
    cov = (cov + cov.T) / 2.0
    return Estimate(cov, S, None, None, {"effective_n": n, "eigenvalues": d, "n_kept": k})


def denoise(mo: Moments, *, ddof: int, detone: bool, n_market: int = 1) -> Estimate:
    """Marchenko-Pastur clipping of the correlation matrix, optionally detoned.

    Eigenvalues of the sample correlation above the edge
    :math:`\\lambda_+ = \\sigma^2 (1 + \\sqrt{N/T})^2` are kept (signal); the
    others are replaced by their average, which keeps the trace. The noise
    variance is what the market mode leaves, :math:`\\sigma^2 = 1 - \\lambda_1 / N`
    (Laloux, Cizeau, Potters & Bouchaud 2000). The result
    is rescaled to a unit diagonal. ``detone`` then removes the ``n_market``
    largest components (the market mode) and rescales again (Lopez de Prado
    2020): useful for clustering, singular by construction.
    """
    T, N = mo.T, mo.N
    S = mo.S * (T / (T - ddof)) if ddof else mo.S
    sd = np.sqrt(np.diag(S))
    C = cov_to_corr(S)
    lam, v = np.linalg.eigh(C)
    sigma2 = max(1.0 - float(lam[-1]) / N, np.finfo(float).eps)
    edge = sigma2 * (1.0 + np.sqrt(N / T)) ** 2
    signal = lam > edge
    clipped = lam.copy()
    if (~signal).any():
        clipped[~signal] = lam[~signal].mean()
    C1 = cov_to_corr((v * clipped) @ v.T)
    info = {"edge": float(edge), "noise_variance": sigma2, "n_signal": int(signal.sum())}
    if detone:
        lam1, v1 = np.linalg.eigh(C1)
        top = slice(N - n_market, N)  # eigh sorts ascending: the largest come last
        C1 = cov_to_corr(C1 - (v1[:, top] * lam1[top]) @ v1[:, top].T)
        info["detoned_components"] = n_market
    cov = C1 * np.outer(sd, sd)
    return Estimate(cov, S, None, None, info)
