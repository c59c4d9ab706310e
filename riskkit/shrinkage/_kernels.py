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
from functools import partial

import numpy as np

# the package's one cov -> corr; still importable here as riskkit.shrinkage._kernels.cov_to_corr
from riskkit._core.matrices import cov_to_corr

_CENTER_RATIO = 0.05  # above this max(mean^2 / variance), centre explicitly before X'X
_BLOCK = 64  # rows per block of the rank-one updates (a block stays in cache)


@dataclass
class Moments:
    """Data and its cross-products for one estimation window.

    ``X`` (T, N) raw observations; ``m`` (N,) column means (zeros when the
    data are taken as centred); ``P`` (N, N) the cross-product ``X'X``, or
    ``Xc'Xc`` when ``centered_P``. The sample covariance
    :math:`S = P/T - d d^\\top` (``d`` = the means still in ``P``) is formed
    only when a kernel asks for it; the linear kernels work from ``P``
    directly, saving passes over :math:`N^2` memory.
    """

    X: np.ndarray
    m: np.ndarray
    P: np.ndarray
    centered_P: bool = False
    _S: np.ndarray | None = field(default=None, repr=False)
    _xc: np.ndarray | None = field(default=None, repr=False)
    owns_P: bool = False  # P was made for this window alone and may be overwritten
    _a: np.ndarray | None = field(default=None, repr=False)  # ||x_t||^2 of the raw rows
    _aX: np.ndarray | None = field(default=None, repr=False)  # X' a
    mean_in_P: np.ndarray | None = None  # P holds deviations from an origin, not from 0: their mean

    @property
    def T(self) -> int:
        return self.X.shape[0]

    @property
    def N(self) -> int:
        return self.X.shape[1]

    @property
    def d(self) -> np.ndarray:
        """Means still contained in ``P``."""
        if self.centered_P:
            return np.zeros(self.N)
        return self.m if self.mean_in_P is None else self.mean_in_P

    @property
    def S(self) -> np.ndarray:
        """:math:`S = X_c^\\top X_c / T` (formed on first use)."""
        if self._S is None:
            self._S = self.combine(1.0, 0.0)
        return self._S

    @property
    def xc(self) -> np.ndarray:
        """Centred data (formed on first use)."""
        if self._xc is None:
            self._xc = self.X - self.m if self.m.any() else self.X
        return self._xc

    def var(self) -> np.ndarray:
        d = self.d
        return np.diag(self.P) / self.T - d * d

    def trace_S(self) -> float:
        return float(np.sum(self.var()))

    def sq_norm_S(self) -> float:
        """:math:`\\lVert S \\rVert_F^2` without forming S."""
        if self._S is not None:
            return float(np.vdot(self._S, self._S))
        P, d, T = self.P, self.d, self.T
        if not d.any():
            return float(np.vdot(P, P)) / T**2
        dd = float(d @ d)
        return float(np.vdot(P, P)) / T**2 - 2.0 * float(d @ (P @ d)) / T + dd * dd

    def quad_S(self, u: np.ndarray) -> float:
        """:math:`u^\\top S u` without forming S."""
        if self._S is not None:
            return float(u @ (self._S @ u))
        return float(u @ (self.P @ u)) / self.T - float(self.d @ u) ** 2

    def S_times(self, u: np.ndarray) -> np.ndarray:
        """:math:`S u` without forming S."""
        if self._S is not None:
            return self._S @ u
        return self.P @ u / self.T - self.d * float(self.d @ u)

    def combine(
        self, a: float, c: float, b: float = 0.0, v: np.ndarray | None = None, *, reuse_P: bool = False
    ) -> np.ndarray:
        """A new matrix :math:`a S + c I + b v v^\\top` in one pass over memory.

        ``reuse_P=True`` writes the result into ``P``'s buffer (no allocation) when
        ``P`` is this window's own and S has not been formed; the moments are
        spent afterwards (``P`` no longer holds the cross-products).
        """
        d = self.d
        base = self._S if self._S is not None else self.P
        scale = a if self._S is not None else a / self.T
        vecs = []
        if self._S is None and d.any() and a != 0.0:
            vecs.append((-a, d))
        if b != 0.0 and v is not None:
            vecs.append((b, v))
        if not vecs:
            if reuse_P and self._S is None and self.owns_P:
                base *= scale
                out = base
            else:
                out = base * scale
        else:  # one pass over memory: each block of rows is scaled and updated while in cache
            N = base.shape[0]
            out = base if (reuse_P and self._S is None and self.owns_P) else np.empty_like(base)
            buf = np.empty((min(_BLOCK, N), N))
            for i0 in range(0, N, _BLOCK):
                rows = slice(i0, min(i0 + _BLOCK, N))
                blk = out[rows]
                np.multiply(base[rows], scale, out=blk)
                tmp = buf[: blk.shape[0]]
                for coef, vec in vecs:
                    np.multiply(vec[rows, None], vec[None, :], out=tmp)  # v_i v_j: exactly symmetric
                    tmp *= coef
                    blk += tmp
        if c != 0.0:
            out.flat[:: out.shape[0] + 1] += c
        return out

    def sum_row_sq_norms_squared(self) -> float:
        """:math:`\\sum_t \\lVert x_t - m \\rVert^4`.

        From the raw row norms ``a`` and ``X'a`` (made with the means in one pass
        by :func:`moments`), expanding :math:`\\lVert x_t - m \\rVert^2 = a_t - 2 x_t^\\top m + m^\\top m`:
        no further pass over the data.
        """
        if self._a is None or self.centered_P or not self.m.any():
            r2 = self.row_sq_norms()
            return float(r2 @ r2)
        a, m, P, T = self._a, self.m, self.P, self.T
        c = float(m @ m)
        return (
            float(a @ a)
            + 4.0 * float(m @ (P @ m))
            - 4.0 * float(self._aX @ m)
            + 2.0 * c * float(np.trace(P))
            - 3.0 * T * c * c
        )

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
    base: object  # the sample covariance the estimator starts from, or a function making it
    intensity: float | None = None
    target: object = None  # the target matrix, or a function making it
    info: dict = field(default_factory=dict)


