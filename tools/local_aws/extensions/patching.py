"""How every extension hooks moto: wrap, never replace (see extensions/__init__.py)."""

import functools


def wrap(owner, name, make_wrapper):
    """Replace owner.name by make_wrapper(original), which must call the original."""
    original = getattr(owner, name)
    setattr(owner, name, functools.wraps(original)(make_wrapper(original)))
