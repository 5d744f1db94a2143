"""awx/ (controller objects as code) and playbooks/awx_configure.yml, without a controller.

Every object the playbook sends is validated against the argument spec of the awx.awx
module that receives it (taken from the bundled module itself) and every survey against
AWX's survey rules; every reference (playbook, inventory, credential, project, execution
environment, notification, schedule target) must resolve.
"""
import importlib
import re
import subprocess
from datetime import datetime, timezone
from pathlib import Path
from unittest import mock

import pytest
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from tools.awx import schedules
from tools.awx.launch import controller_objects, load_yaml

REPO = Path(__file__).resolve().parents[2]
PLAYBOOK = REPO / "playbooks" / "awx_configure.yml"
ENVIRONMENTS = ("dev", "staging", "prod")
# AWX's survey question types and the Python type of their defaults.
SURVEY_TYPES = {"text": str, "textarea": str, "password": str, "multiplechoice": str,
                "multiselect": str, "integer": int, "float": (int, float)}
SURVEY_KEYS = {"question_name", "question_description", "variable", "type", "required",
               "default", "choices", "min", "max", "new_question"}


PLAY = load_yaml(PLAYBOOK)[0]
DATA = controller_objects()


class _Captured(Exception):
    pass


def _capture(**kwargs):
    raise _Captured(kwargs)


def module_spec(module):
    """The keyword arguments awx.awx.<module> gives ControllerAPIModule (argument_spec, ...)."""
    code = importlib.import_module(f"ansible_collections.awx.awx.plugins.modules.{module}")
    with mock.patch.object(code, "ControllerAPIModule", _capture):
        with pytest.raises(_Captured) as captured:
            code.main()
    return captured.value.args[0]


def objects_of(task):
    """(module, [parameter dicts]) that a task of awx_configure.yml sends."""
    module = next(key for key in task if key.startswith("awx.awx."))
    if "loop" not in task:
        return module, [task[module]]
    items = DATA[re.fullmatch(r"\{\{ (\w+) \}\}", task["loop"]).group(1)]
    defaults = re.fullmatch(r"\{\{ (?:(\w+) \| combine\(item\)|item.*) \}\}", task["args"]).group(1)
    return module, [{**DATA.get(defaults, {}), **item} if defaults else dict(item) for item in items]


TASKS = [objects_of(task) for task in PLAY["tasks"]]


def objects(module):
    return [params for name, found in TASKS if name == f"awx.awx.{module}" for params in found]


def names(module):
    return {params["name"] for params in objects(module)}


@pytest.mark.parametrize("module, params", [(m, p) for m, found in TASKS for p in found],
                         ids=lambda value: value if isinstance(value, str) else value.get("name"))
def test_every_object_matches_the_module_argument_spec(module, params):
    spec = module_spec(module.split(".")[-1])
    validator = ArgumentSpecValidator(spec.pop("argument_spec"), **spec)
    result = validator.validate(params)
    assert result.error_messages == [], f"{module} {params['name']}"
    assert not result.unsupported_parameters


def test_the_playbook_configures_every_kind_of_object():
    assert [task[0] for task in TASKS] == [
        "awx.awx.organization", "awx.awx.credential_type", "awx.awx.credential",
        "awx.awx.execution_environment", "awx.awx.project", "awx.awx.inventory",
        "awx.awx.inventory_source", "awx.awx.notification_template", "awx.awx.job_template",
        "awx.awx.schedule"]
    credentials_task = next(t for t in PLAY["tasks"] if "awx.awx.credential" in t)
    assert credentials_task["no_log"] is True


