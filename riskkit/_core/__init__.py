"""The private core every topic shares: argument checks and the error messages
they raise (``validation``), the result contract (``result``), the normal
distribution without scipy.stats (``normal``) and the files that travel inside
the wheel (``packaged``).

May import: riskkit.exceptions (nothing else of riskkit).
"""
