"""examples/: every fleet is a set of inventories whose variables exist, with a README
that names only variables that exist and links only to what exists; `make demo` lists the
fleets when asked for one that is not there."""
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from test_docs_links import NOT_VARIABLES, VARIABLE, code_spans, known_variables, slug

REPO = Path(__file__).resolve().parents[2]
FLEETS = sorted(path for path in (REPO / "examples").iterdir() if path.is_dir())
ENVIRONMENTS = sorted(path for fleet in FLEETS for path in fleet.iterdir() if (path / "hosts.yml").is_file())


def test_every_fleet_has_a_readme_and_environments():
    assert FLEETS
    for fleet in FLEETS:
        assert (fleet / "README.md").is_file(), f"{fleet.name}: no README.md"
        assert [env for env in ENVIRONMENTS if env.parent == fleet], f"{fleet.name}: no environment"


@pytest.mark.parametrize("environment", ENVIRONMENTS, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_every_group_variable_is_a_variable_of_the_collection(environment):
    """A misspelt variable in group_vars would be silently ignored by Ansible."""
    known = known_variables()
    unknown = []
    for part in sorted((environment / "group_vars").glob("*/*.yml")):
        for key in yaml.safe_load(part.read_text()) or {}:
            if not key.startswith("ansible_") and key not in known:
                unknown.append(f"{part.relative_to(REPO)}: {key}")
    assert not unknown, f"variables no role or playbook reads: {unknown}"
    hosts = yaml.safe_load((environment / "hosts.yml").read_text())
    assert environment.name in hosts["all"]["children"], "the top group is named after the environment"


def guardrail_rules():
    return {rule["rule"] for path in REPO.glob("examples/*/*/group_vars/*/guardrails.yml")
            for rule in (yaml.safe_load(path.read_text()) or {}).get("dbfleet_guardrails", [])}


@pytest.mark.parametrize("fleet", FLEETS, ids=lambda path: path.name)
def test_the_readme_names_existing_variables_and_links(fleet):
    readme = fleet / "README.md"
    text = readme.read_text()
    # `name` or `name: value`; guardrail rules (`rds_final_snapshot`) share the prefixes.
    named = {span.split(":")[0].strip() for span in code_spans(text)} & set(filter(VARIABLE.match, re.findall(
        r"[a-z0-9_]+", text)))
    unknown = sorted(named - known_variables() - set(NOT_VARIABLES) - guardrail_rules())
    assert not unknown, f"{readme.relative_to(REPO)} names variables no role defines: {unknown}"
    anchors = {slug(h) for h in re.findall(r"^#+ (.+)$", text, flags=re.M)}
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        path, _sep, anchor = target.partition("#")
        if path:
            assert (readme.parent / path).exists(), f"{readme.name}: broken link {target}"
        else:
            assert anchor in anchors, f"{readme.name}: no heading for #{anchor}"


def test_make_demo_refuses_an_unknown_fleet_and_lists_the_fleets():
    result = subprocess.run(["make", "--no-print-directory", "demo-inventory", "FLEET=nowhere", "ENV=prod"],
                            cwd=REPO, capture_output=True, text=True, check=False)
    assert result.returncode != 0
    assert "no inventory examples/nowhere/prod/hosts.yml" in result.stdout
    assert all(fleet.name in result.stdout for fleet in FLEETS)
