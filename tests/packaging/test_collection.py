"""The collection builds, installs and documents itself the way Galaxy users get it."""
import json
import os
import subprocess
import tarfile
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
BIN = REPO / ".venv" / "bin"
MODULES = sorted(p.stem for p in (REPO / "plugins" / "modules").glob("*.py") if p.stem != "__init__")


def run(*args, cwd=REPO, env=None):
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=True)


def test_build_produces_an_artifact_without_dev_files(tmp_path):
    run(str(BIN / "ansible-galaxy"), "collection", "build", "--output-path", str(tmp_path))
    artifact = tmp_path / "dbfleet-aws-0.1.0.tar.gz"
    assert artifact.is_file()
    with tarfile.open(artifact) as tar:
        names = tar.getnames()
        manifest = json.load(tar.extractfile("MANIFEST.json"))
    assert manifest["collection_info"]["namespace"] == "dbfleet"
    assert manifest["collection_info"]["name"] == "aws"
    assert set(manifest["collection_info"]["dependencies"]) == {
        "amazon.aws", "community.aws", "community.postgresql", "community.general"}
    for module in MODULES:
        assert f"plugins/modules/{module}.py" in names
    assert "roles/rds/tasks/main.yml" in names
    for dev_only in ("tests/", "tools/", "bench/", "awx/", ".venv/", ".local/", ".build/"):
        assert not any(n.startswith(dev_only) for n in names), dev_only


def test_every_module_is_in_its_action_group():
    """AWS modules in `aws`, PostgreSQL modules in `postgresql`: one module_defaults entry
    sets the region and endpoint, or the connection, of the other collections' modules too."""
    runtime = yaml.safe_load((REPO / "meta" / "runtime.yml").read_text())
    assert MODULES, "no modules found"
    groups = runtime["action_groups"]
    postgresql = [module for module in MODULES if module.startswith("postgresql_")]
    for name, modules, extended in (("aws", set(MODULES) - set(postgresql), ["amazon.aws.aws", "community.aws.aws"]),
                                    ("postgresql", set(postgresql), ["community.postgresql.all"])):
        assert modules == set(entry for entry in groups[name] if isinstance(entry, str)), name
        assert [entry["metadata"]["extend_group"] for entry in groups[name] if isinstance(entry, dict)] == [extended]


def test_ansible_doc_renders_every_module():
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"))
    for module in MODULES:
        out = run(str(BIN / "ansible-doc"), "--json", f"dbfleet.aws.{module}", env=env).stdout
        doc = json.loads(out)[f"dbfleet.aws.{module}"]
        assert doc["doc"]["short_description"]
        assert doc["doc"]["options"]
        assert doc["examples"].strip()
        assert doc["return"]


def _import_name(path):
    """The name pytest's default import mode gives a test module: its basename, prefixed by
    the packages (directories with __init__.py) it is in."""
    parts = [path.stem]
    directory = path.parent
    while (directory / "__init__.py").exists():
        parts.insert(0, directory.name)
        directory = directory.parent
    return ".".join(parts)


def test_test_modules_have_unique_import_names():
    """Two test modules of one import name: pytest fails to collect the second."""
    names = {}
    for path in sorted((REPO / "tests").rglob("test_*.py")):
        names.setdefault(_import_name(path), []).append(path.relative_to(REPO).as_posix())
    assert {name: paths for name, paths in names.items() if len(paths) > 1} == {}
