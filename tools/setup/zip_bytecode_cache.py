"""A bytecode cache for the Python code that modules import from zip files.

Ansible sends every module with its module_utils as Python source in a zip (the
AnsiballZ payload), and CPython's zipimport compiles source on each import and never
keeps the result: every module run recompiles ansible.module_utils.basic and the
collections' module_utils, about 0.1 s of CPU out of 0.45 s for an amazon.aws module
on the 2-core machine (docs/development.md). tools/setup/venv.sh installs this file
into the virtualenv with a .pth line that imports it at interpreter start, so every
Python of the virtualenv (the module processes included) keeps compiled code in
<virtualenv>/zip-bytecode, keyed by the SHA-256 of the source.

Behaviour does not change: compile() depends on the source and the file name only, and
the file name of cached code is set to the path of the import at hand
(_imp._fix_co_filename, what importlib does for a .pyc compiled elsewhere). The cache is
per virtualenv, so per Python version. An unreadable or partial entry is compiled again.
"""
import _imp
import hashlib
import marshal
import os
import sys
import zipimport

CACHE_DIR = os.path.join(sys.prefix, "zip-bytecode")
_compile = zipimport._compile_source  # pylint: disable=protected-access


def entry_path(source):
    """Where the code compiled from `source` (bytes) is kept."""
    digest = hashlib.sha256(source).hexdigest()
    return os.path.join(CACHE_DIR, digest[:2], digest)


def compile_source(pathname, source):
    """zipimport._compile_source, through the cache."""
    path = entry_path(source)
    try:
        with open(path, "rb") as cached:
            code = marshal.loads(cached.read())
    except (OSError, EOFError, ValueError, TypeError):
        code = _compile(pathname, source)
        store(path, code)
        return code
    _imp._fix_co_filename(code, pathname)  # pylint: disable=protected-access
    return code


def store(path, code):
    """Write atomically, so that processes importing at the same time read whole entries."""
    partial = "%s.%d.tmp" % (path, os.getpid())
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(partial, "wb") as out:
            out.write(marshal.dumps(code))
        os.replace(partial, path)
    except OSError:
        pass


def install():
    """Route zipimport's compilation through the cache (once per interpreter)."""
    if zipimport._compile_source is not compile_source:  # pylint: disable=protected-access
        zipimport._compile_source = compile_source  # pylint: disable=protected-access