def survey_problems(survey):
    """AWX's survey rules (api/views: survey spec validation), as messages."""
    problems = []
    if not isinstance(survey.get("name"), str) or not isinstance(survey.get("description"), str):
        problems.append("name and description must be strings")
    spec = survey.get("spec")
    if not isinstance(spec, list) or not spec:
        return problems + ["spec must be a non-empty list"]
    variables = [item.get("variable") for item in spec]
    if len(set(variables)) != len(variables):
        problems.append(f"variables repeat: {variables}")
    for item in spec:
        where = item.get("variable")
        problems += [f"{where}: unknown key {key}" for key in set(item) - SURVEY_KEYS]
        for key in ("question_name", "question_description", "variable"):
            if not isinstance(item.get(key), str) or not item[key]:
                problems.append(f"{where}: {key} is required")
        if item.get("type") not in SURVEY_TYPES:
            problems.append(f"{where}: type {item.get('type')} is not one of {sorted(SURVEY_TYPES)}")
            continue
        if not isinstance(item.get("required"), bool):
            problems.append(f"{where}: required must be true or false")
        default = item.get("default")
        if default not in (None, "") and not isinstance(default, SURVEY_TYPES[item["type"]]):
            problems.append(f"{where}: default {default!r} does not fit type {item['type']}")
        if item["type"] in ("multiplechoice", "multiselect"):
            choices = item.get("choices")
            if isinstance(choices, str):
                choices = choices.split("\n")
            if not isinstance(choices, list) or not choices or not all(isinstance(c, str) for c in choices):
                problems.append(f"{where}: choices must be a non-empty list of strings")
            elif default not in (None, ""):
                picked = default.split("\n") if item["type"] == "multiselect" else [default]
                problems += [f"{where}: default {p!r} is not a choice" for p in picked if p not in choices]
        bounds = [item.get(key) for key in ("min", "max") if item.get(key) not in (None, "")]
        if not all(isinstance(b, int) and not isinstance(b, bool) for b in bounds):
            problems.append(f"{where}: min and max must be integers")
        elif len(bounds) == 2 and bounds[0] > bounds[1]:
            problems.append(f"{where}: min is above max")
    return problems


def test_surveys_follow_the_awx_survey_schema():
    templates = [t for t in objects("job_template") if t.get("survey_enabled")]
    assert len(templates) == 6 * len(ENVIRONMENTS)
    for template in templates:
        assert survey_problems(template["survey_spec"]) == [], template["name"]
    # The checker itself rejects what AWX rejects.
    bad = {"name": "x", "description": "", "spec": [
        {"question_name": "q", "question_description": "d", "variable": "v", "type": "radio", "required": True},
        {"question_name": "q", "question_description": "d", "variable": "w", "type": "multiplechoice",
         "required": True, "choices": ["a"], "default": "b"},
        {"question_name": "q", "question_description": "d", "variable": "w", "type": "integer",
         "required": "yes", "default": "3", "min": 5, "max": 1}]}
    assert survey_problems(bad) == [
        "variables repeat: ['v', 'w', 'w']",
        "v: type radio is not one of ['float', 'integer', 'multiplechoice', 'multiselect', 'password', "
        "'text', 'textarea']",
        "w: default 'b' is not a choice",
        "w: required must be true or false",
        "w: default '3' does not fit type integer",
        "w: min is above max"]


def test_runbook_surveys_ask_for_the_environment_as_confirmation():
    """Every survey but the read-only report's."""
    for template in objects("job_template"):
        if template.get("survey_enabled") and template["playbook"] != "playbooks/report.yml":
            confirm = [q for q in template["survey_spec"]["spec"] if q["variable"] == "confirm"]
            assert confirm and confirm[0]["required"] is True, template["name"]


def test_every_playbook_has_a_template_per_environment():
    by_playbook = {}
    for template in objects("job_template"):
        env = template["inventory"].split()[-1]
        assert template["credentials"] == [f"dbfleet AWS {env}"], template["name"]
        by_playbook.setdefault(template["playbook"], set()).add(env)
    assert by_playbook == {f"playbooks/{name}.yml": set(ENVIRONMENTS) for name in (
        "provision", "failover", "restore", "snapshot", "rotate_credentials", "maintenance", "report")}