def moments(X: np.ndarray, *, assume_centered: bool) -> Moments:
    """Column means and the cross-product matrix, with one ``X'X``."""
    N = X.shape[1]
    if assume_centered:
        return Moments(X, np.zeros(N), X.T @ X, centered_P=True, owns_P=True)
    T = X.shape[0]
    a = np.einsum("ij,ij->i", X, X)  # raw row norms: one pass, reused by the fourth-moment sums
    G = X.T @ np.stack([np.ones(T), a], axis=1)  # column sums and X'a in one more pass
    m = G[:, 0] / T
    mo = Moments(X, m, X.T @ X, owns_P=True, _a=a, _aX=G[:, 1].copy())
    if not (np.isfinite(m).all() and np.isfinite(np.diag(mo.P)).all()):
        return mo  # NaN or inf: the caller reports them
    if np.any(m * m > _CENTER_RATIO * np.abs(mo.var())):
        xc = X - m  # large means: centre first to avoid cancellation
        return Moments(X, m, xc.T @ xc, centered_P=True, owns_P=True, _xc=xc)
    return mo


def moments_from_sums(
    X: np.ndarray, P: np.ndarray, s: np.ndarray, *, assume_centered: bool, origin: np.ndarray | None = None
) -> Moments:
    """Moments of a window from its running sums ``P = Z'Z`` and ``s = Z'1`` of the deviations
    ``Z = X - origin`` (origin 0 when None; P is not modified)."""
    T = X.shape[0]
    if assume_centered:
        return Moments(X, np.zeros(X.shape[1]), P, centered_P=True)
    if origin is None:
        return Moments(X, s / T, P)
    d = s / T
    return Moments(X, origin + d, P, mean_in_P=d)


# --------------------------------------------------------------------------- helpers


def condition_number(cov: np.ndarray) -> float:
    """Ratio of largest to smallest eigenvalue (inf when singular)."""
    ev = np.linalg.eigvalsh(cov)
    if ev[0] <= ev[-1] * np.finfo(float).eps * len(ev):
        return float("inf")
    return float(ev[-1] / ev[0])


def sample(mo: Moments, *, ddof: int) -> Estimate:
    S = mo.combine(mo.T / (mo.T - ddof), 0.0) if ddof else mo.S
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


def sample_of(mo: Moments) -> np.ndarray:
    return mo.S


def _sample_from_data(X: np.ndarray, centred: bool) -> np.ndarray:
    return moments(X, assume_centered=centred).S


def _scaled_identity(N: int, mu: float) -> np.ndarray:
    return np.eye(N) * mu


# Deferred matrices (a sample covariance or a target made only if asked for) are
# functools.partial objects of module-level functions, never lambdas: results pickle.


def _fresh_sample(mo: Moments) -> partial:
    """A function giving S later, even after ``mo.P`` has been reused for the output."""
    if not mo.owns_P:
        return partial(sample_of, mo)
    return partial(_sample_from_data, mo.X, bool(mo.centered_P and not mo.m.any()))


