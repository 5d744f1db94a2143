"""The bad-input matrix: every case of bad_input.yml gives one clear error that starts with
the variable or option it names, and the run makes no mutating AWS call.

The cases of one playbook run together: one ansible-playbook run over a copy of
inventories/local whose targets are the cases (case-NN, each with its input as host
variables), so that each target fails on its own. The module cases share one run the same
way, one task per case, each on its own target. Results are read from the ansible.posix.json callback.
Nothing needs to be provisioned: the preflight and the runbooks' input checks run before
anything reads or changes an environment, and the modules check their options first.
"""

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

from conftest import REPO_ROOT, ansible_environment, run_playbook

CASES = yaml.safe_load((Path(__file__).resolve().parent / "bad_input.yml").read_text())
MODULE_PREFIX = "module:"
FIELD = r"[a-z_][\w.\[\]-]*"
# "rds_port: ...", "rds_iops, rds_storage_throughput: ...", "rule rds_multi_az: ..." or, from
# Ansible's own argument checks of a module, "value of engine must be one of: ...".
NAMES_ITS_FIELD = re.compile(r"^((rule )?%s(, %s)*:|value of %s must )" % (FIELD, FIELD, FIELD))


def case_id(index):
    return "case-%02d" % index


def target_of(case):
    return case[0]


class Batches:
    """Runs each target's cases once (on first use) and keeps, per case, the failures."""

    def __init__(self, local_aws, work):
        self.local_aws = local_aws
        self.work = work
        self.outcomes = {}

    def run(self, target):
        """(failure messages by case, mutating calls) of the target's one run; the module
        cases, whatever their module, share one run."""
        batch = "modules" if target.startswith(MODULE_PREFIX) else target
        if batch not in self.outcomes:
            self.outcomes[batch] = self.run_once(batch)
        return self.outcomes[batch]

    def run_once(self, batch):
        cases = dict((case_id(index), case) for index, case in enumerate(CASES)
                     if target_of(case) == batch or (batch == "modules" and target_of(case).startswith(MODULE_PREFIX)))
        directory = self.work / batch
        env = {**ansible_environment(self.local_aws), "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json"}
        if batch == "modules":
            playbook, inventory = self.module_play(directory, cases)
        else:
            playbook, inventory = REPO_ROOT / "playbooks" / ("%s.yml" % batch), self.inventory(directory, cases)
        since = self.local_aws.recorder.mark()
        result = run_playbook(playbook, inventory, env=env, expect_rc=None)
        mutating = self.local_aws.recorder.mutating(since)
        failures = dict((host, []) for host in cases)
        for play in json.loads(result.stdout)["plays"]:
            for task in play["tasks"]:
                for host, outcome in task["hosts"].items():
                    if outcome.get("failed") and host in failures:
                        failures[host].append(" ".join(str(outcome.get("msg", outcome)).split()))
        return failures, mutating

    @staticmethod
    def inventory(directory, cases):
        """inventories/local with the cases as its targets."""
        shutil.copytree(REPO_ROOT / "inventories/local", directory)
        hosts = dict((host, dict(case[1], dbfleet_region="us-east-1", runbook_report_dir=str(directory / "reports")))
                     for host, case in cases.items())
        (directory / "hosts.yml").write_text(yaml.safe_dump({"all": {"children": {"local": {"hosts": hosts}}}}))
        return directory

    def module_play(self, directory, cases):
        """One play, one task per case, each run on its case's target only."""
        directory.mkdir(parents=True)
        tasks = [{"name": host, "dbfleet.aws.%s" % case[0][len(MODULE_PREFIX):]: case[1],
                  "when": "inventory_hostname == '%s'" % host} for host, case in cases.items()]
        play = {"name": "Bad input to the modules", "hosts": "all", "gather_facts": False,
                "strategy": "ansible.builtin.free",
                "vars": {"ansible_python_interpreter": "{{ ansible_playbook_python }}"},
                "module_defaults": {"group/dbfleet.aws.aws": {"region": "us-east-1", "endpoint_url": self.local_aws.url}},
                "tasks": tasks}
        playbook = directory / "play.yml"
        playbook.write_text(yaml.safe_dump([play], sort_keys=False))
        inventory = directory / "hosts.yml"
        inventory.write_text(yaml.safe_dump({"all": {"hosts": dict(
            (host, {"ansible_connection": "local"}) for host in cases)}}))
        return playbook, inventory


@pytest.fixture(scope="module")
def batches(local_aws, tmp_path_factory):
    return Batches(local_aws, tmp_path_factory.mktemp("bad-input"))


def test_the_matrix_covers_every_kind_of_input():
    targets = set(target_of(case) for case in CASES)
    assert len(CASES) >= 60
    assert {"provision", "failover", "restore", "snapshot", "rotate_credentials", "maintenance", "migrate", "cost"} <= targets
    assert len([target for target in targets if target.startswith(MODULE_PREFIX)]) >= 8
    # Each expected error starts with what it is about: variables, options or a guardrail rule.
    assert [case[2] for case in CASES if not NAMES_ITS_FIELD.match(case[2])] == []


@pytest.mark.parametrize("index", range(len(CASES)), ids=[
    "%s-%s" % (target_of(case).replace(MODULE_PREFIX, ""), "-".join(sorted(case[1]))[:60]) for case in CASES])
def test_one_clear_error_and_no_mutating_call(batches, index):
    target, _given, expected = CASES[index]
    failures, mutating = batches.run(target)
    messages = failures[case_id(index)]
    assert mutating == []
    assert len(messages) == 1, messages
    assert expected in messages[0]
