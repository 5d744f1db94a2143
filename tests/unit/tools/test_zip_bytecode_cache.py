"""tools/setup/zip_bytecode_cache.py: code imported from a zip is compiled once per source,
and what a later import loads from the cache behaves as freshly compiled code."""

import importlib.util
import marshal
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

SOURCE_FILE = Path(__file__).resolve().parents[3] / "tools" / "setup" / "zip_bytecode_cache.py"
MODULE_SOURCE = b"VALUE = 42\n\ndef fail():\n    raise RuntimeError('from the zip')\n"


@pytest.fixture
def cache(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("zip_bytecode_cache_under_test", SOURCE_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "CACHE_DIR", str(tmp_path / "cache"))
    return module


def test_first_compile_stores_and_the_next_loads_with_its_own_file_name(cache, tmp_path):
    first = cache.compile_source("/tmp/a.zip/mod.py", MODULE_SOURCE)
    entry = Path(cache.entry_path(MODULE_SOURCE))
    assert entry.is_file()
    assert marshal.loads(entry.read_bytes()).co_code == first.co_code

    second = cache.compile_source("/tmp/b.zip/mod.py", MODULE_SOURCE)
    assert second.co_code == first.co_code
    # Every code object, nested functions included, names the import at hand.
    fail = next(const for const in second.co_consts if hasattr(const, "co_code"))
    assert (second.co_filename, fail.co_filename) == ("/tmp/b.zip/mod.py", "/tmp/b.zip/mod.py")
    namespace = {}
    exec(second, namespace)  # pylint: disable=exec-used
    assert namespace["VALUE"] == 42


def test_a_damaged_entry_is_compiled_again_and_replaced(cache):
    entry = Path(cache.entry_path(MODULE_SOURCE))
    entry.parent.mkdir(parents=True)
    entry.write_bytes(b"\x00not marshal")
    code = cache.compile_source("/tmp/a.zip/mod.py", MODULE_SOURCE)
    namespace = {}
    exec(code, namespace)  # pylint: disable=exec-used
    assert namespace["VALUE"] == 42
    assert marshal.loads(entry.read_bytes()).co_code == code.co_code


def test_the_virtualenv_imports_zips_through_the_cache(tmp_path):
    """The Python that runs Ansible's modules (this virtualenv's) has the cache installed,
    and a traceback from cached code names the zip it was imported from."""
    script = ("import sys, zipimport\n"
              "print(zipimport._compile_source.__module__)\n"
              "sys.path.insert(0, sys.argv[1])\n"
              "import mod\n"
              "mod.fail()\n")
    outputs = []
    for name in ("first.zip", "second.zip"):
        archive = tmp_path / name
        with zipfile.ZipFile(archive, "w") as payload:
            payload.writestr("mod.py", MODULE_SOURCE)
        run = subprocess.run([sys.executable, "-c", script, str(archive)], capture_output=True, text=True,
                             check=False)
        outputs.append(run)
    for run, name in zip(outputs, ("first.zip", "second.zip")):
        assert run.stdout.strip() == "dbfleet_zip_bytecode_cache"
        assert f'{tmp_path / name}/mod.py", line 4, in fail' in run.stderr
        assert "RuntimeError: from the zip" in run.stderr