def identity_target(mo: Moments) -> np.ndarray:
    return np.eye(mo.N) * (mo.trace_S() / mo.N)


def ledoit_wolf_identity(mo: Moments) -> Estimate:
    """Ledoit & Wolf (2004) toward :math:`\\mu I`, :math:`\\mu = \\operatorname{tr}(S)/N`.

    Same quantities as scikit-learn's ``ledoit_wolf_shrinkage``, with
    :math:`\\sum (X^{\\circ 2})^\\top X^{\\circ 2} = \\sum_t \\lVert x_t \\rVert^4`.
    """
    T, N = mo.T, mo.N
    target = partial(identity_target, mo)
    if N == 1:
        return Estimate(mo.S.copy(), partial(sample_of, mo), 0.0, target)
    tr = mo.trace_S()
    mu = tr / N
    beta_ = mo.sum_row_sq_norms_squared()
    delta_ = mo.sq_norm_S()
    beta = (beta_ / T - delta_) / (N * T)
    delta = (delta_ - 2.0 * mu * tr + N * mu**2) / N
    beta = max(
        0.0, min(beta, delta)
    )  # >= 0 in exact arithmetic; rounding made it -2e-16 (a negative variance)
    s = 0.0 if beta == 0 else beta / delta
    F_mu = mo.trace_S() / N
    fresh = _fresh_sample(mo)
    return Estimate(
        mo.combine(1.0 - s, s * mu, reuse_P=True), fresh, float(s), partial(_scaled_identity, N, F_mu)
    )


def oas(mo: Moments, *, paper: bool = False) -> Estimate:
    """Chen, Wiesel, Eldar & Hero (2010) oracle approximating shrinkage toward :math:`\\mu I`.

    With :math:`p = N`, :math:`n = T`, their eq. 23 is
    :math:`\\rho = \\min\\big(\\frac{(1 - 2/p)\\operatorname{tr}(S^2) + \\operatorname{tr}^2(S)}
    {(n + 1 - 2/p)(\\operatorname{tr}(S^2) - \\operatorname{tr}^2(S)/p)}, 1\\big)` (``paper=True``);
    scikit-learn's ``oas``, the default here, drops the two :math:`2/p` terms.
    """
    T, N = mo.T, mo.N
    mu = mo.trace_S() / N
    target = partial(_scaled_identity, N, mu)
    if N == 1:
        return Estimate(mo.S.copy(), partial(sample_of, mo), 0.0, target)
    alpha = mo.sq_norm_S() / N**2  # tr(S^2) / p^2; mu^2 = tr^2(S) / p^2
    c = 2.0 / N if paper else 0.0
    num = (1.0 - c) * alpha + mu**2
    den = (T + 1 - c) * (alpha - mu**2 / N)
    s = 1.0 if den <= 0 else min(num / den, 1.0)  # den >= 0 in exact arithmetic
    fresh = _fresh_sample(mo)
    return Estimate(mo.combine(1.0 - s, s * mu, reuse_P=True), fresh, float(s), target)


def _constant_correlation(mo: Moments) -> tuple[float, np.ndarray, np.ndarray]:
    """Average correlation, variances and volatilities, from S without forming it."""
    var = mo.var()
    sd = np.sqrt(var)
    N = mo.N
    rbar = (mo.quad_S(1.0 / sd) - N) / (N * (N - 1)) if N > 1 else float("nan")
    return float(rbar), var, sd


def _constant_correlation_matrix(
    mo: Moments, s: float, rbar: float, var: np.ndarray, sd: np.ndarray
) -> np.ndarray:
    """:math:`s F + (1 - s) S` with F the constant-correlation target."""
    out = mo.combine(1.0 - s, 0.0, b=s * rbar, v=sd)
    out.flat[:: mo.N + 1] = var
    return out


