"""Collection of the whole repository: the doctests of a module of an optional extra run when
the extra is installed (``make test`` installs every extra, so nothing is left out there)."""

import importlib.util

collect_ignore = [] if importlib.util.find_spec("torch") else ["seglab/torch.py"]
