"""The IAM policies in docs/iam/ against the calls the collection really makes.

Every playbook the tests run goes through `run_playbook`, which writes the calls the run made
to .build/iam/runs/ (a file per pytest process). This module runs after tests/integration,
in a pytest run of its own (`make test` and `make integration` empty that directory, run the
integration tests, then this), and checks, per policy:

- every action a playbook of that policy called is granted, or listed in docs/iam/README.md
  as needing no grant or as a local fixture;
- every granted action was called, or the README says why it is granted all the same;
- against AWS's own list of actions (policy_sentry's copy of the Service Authorization
  Reference): every action exists, the report policy only reads, and no action that can be
  limited to named resources is granted on `*` unless the README says why.

What it saw is written to .build/iam/observed.json ({policy: {action: [playbooks]}}), the
starting point when a policy has to change.
"""

import json
import re
from fnmatch import fnmatch

import pytest
from policy_sentry.querying.actions import get_action_data

from conftest import REPO_ROOT, recorded_playbook_runs

IAM_DIR = REPO_ROOT / "docs" / "iam"
OBSERVED = REPO_ROOT / ".build" / "iam" / "observed.json"
POLICIES = ("provision", "runbooks", "report")

# Which policy a playbook run needs, first match wins; None: not the collection at work.
PLAYBOOK_POLICY = (
    ("playbooks/provision.yml", "provision"),
    ("playbooks/failover.yml", "runbooks"),
    ("playbooks/restore.yml", "runbooks"),
    ("playbooks/snapshot.yml", "runbooks"),
    ("playbooks/rotate_credentials.yml", "runbooks"),
    ("playbooks/maintenance.yml", "runbooks"),
    ("playbooks/migrate.yml", "runbooks"),
    ("playbooks/report.yml", "report"),
    # No AWS call; were one added, the read-only report policy would have to allow it.
    ("playbooks/cost.yml", "report"),
    ("playbooks/awx_configure.yml", None),
    # One-module playbooks of the integration tests: the modules provision.yml's roles use
    # (snapshot lifecycles and backup info through the dr role).
    ("tests/integration/playbooks/*.yml", "provision"),
    # test_bad_input.py's play of one task per module case (no write may reach AWS).
    ("*/bad-input*/modules/play.yml", "provision"),
    # boto3 and amazon.aws against the endpoint itself, not the collection.
    ("tests/local_aws/playbooks/*.yml", None),
)
# SigV4 signing names that differ from IAM's service prefixes.
IAM_PREFIX = {"monitoring": "cloudwatch", "tagging": "tag"}
# README table rows: | `service:Action` | policies (comma-separated) or `all` | reason |
README_ROW = re.compile(r"^\|\s*`(?P<action>[a-z0-9-]+:[A-Za-z0-9]+)`\s*\|\s*(?P<where>[^|]+?)\s*\|")
NEEDS_NO_GRANT = "Needs no grant"
NOT_EXERCISED = "Granted but not exercised locally"
ON_EVERY_RESOURCE = "Granted on every resource"
READ_ONLY_ACCESS = ("List", "Read")
# Placeholders of an ARN format that never hold a colon.
ARN_FIXED_PARTS = ("${Partition}", "${Region}", "${Account}")


def policy_of(playbook):
    relative = playbook.split(f"{REPO_ROOT.as_posix()}/", 1)[-1]
    for pattern, policy in PLAYBOOK_POLICY:
        if fnmatch(relative, pattern):
            return policy
    raise KeyError(relative)


def iam_action(call):
    return f"{IAM_PREFIX.get(call['service'], call['service'])}:{call['action']}"


def policy_document(policy):
    return json.loads((IAM_DIR / f"{policy}.json").read_text())


def listed(statement, key):
    """A statement's Action or Resource as a list (IAM allows a single string)."""
    value = statement[key]
    return [value] if isinstance(value, str) else value


def granted(policy):
    return {action for statement in policy_document(policy)["Statement"]
            for action in listed(statement, "Action")}


def iam_reference(action):
    """AWS's rows for `service:Action`: one per resource type, [] when there is no such action."""
    service, name = action.split(":")
    return (get_action_data(service, name) or {}).get(service, [])


def access_level(action):
    return iam_reference(action)[0]["access_level"]


def arn_formats(action):
    """Resource ARN formats an action can be limited to; empty when only `*` is possible."""
    return [row["resource_arn_format"] for row in iam_reference(action)
            if row["resource_arn_format"] != "*"]


def arn_matches(resource, arn_format):
    """Whether a policy Resource (wildcards allowed) names resources of this ARN format."""
    pattern = ""
    for part in re.split(r"(\$\{[^}]+\})", arn_format):
        if part in ARN_FIXED_PARTS:
            pattern += "[^:]*"
        elif part.startswith("${"):
            pattern += ".+"
        else:
            pattern += re.escape(part)
    return re.fullmatch(pattern, resource.replace("*", "x")) is not None


def readme_sections():
    """{section title: {action: {policy, ...}}} from docs/iam/README.md's tables."""
    sections, title = {}, None
    for line in (IAM_DIR / "README.md").read_text().splitlines():
        if line.startswith("## "):
            title = line[3:].strip()
            sections[title] = {}
        elif title and (row := README_ROW.match(line)):
            policies = {where.strip("` ") for where in row["where"].split(",")}
            sections[title].setdefault(row["action"], set()).update(policies)
    return sections


