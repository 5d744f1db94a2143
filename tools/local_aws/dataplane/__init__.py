"""Real database processes behind the local endpoint's resources.

Each module listed in DATA_PLANE_MODULES keeps its processes and data under the state
dir and offers ``stop_all(state_dir)`` and ``delete_all(state_dir)``; the functions
below apply them to every data plane for ``down``, ``reset`` and server start.
"""

import importlib

DATA_PLANE_MODULES = ["postgres", "redis"]


def _modules():
    for name in DATA_PLANE_MODULES:
        yield importlib.import_module(f"{__name__}.{name}")


def stop_all(state_dir):
    """Stop every data-plane process; the data stays."""
    for module in _modules():
        module.stop_all(state_dir)


def delete_all(state_dir):
    """Stop every data-plane process and remove its data."""
    for module in _modules():
        module.delete_all(state_dir)
