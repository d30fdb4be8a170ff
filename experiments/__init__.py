"""The experiments of the book: losses compared under three models on two simulated tasks.

* :mod:`experiments.config`: the losses, the models, the study's grid and a smoke grid;
* :mod:`experiments.runner`: trains and evaluates one configuration, caches its result as
  JSON keyed by a hash of the configuration, and runs a grid (resumable);
* :mod:`experiments.evaluate`: the test-set evaluation (NumPy only);
* :mod:`experiments.aggregate`: bootstrap intervals, paired differences and the
  architecture study (NumPy and SciPy).

Run with ``python -m experiments run --grid smoke`` (or ``make experiments-smoke``) and
``python -m experiments aggregate``. Training needs the extra ``seglab[torch]`` for the
U-Net; reading and aggregating the results needs NumPy only.
"""
