"""docs/migrating.md names only variables that exist and links only to what exists."""
import re
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
GUIDE = REPO / "docs" / "migrating.md"
ROLE_PREFIXES = ("rds", "elasticache", "db_users", "alarms", "dr", "runbook", "dbfleet")
VARIABLE = re.compile(r"^(?:%s)_[a-z0-9_]+$" % "|".join(ROLE_PREFIXES))
# Code spans with a role prefix that are not variables.
NOT_VARIABLES = {
    "rds_iam": "the PostgreSQL role RDS IAM authentication grants",
    "rds_result": "fact the rds role records",
    "elasticache_result": "fact the elasticache role records",
}


def known_variables():
    """Keys of every role's defaults and argument specs, the fleet-wide dbfleet_* variables
    the playbooks and roles read, the variables a play or a block of playbooks/tasks/ lists in a
    `<name>_variables` var (maintenance.yml's thresholds and the cost estimate's, read with the
    vars lookup), and the cost estimate's price table."""
    names = set()
    for role in (REPO / "roles").iterdir():
        defaults = role / "defaults" / "main.yml"
        if defaults.is_file():
            names.update(yaml.safe_load(defaults.read_text()) or {})
        specs = role / "meta" / "argument_specs.yml"
        if specs.is_file():
            for entry in (yaml.safe_load(specs.read_text()) or {}).get("argument_specs", {}).values():
                names.update((entry or {}).get("options") or {})
    sources = list((REPO / "playbooks").glob("*.yml")) + list((REPO / "roles").glob("*/*/*.yml"))
    for source in sources:
        names.update(re.findall(r"\bdbfleet_[a-z0-9_]+", source.read_text()))
    # Plays, and the blocks of playbooks/tasks/ (cost.yml's cost_variables).
    for playbook in list((REPO / "playbooks").glob("*.yml")) + list((REPO / "playbooks" / "tasks").glob("*.yml")):
        for play in yaml.safe_load(playbook.read_text()) or []:
            for key, value in (play.get("vars") or {}).items():
                if key.endswith("_variables") and isinstance(value, list):
                    names.update(value)
    names.add("cost_price_table")
    return names


def code_spans(text):
    return re.findall(r"`([^`\n]+)`", text)


def yaml_examples(text):
    return [yaml.safe_load(block) for block in re.findall(r"^```yaml\n(.*?)^```", text, flags=re.M | re.S)]


def test_every_variable_in_the_guide_exists():
    known = known_variables()
    named = {span for span in code_spans(GUIDE.read_text()) if VARIABLE.match(span)}
    assert len(named) > 100, "the guide should map the variables of every role"
    unknown = sorted(named - known - set(NOT_VARIABLES))
    assert not unknown, f"variables in docs/migrating.md that no role defines: {unknown}"


def test_every_variable_of_the_yaml_examples_exists():
    examples = yaml_examples(GUIDE.read_text())
    assert examples, "the guide has a group_vars example"
    keys = {key for example in examples for key in example}
    unknown = sorted(keys - known_variables())
    assert not unknown, f"group_vars keys in docs/migrating.md that no role defines: {unknown}"


def test_the_variable_check_catches_a_misspelling():
    known = known_variables()
    assert "rds_backup_retention_period" in known
    assert "rds_backup_retention" not in known


def slug(heading):
    return re.sub(r"\s", "-", re.sub(r"[^\w\s-]", "", heading.strip().lower()))


def test_links_of_the_guide_and_the_index_resolve():
    for page in (GUIDE, REPO / "docs" / "README.md"):
        text = page.read_text()
        anchors = {slug(h) for h in re.findall(r"^#+ (.+)$", text, flags=re.M)}
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if target.startswith(("http://", "https://")):
                continue
            path, _sep, anchor = target.partition("#")
            if path:
                assert (page.parent / path).exists(), f"{page.name}: broken link {target}"
            else:
                assert anchor in anchors, f"{page.name}: no heading for #{anchor}"