def ledoit_wolf_constant_correlation(mo: Moments) -> Estimate:
    """Ledoit & Wolf (2003, "Honey, I shrunk the sample covariance matrix").

    For two assets the target equals the sample covariance (its one correlation is the
    sample's): the intensity is 0 and the estimate the sample covariance, exactly.
    """
    T, N = mo.T, mo.N
    rbar, var, sd = _constant_correlation(mo)
    target = partial(_constant_correlation_matrix, mo, 1.0, rbar, var, sd)
    if N == 1:
        return Estimate(mo.S.copy(), partial(sample_of, mo), 0.0, target, {"mean_correlation": rbar})
    xc = mo.xc
    x2 = xc * xc
    row2 = x2.sum(axis=1)
    sq_s = mo.sq_norm_S()
    sum_v2 = float(var @ var)
    sd_S_sd = mo.quad_S(sd)
    pi_hat = float(row2 @ row2) / T - sq_s
    x4_sum = np.einsum("ti,ti->i", x2, x2) / T  # (1/T) sum_t x_ti^4
    rho_diag = float(np.sum(x4_sum) - sum_v2)
    a = np.einsum("ti,ti,i->t", x2, xc, 1.0 / sd)  # sum_i x_ti^3 / sd_i, no temporary
    b = xc @ sd  # sum_j sd_j x_tj
    theta_off = (float(a @ b) / T - float(np.sum(x4_sum))) - (sd_S_sd - sum_v2)
    rho_hat = rho_diag + rbar * theta_off
    # ||F - S||^2 over the off-diagonal, expanded so that F - S is never formed
    sum_v = float(np.sum(var))
    gamma_hat = rbar**2 * (sum_v**2 - sum_v2) - 2.0 * rbar * (sd_S_sd - sum_v2) + (sq_s - sum_v2)
    # two assets: the target's one correlation is the sample's, F = S, and gamma is 0 exactly
    # (the expansion leaves rounding of either sign, which made the intensity 0 or 1 at random)
    gamma_hat = max(gamma_hat, 0.0) if N > 2 else 0.0
    s = 0.0 if gamma_hat == 0 else max(0.0, min(1.0, (pi_hat - rho_hat) / gamma_hat / T))
    info = {"mean_correlation": rbar, "pi": pi_hat, "rho": rho_hat, "gamma": gamma_hat}
    return Estimate(
        _constant_correlation_matrix(mo, s, rbar, var, sd), partial(sample_of, mo), float(s), target, info
    )


def _single_index_matrix(mo: Moments, s: float, c: np.ndarray, var_m: float, var: np.ndarray) -> np.ndarray:
    """:math:`s F + (1 - s) S` with F the single-index target."""
    out = mo.combine(1.0 - s, 0.0, b=s / var_m, v=c)
    out.flat[:: mo.N + 1] = var
    return out


def ledoit_wolf_single_index(mo: Moments, market: np.ndarray | None) -> Estimate:
    """Ledoit & Wolf (2003, "Improved estimation of the covariance matrix of stock returns").

    ``market``: (T,) market returns; None for the equal-weighted average.
    """
    T, N = mo.T, mo.N
    xc = mo.xc
    if market is None:
        xm = xc.mean(axis=1)
    else:
        xm = market - market.mean() if mo.m.any() else market
    var_m = float(xm @ xm) / T
    c = xc.T @ xm / T
    var = mo.var()
    target = partial(_single_index_matrix, mo, 1.0, c, var_m, var)
    info = {"market_variance": var_m, "beta": c / var_m}
    if N == 1:
        return Estimate(mo.S.copy(), partial(sample_of, mo), 0.0, target, info)
    x2 = xc * xc
    row2 = x2.sum(axis=1)
    sq_s = mo.sq_norm_S()
    phi = float(row2 @ row2) / T - sq_s
    r_diag = float(np.sum(np.einsum("ti,ti->i", x2, x2) / T - var * var))
    q = xc @ c  # x_t . c
    cSc = mo.quad_S(c)
    A = float(np.sum(row2 * xm * q)) / T - cSc
    B = float(xm @ np.einsum("ti,ti,i->t", x2, xc, c)) / T - float(np.sum(c * c * var))
    C = float(np.sum(xm * xm * q * q)) / T - var_m * cSc
    D = float((xm * xm) @ (x2 @ (c * c))) / T - var_m * float(np.sum(var * c * c))
    r_off = 2.0 * (A - B) / var_m - (C - D) / var_m**2
    rho = r_diag + r_off
    # ||S - F||^2 over the off-diagonal, F_ij = c_i c_j / var_m, without forming S - F
    cc = float(c @ c)
    c2v = float(np.sum(c * c * var))
    sum_v2 = float(var @ var)
    off_F2 = (cc**2 - float(np.sum(c**4))) / var_m**2
    off_SF = (cSc - c2v) / var_m
    gamma = max(off_F2 - 2.0 * off_SF + (sq_s - sum_v2), 0.0)
    s = 0.0 if gamma == 0 else max(0.0, min(1.0, (phi - rho) / gamma / T))
    info.update({"pi": phi, "rho": rho, "gamma": gamma})
    return Estimate(
        _single_index_matrix(mo, s, c, var_m, var), partial(sample_of, mo), float(s), target, info
    )


