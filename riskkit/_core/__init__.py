"""The private core every topic shares: argument checks and the error messages
they raise (``validation``: positive prices, weights summing to 1, groups
covering the assets, ... each rule once), the covariance algebra (``matrices``:
correlation, correlation distance, Euler contributions, the fractional tail of a historical
expected shortfall), the result contract
(``result``), how a number or a date is written (``formats``: percentages,
money, prices, key figures, dates; pure Python, for the reports package too),
the normal distribution without scipy.stats (``normal``), the files that travel
inside the wheel (``packaged``) and former option names kept for one release
(``vocabulary``).

May import: riskkit.exceptions (nothing else of riskkit).
"""