def explained(section, policy):
    """Actions a README section lists for `policy` (or for every policy: `all`)."""
    return {action for action, policies in readme_sections().get(section, {}).items()
            if policy in policies or "all" in policies}


def excused(policy):
    """Actions `policy` may leave out although the tests call them."""
    return explained(NEEDS_NO_GRANT, policy)


@pytest.fixture(scope="module")
def used():
    """{policy: {iam action}} over the playbook runs the integration tests recorded."""
    runs = recorded_playbook_runs()
    if not runs:
        pytest.fail("no playbook run is recorded in .build/iam/runs: run tests/policy after "
                    "tests/integration (make test does)")
    unmapped = set()
    seen = {policy: {} for policy in POLICIES}
    for run in runs:
        try:
            policy = policy_of(run["playbook"])
        except KeyError:
            unmapped.add(run["playbook"])
            continue
        if policy:
            for call in run["calls"]:
                seen[policy].setdefault(iam_action(call), set()).add(run["playbook"])
    OBSERVED.parent.mkdir(parents=True, exist_ok=True)
    OBSERVED.write_text(json.dumps(
        {policy: {action: sorted(playbooks) for action, playbooks in sorted(actions.items())}
         for policy, actions in seen.items()}, indent=2) + "\n")
    assert not unmapped, f"map these playbooks to a policy in PLAYBOOK_POLICY: {sorted(unmapped)}"
    return {policy: set(actions) for policy, actions in seen.items()}


@pytest.mark.parametrize("policy", POLICIES)
def test_policy_is_a_least_privilege_document(policy):
    document = policy_document(policy)
    assert document["Version"] == "2012-10-17"
    sids = [statement["Sid"] for statement in document["Statement"]]
    assert len(sids) == len(set(sids)), f"docs/iam/{policy}.json: duplicate Sid"
    for statement in document["Statement"]:
        assert statement["Effect"] == "Allow" and statement["Resource"], statement["Sid"]
        wildcards = [action for action in listed(statement, "Action") if "*" in action]
        assert not wildcards, f"docs/iam/{policy}.json {statement['Sid']}: name each action: {wildcards}"


@pytest.mark.parametrize("policy", POLICIES)
def test_every_action_exists_in_aws(policy):
    unknown = {action for action in granted(policy) | set().union(*readme_sections().values())
               if not iam_reference(action)}
    assert not unknown, f"docs/iam: not AWS actions (spelling?): {sorted(unknown)}"


def test_report_policy_only_reads():
    writes = {action for action in granted("report") if access_level(action) not in READ_ONLY_ACCESS}
    assert not writes, f"docs/iam/report.json must stay read-only, it grants {sorted(writes)}"


@pytest.mark.parametrize("policy", POLICIES)
def test_changes_are_limited_to_named_resources(policy):
    """A write granted on `*` that AWS lets us limit needs a reason; named resources must fit."""
    unexplained = set()
    for statement in policy_document(policy)["Statement"]:
        resources = listed(statement, "Resource")
        actions = listed(statement, "Action")
        for action in actions:
            formats = arn_formats(action)
            if "*" in resources:
                if formats and access_level(action) not in READ_ONLY_ACCESS:
                    unexplained.add(action)
                continue
            assert any(arn_matches(resource, arn_format) for resource in resources for arn_format in formats), (
                f"docs/iam/{policy}.json {statement['Sid']}: {action} acts on none of {resources}")
        for resource in resources:
            assert resource == "*" or any(arn_matches(resource, arn_format) for action in actions
                                          for arn_format in arn_formats(action)), (
                f"docs/iam/{policy}.json {statement['Sid']}: no action of the statement acts on {resource}")
    unexplained -= explained(ON_EVERY_RESOURCE, policy)
    assert not unexplained, (f"docs/iam/{policy}.json grants {sorted(unexplained)} on every resource: "
                             "limit them to the collection's resources or give the reason in docs/iam/README.md")


def test_readme_explains_only_what_it_should():
    """A README row is not a blanket pass: no action is both granted and excused from a grant."""
    sections = readme_sections()
    for title in (NEEDS_NO_GRANT, NOT_EXERCISED, ON_EVERY_RESOURCE):
        assert title in sections, f"docs/iam/README.md has no '## {title}' section"
    for section in sections.values():
        unknown = set().union(*section.values()) - set(POLICIES) - {"all"}
        assert not unknown, f"docs/iam/README.md names no such policy: {sorted(unknown)}"
    for policy in POLICIES:
        both = excused(policy) & granted(policy)
        assert not both, f"docs/iam/{policy}.json grants actions the README says it need not: {sorted(both)}"
        stale = (explained(NOT_EXERCISED, policy) | explained(ON_EVERY_RESOURCE, policy)) - granted(policy)
        assert not stale, f"docs/iam/README.md explains {sorted(stale)} for {policy}, which does not grant them"


@pytest.mark.parametrize("policy", POLICIES)
def test_every_action_the_collection_calls_is_granted(used, policy):
    missing = used[policy] - granted(policy) - excused(policy)
    assert not missing, f"docs/iam/{policy}.json lacks {sorted(missing)} (see {OBSERVED})"


@pytest.mark.parametrize("policy", POLICIES)
def test_every_granted_action_is_used_or_explained(used, policy):
    unexplained = granted(policy) - used[policy] - explained(NOT_EXERCISED, policy)
    assert not unexplained, (f"docs/iam/{policy}.json grants {sorted(unexplained)}, never called in "
                             "the tests: remove them or give the reason in docs/iam/README.md")
