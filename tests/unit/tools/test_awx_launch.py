"""tools/awx/launch.py: what the controller would hand ansible-runner for each job template
and schedule of awx/, and the launches it would refuse. No run here: tests/awx/ runs them."""

import pytest

from tools.awx import launch as awx

OBJECTS = awx.controller_objects()
TEMPLATES = awx.job_templates(OBJECTS)


def answers_for(name):
    """The confirmation a template's survey requires: its environment's name."""
    questions = TEMPLATES[name].get("survey_spec", {}).get("spec", [])
    return {"confirm": name.split()[-1]} if any(q["variable"] == "confirm" for q in questions) else {}


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_every_template_resolves_to_a_playbook_an_inventory_and_the_aws_keys(name):
    job = awx.job(name, answers_for(name), credential=awx.LOCAL_CREDENTIAL, objects=OBJECTS)
    assert (awx.REPO_ROOT / job.playbook).is_file()
    assert job.inventory.is_file() and job.inventory.parent.name == name.split()[-1]
    assert job.envvars == {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": ""}
    assert job.cmdline == []


def test_survey_defaults_fill_the_questions_left_out():
    job = awx.job("dbfleet restore staging", {"confirm": "staging"}, objects=OBJECTS)
    # restore_time and snapshot have no default and are not required: not passed at all.
    assert job.extravars == {"target": "rds", "mode": "pitr", "switch": "false", "confirm": "staging"}


@pytest.mark.parametrize("answers, message", [
    ({"target": "rds"}, "'confirm' value missing"),
    ({"target": "everything", "confirm": "prod"}, "Value everything for 'target' expected to be one of ['rds', 'redis', 'region']."),
    ({"targt": "rds", "confirm": "prod"}, "targt not a question of its survey (target, confirm); the controller does not pass them"),
    ({"confirm": "pr"}, "'confirm' value pr is too small (length is 2 must be at least 3)."),
    ({"confirm": 7}, "Value 7 for 'confirm' expected to be a string."),
])
def test_answers_the_controller_refuses(answers, message):
    with pytest.raises(awx.LaunchError) as refused:
        awx.job("dbfleet failover prod", answers, objects=OBJECTS)
    assert str(refused.value) == "dbfleet failover prod: " + message


@pytest.mark.parametrize("answers, message", [
    ({"maintenance_long_running_seconds": "60"}, "Value 60 for 'maintenance_long_running_seconds' expected to be an integer."),
    ({"maintenance_long_running_seconds": 0}, "'maintenance_long_running_seconds' value 0 is too small (must be at least 1)."),
    ({"maintenance_idle_in_transaction_seconds": 86401},
     "'maintenance_idle_in_transaction_seconds' value 86401 is too large (must be no more than 86400)."),
])
def test_integer_answers_the_controller_refuses(answers, message):
    with pytest.raises(awx.LaunchError) as refused:
        awx.job("dbfleet maintenance staging", dict(answers, confirm="staging"), objects=OBJECTS)
    assert str(refused.value) == "dbfleet maintenance staging: " + message


def test_maintenance_thresholds_left_empty_are_not_passed():
    """So that the inventory's maintenance_<threshold> holds, as extra vars would override it."""
    job = awx.job("dbfleet maintenance staging", {"confirm": "staging"}, objects=OBJECTS)
    assert job.extravars == {"apply": "false", "terminate_idle_in_transaction": "false", "terminate_idle": "false",
                             "confirm": "staging"}


def test_launch_prompts_only_where_the_template_asks_for_them():
    provision = awx.job("dbfleet provision dev", job_type="check", diff_mode=True, limit="dev-us-east-1",
                        objects=OBJECTS)
    assert provision.cmdline == ["--check", "--diff", "--limit", "dev-us-east-1"]
    with pytest.raises(awx.LaunchError, match="dbfleet snapshot dev does not ask for job_type, limit on launch"):
        awx.job("dbfleet snapshot dev", {"confirm": "dev"}, job_type="check", limit="x", objects=OBJECTS)


def test_schedules_launch_with_their_extra_data_and_prompts():
    drift = awx.scheduled_job("dbfleet weekly drift check prod", objects=OBJECTS)
    assert (drift.playbook, drift.cmdline, drift.extravars) == ("playbooks/provision.yml", ["--check", "--diff"], {})
    nightly = awx.scheduled_job("dbfleet nightly snapshot prod", objects=OBJECTS)
    assert nightly.extravars == {"target": "all", "purpose": "nightly", "confirm": "prod"}
    assert nightly.inventory == awx.REPO_ROOT / "examples/skillancer/prod/hosts.yml"


def test_unknown_names_list_what_exists():
    with pytest.raises(awx.LaunchError, match="job template 'dbfleet deploy prod' does not exist; there are: "):
        awx.job("dbfleet deploy prod", objects=OBJECTS)
