"""docs/reference/ has a current page for every module and role (`make docs` regenerates it)."""
import filecmp
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
REFERENCE = REPO / "docs" / "reference"
GENERATOR = REPO / "tools" / "docs" / "generate_reference.py"
PYTHON = REPO / ".venv" / "bin" / "python"
MODULES = sorted(p.stem for p in (REPO / "plugins" / "modules").glob("*.py") if p.stem != "__init__")
ROLES = sorted(p.name for p in (REPO / "roles").iterdir() if (p / "tasks").is_dir())


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory):
    dest = tmp_path_factory.mktemp("reference")
    result = subprocess.run([str(PYTHON), str(GENERATOR), "--dest", str(dest)],
                            cwd=REPO, capture_output=True, text=True, check=False)
    return dest, result


def pages(root):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*.md"))


def test_every_module_and_role_renders(regenerated):
    dest, result = regenerated
    assert result.returncode == 0, result.stderr
    expected = [f"modules/{m}.md" for m in MODULES] + [f"roles/{r}.md" for r in ROLES]
    assert sorted(expected + ["README.md"]) == pages(dest)


def test_committed_reference_is_current(regenerated):
    """Every page that renders equals the committed one; committed pages without a fresh
    counterpart belong to a module or role that is failing to render (reported above)."""
    dest, result = regenerated
    missing = sorted(set(pages(dest)) - set(pages(REFERENCE)))
    assert not missing, f"run `make docs`; missing: {missing}"
    stale = [rel for rel in pages(dest)
             if not filecmp.cmp(dest / rel, REFERENCE / rel, shallow=False)]
    assert not stale, f"run `make docs`; stale: {stale}"
    extra = sorted(set(pages(REFERENCE)) - set(pages(dest)))
    unexplained = [rel for rel in extra
                   if f"dbfleet.aws.{Path(rel).stem} " not in result.stderr]
    assert not unexplained, f"pages of modules or roles that no longer exist: {unexplained}"


def test_pages_carry_the_documented_content(regenerated):
    dest = regenerated[0]
    page = (dest / "modules" / "rds_parameter_group.md").read_text()
    # options, examples and return values all come from the module itself
    assert "| `family` | str |" in page
    assert "## Examples" in page and "dbfleet.aws.rds_parameter_group:" in page
    assert "| `reboot_required` |" in page
    role = (dest / "roles" / "rds.md").read_text()
    # role defaults come from defaults/main.yml, descriptions from the argument specs
    assert "| `rds_instance_class` | str |  | <code>db.t3.micro</code> |" in role
    index = (dest / "README.md").read_text()
    for rel in pages(dest):
        assert rel == "README.md" or f"]({rel})" in index


def test_broken_documentation_is_reported_and_keeps_the_last_page(tmp_path):
    """A module whose DOCUMENTATION does not parse fails the run, names the module and
    keeps its previous page."""
    sys.path.insert(0, str(GENERATOR.parent))
    try:
        import generate_reference  # pylint: disable=import-outside-toplevel
    finally:
        sys.path.remove(str(GENERATOR.parent))
    dump = {"module": {"dbfleet.aws.broken": {"error": "could not parse"}}, "role": {}}
    pages_out, errors = generate_reference.render(dump)
    assert errors == {"dbfleet.aws.broken": ("module", "could not parse")}
    (tmp_path / "modules").mkdir()
    (tmp_path / "modules" / "broken.md").write_text("last good page")
    (tmp_path / "modules" / "removed.md").write_text("module no longer exists")
    generate_reference.write(pages_out, tmp_path, keep={"modules/broken.md"})
    assert (tmp_path / "modules" / "broken.md").read_text() == "last good page"
    assert not (tmp_path / "modules" / "removed.md").exists()


def test_parameter_group_modules_return_what_their_one_template_says():
    """Both parameter-group modules document their common return shape from one template
    (tools/docs/parameter_group_returns.py); `make docs` rewrites them."""
    result = subprocess.run([str(PYTHON), str(REPO / "tools" / "docs" / "parameter_group_returns.py"), "--check"],
                            cwd=REPO, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
