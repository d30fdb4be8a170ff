"""Optional dependencies: import them, or fail with the extra that installs them."""


def import_torch(module):
    """Return the ``torch`` module, or raise an ImportError naming ``seglab[torch]``.

    ``module`` is the name of the seglab module that needs PyTorch (said in the message).
    An error raised inside an installed PyTorch is not masked.
    """
    try:
        import torch
    except ModuleNotFoundError as exc:
        if exc.name != "torch":
            raise
        raise ImportError(f"{module} needs PyTorch, which is not installed: "
                          "pip install 'seglab[torch]' (it pins torch==2.13.0)") from exc
    return torch
