"""Sidak's library: the data contract, features, detectors, training and evaluation.

Data flows one way: contract -> features -> detectors -> score + reasons -> cases ->
verdicts -> outcomes -> training. ``service`` depends on this package, never the reverse.
"""

__version__ = "0.1.0"