def fixed(mo: Moments, *, target: str, intensity: float, market: np.ndarray | None) -> Estimate:
    """Blend of S = X_c'X_c / T and a target with a given intensity."""
    s = float(intensity)
    if target == "identity":
        mu = mo.trace_S() / mo.N
        return Estimate(mo.combine(1.0 - s, s * mu), partial(sample_of, mo), s, partial(identity_target, mo))
    if target == "constant_correlation":
        rbar, var, sd = _constant_correlation(mo)
        cov = _constant_correlation_matrix(mo, s, rbar, var, sd) if mo.N > 1 else mo.S.copy()
        return Estimate(
            cov, partial(sample_of, mo), s, partial(_constant_correlation_matrix, mo, 1.0, rbar, var, sd)
        )
    est = ledoit_wolf_single_index(mo, market)
    c, var_m = est.info["beta"] * est.info["market_variance"], est.info["market_variance"]
    var = mo.var()
    return Estimate(
        _single_index_matrix(mo, s, c, var_m, var), partial(sample_of, mo), s, est.target, est.info
    )


# 1 / ((2k - 1)(2k + 1)), k = 40 .. 1: the series of the transform in u = sqrt(5)/x, highest first
_HILBERT_SERIES = np.array([1.0 / ((2 * k - 1) * (2 * k + 1)) for k in range(40, 0, -1)])
_HILBERT_SWITCH = 4.0


def epanechnikov_hilbert(x: np.ndarray) -> np.ndarray:
    """Hilbert transform of the Epanechnikov kernel of Ledoit & Wolf (2020), eq. (C.5).

    .. math:: \\mathcal{H}(x) = -\\frac{3x}{10\\pi} + \\frac{3}{4\\sqrt5\\pi}
              \\Bigl(1 - \\frac{x^2}{5}\\Bigr) \\log\\Bigl|\\frac{\\sqrt5 - x}{\\sqrt5 + x}\\Bigr|

    For :math:`|x| \\gg \\sqrt5` the two terms cancel (each ~x, their sum ~1/x),
    so the closed form loses :math:`\\epsilon x^2` relative accuracy: at
    ``x = 1e6`` it returns rounding noise. There the series in
    :math:`u = \\sqrt5/x`, obtained by expanding the logarithm as
    :math:`-2\\,\\mathrm{artanh}(u)`, is used instead:

    .. math:: \\mathcal{H}(x) = -\\frac{3}{\\sqrt5\\pi}
              \\sum_{k\\ge1} \\frac{u^{2k-1}}{(2k-1)(2k+1)}

    (40 terms, from ``|x| >= 4`` where ``u <= 0.56`` and the truncation error is
    below 1e-20; there the closed form is still accurate to 1e-15). Both branches
    are accurate to a few ulps over the whole line (tested against a 50-digit
    evaluation).
    """
    x = np.asarray(x, dtype=float)
    out = np.empty_like(x)
    sqrt5 = np.sqrt(5.0)
    a = np.abs(x)  # the transform is odd: work on |x|, put the sign back
    big = a >= _HILBERT_SWITCH
    s = a[~big]
    # log|(sqrt5 - s)/(sqrt5 + s)| through log1p, accurate also for s -> 0
    with np.errstate(divide="ignore", invalid="ignore"):
        log_term = np.log1p(-2.0 * np.minimum(s, sqrt5) / (sqrt5 + s))
        near = (-3.0 / 10.0 / np.pi) * s + (3.0 / 4.0 / sqrt5 / np.pi) * (1.0 - s * s / 5.0) * log_term
    edge = s == sqrt5  # (1 - x^2/5) log 0: the limit of the product is 0
    near[edge] = (-3.0 / 10.0 / np.pi) * s[edge]
    out[~big] = near
    u = sqrt5 / a[big]
    out[big] = (-3.0 / sqrt5 / np.pi) * u * np.polyval(_HILBERT_SERIES, u * u)
    return np.where(x < 0, -out, out)
    return out


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
    hftilde = np.mean(epanechnikov_hilbert(x) / H, axis=1)
    if p <= n:
        c = p / n
        d = lam / ((np.pi * c * lam * ftilde) ** 2 + (1.0 - c - np.pi * c * lam * hftilde) ** 2)
    else:
        # the transform at 0 of kernels of bandwidth h*lam_j: 1/(h lam_j) * H(-1/h)
        hf0 = float(epanechnikov_hilbert(np.array([-1.0 / h]))[0]) / h * np.mean(1.0 / lam)
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