def test_every_reference_resolves():
    assert len(names("job_template")) == len(objects("job_template"))
    for template in objects("job_template"):
        assert (REPO / template["playbook"]).is_file(), template["playbook"]
        assert template["inventory"] in names("inventory")
        assert template["project"] in names("project")
        assert template["execution_environment"] in names("execution_environment")
        assert set(template["credentials"]) <= names("credential")
        assert set(template["notification_templates_error"]) <= names("notification_template")
    for source in objects("inventory_source"):
        assert source["inventory"] in names("inventory") and source["source_project"] in names("project")
        assert (REPO / source["source_path"]).is_file()
        assert (REPO / source["source_path"]).parent.name in ENVIRONMENTS
    assert {s["inventory"] for s in objects("inventory_source")} == names("inventory")
    for credential in objects("credential"):
        assert credential["credential_type"] in names("credential_type")
    for project in objects("project"):
        assert project["default_environment"] in names("execution_environment")


def test_the_credential_type_injects_its_fields():
    [credential_type] = objects("credential_type")
    fields = {field["id"] for field in credential_type["inputs"]["fields"]}
    injected = set(re.findall(r"\{\{ (\w+) \}\}", " ".join(credential_type["injectors"]["env"].values())))
    assert injected == fields == {"access_key_id", "secret_access_key", "session_token"}
    assert set(credential_type["inputs"]["required"]) <= fields


def test_schedules_target_templates_that_accept_their_prompts():
    templates = {t["name"]: t for t in objects("job_template")}
    kinds = set()
    for schedule in objects("schedule"):
        template = templates[schedule["unified_job_template"]]
        rule = schedules.parse(schedule["rrule"])
        assert rule[0].tzinfo is not None, schedule["name"]
        survey = {q["variable"] for q in template.get("survey_spec", {}).get("spec", [])}
        assert set(schedule.get("extra_data", {})) <= survey, schedule["name"]
        if "confirm" in survey:
            assert schedule["extra_data"]["confirm"] == template["inventory"].split()[-1]
        if "job_type" in schedule:
            assert template.get("ask_job_type_on_launch"), schedule["name"]
        if "diff_mode" in schedule:
            assert template.get("ask_diff_mode_on_launch"), schedule["name"]
        kinds.add((template["playbook"], schedule.get("job_type", "run"), rule._freq))
    # Nightly snapshots and a weekly drift check in check mode.
    assert ("playbooks/snapshot.yml", "run", 3) in kinds       # rrule DAILY
    assert ("playbooks/provision.yml", "check", 2) in kinds    # rrule WEEKLY


def test_the_playbook_passes_syntax_check():
    subprocess.run([str(REPO / ".venv/bin/ansible-playbook"), "--syntax-check", str(PLAYBOOK)],
                   cwd=REPO, check=True, capture_output=True, text=True)


def test_survey_variables_are_read_by_their_playbooks():
    for template in objects("job_template"):
        text = (REPO / template["playbook"]).read_text()
        for question in template.get("survey_spec", {}).get("spec", []):
            assert re.search(rf"\b{question['variable']}\b", text), (template["name"], question["variable"])


def test_the_docs_table_of_next_runs_is_what_the_rrules_give():
    """docs/awx.md shows each schedule's next three runs after a stated time: computed again
    from the RRULEs (tools/awx/schedules.py), the table must be the same."""
    text = (REPO / "docs" / "awx.md").read_text()
    stated = re.search(r"^Runs after (\S+):\n\n((?:\|.*\n)+)", text, re.MULTILINE)
    after = datetime.strptime(stated[1], schedules.TIME_FORMAT).replace(tzinfo=timezone.utc)
    assert stated[2].strip() == schedules.table(after)
    daily = schedules.next_runs(DATA["dbfleet_awx_schedules"][0]["rrule"], after)
    assert [(b - a).total_seconds() for a, b in zip(daily, daily[1:])] == [86400, 86400]
