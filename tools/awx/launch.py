"""Launch a job template of awx/ as the controller would, with ansible-runner.

The controller turns a launch into an ansible-runner run: the template's playbook from the
project, its inventory from the inventory source's file in the project, the extra vars of
its survey (the answers given, the defaults of the questions left out), the environment
its credential type injects, and `--check` / `--diff` / `--limit` from the launch prompts
the template allows. This does the same from the files under awx/, so that a template can
be run on a laptop exactly as a job runs it (docs/awx.md), and tests/awx/ can launch every
template against the local endpoint.

    .venv/bin/python -m tools.awx.launch "dbfleet snapshot prod" \\
        --answer purpose=pre-deploy --answer confirm=prod --local

`--local` runs on the local endpoint: its keys in the credential, and the extra vars
`make demo FLEET=...` adds to an inventory written for AWS (tools/local_aws/example_overlay.yml).
Without it the credential's fields come from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
AWS_SESSION_TOKEN of the environment, as they would be stored in the controller.
"""

import argparse
import os
import shlex
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from tools.local_aws import REPO_ROOT
from tools.local_aws.client import DUMMY_CREDENTIALS, EXAMPLE_OVERLAY

AWX_CONFIGURE = REPO_ROOT / "playbooks" / "awx_configure.yml"
# The credential's fields and the variables the AWS SDK reads them from (a launch without
# --local takes them from the environment).
CREDENTIAL_FROM_ENVIRONMENT = {"access_key_id": "AWS_ACCESS_KEY_ID", "secret_access_key": "AWS_SECRET_ACCESS_KEY",
                               "session_token": "AWS_SESSION_TOKEN"}
# The local endpoint's keys, as the credential would hold them.
LOCAL_CREDENTIAL = {field_id: DUMMY_CREDENTIALS[variable] for field_id, variable in CREDENTIAL_FROM_ENVIRONMENT.items()
                    if variable in DUMMY_CREDENTIALS}


class LaunchError(ValueError):
    """A launch the controller would refuse, with the controller's reason."""


class _Loader(yaml.SafeLoader):
    """Reads !unsafe (strings the controller renders, not Ansible) as plain strings."""


_Loader.add_constructor("!unsafe", lambda loader, node: loader.construct_scalar(node))


def load_yaml(path):
    """A YAML file of awx/ or playbooks/, !unsafe strings read as they are."""
    return yaml.load(Path(path).read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506 - SafeLoader subclass


def controller_objects():
    """Every variable of the files playbooks/awx_configure.yml applies, merged."""
    objects = {}
    for vars_file in load_yaml(AWX_CONFIGURE)[0]["vars_files"]:
        objects.update(load_yaml(AWX_CONFIGURE.parent / vars_file))
    return objects


def job_templates(objects):
    """{name: template} with the shared defaults combined in, as awx_configure.yml sends them."""
    defaults = objects["dbfleet_awx_job_template_defaults"]
    return {entry["name"]: {**defaults, **entry} for entry in objects["dbfleet_awx_job_templates"]}


def _named(kind, items, name):
    if name not in items:
        raise LaunchError("%s %r does not exist; there are: %s" % (kind, name, ", ".join(sorted(items))))
    return items[name]


def survey_extra_vars(template, answers):
    """The extra vars the controller builds from survey answers, after AWX's checks
    (awx/main/models/mixins.py, SurveyJobTemplateMixin): every answer must be a question of
    the survey and fit its type, choices and length; a question left out takes its default,
    and a required one without default is refused."""
    questions = template.get("survey_spec", {}).get("spec", []) if template.get("survey_enabled") else []
    by_variable = {question["variable"]: question for question in questions}
    unknown = sorted(set(answers) - set(by_variable))
    if unknown:
        raise LaunchError("%s: %s not a question of its survey (%s); the controller does not pass them"
                          % (template["name"], ", ".join(unknown), ", ".join(by_variable) or "no survey"))
    extra_vars, problems = {}, []
    for variable, question in by_variable.items():
        if variable in answers:
            value = answers[variable]
        elif "default" in question and question["default"] not in ("", None):
            value = question["default"]
        elif question.get("required"):
            problems.append("'%s' value missing" % variable)
            continue
        else:
            continue
        problems += _answer_problems(question, value)
        extra_vars[variable] = value
    if problems:
        raise LaunchError("%s: %s" % (template["name"], "; ".join(problems)))
    return extra_vars


def _answer_problems(question, value):
    variable, kind = question["variable"], question["type"]
    if kind in ("text", "textarea", "password", "multiplechoice") and not isinstance(value, str):
        return ["Value %r for '%s' expected to be a string." % (value, variable)]
    if kind == "multiplechoice" and value not in question["choices"]:
        return ["Value %s for '%s' expected to be one of %s." % (value, variable, question["choices"])]
    if kind in ("text", "textarea", "password"):
        if "min" in question and len(value) < int(question["min"]):
            return ["'%s' value %s is too small (length is %d must be at least %s)."
                    % (variable, value, len(value), question["min"])]
        if "max" in question and len(value) > int(question["max"]):
            return ["'%s' value %s is too large (must be no more than %s)." % (variable, value, question["max"])]
    if kind in ("integer", "float"):
        wanted = int if kind == "integer" else (int, float)
        if isinstance(value, bool) or not isinstance(value, wanted):
            expected = "an integer" if kind == "integer" else "a numeric type"
            return ["Value %s for '%s' expected to be %s." % (value, variable, expected)]
        if "min" in question and value < question["min"]:
            return ["'%s' value %s is too small (must be at least %s)." % (variable, value, question["min"])]
        if "max" in question and value > question["max"]:
            return ["'%s' value %s is too large (must be no more than %s)." % (variable, value, question["max"])]
    return []


def prompt_arguments(template, job_type=None, diff_mode=None, limit=None):
    """ansible-playbook arguments of the launch prompts; a prompt the template does not ask
    for is refused (the controller would ignore it)."""
    asked = {"job_type": job_type, "diff_mode": diff_mode, "limit": limit}
    refused = [prompt for prompt, value in asked.items()
               if value is not None and not template.get("ask_%s_on_launch" % prompt)]
    if refused:
        raise LaunchError("%s does not ask for %s on launch" % (template["name"], ", ".join(refused)))
    arguments = []
    if (job_type or template.get("job_type", "run")) == "check":
        arguments.append("--check")
    if diff_mode if diff_mode is not None else template.get("diff_mode", False):
        arguments.append("--diff")
    if limit:
        arguments += ["--limit", limit]
    return arguments


def credential_environment(objects, template, inputs):
    """The environment each credential of the template injects, from its type's injectors:
    a field without input is rendered empty, as the controller does."""
    types = {entry["name"]: entry for entry in objects["dbfleet_awx_credential_types"]}
    credentials = {entry["name"]: entry for entry in objects["dbfleet_awx_credentials"]}
    environment = {}
    for name in template.get("credentials", []):
        credential_type = types[_named("credential", credentials, name)["credential_type"]]
        fields = [entry["id"] for entry in credential_type["inputs"]["fields"]]
        for variable, template_text in credential_type["injectors"].get("env", {}).items():
            rendered = template_text
            for field_id in fields:
                rendered = rendered.replace("{{ %s }}" % field_id, str(inputs.get(field_id, "")))
            environment[variable] = rendered
    return environment


def inventory_file(objects, template):
    """The project file the template's inventory is sourced from."""
    sources = [entry for entry in objects["dbfleet_awx_inventory_sources"] if entry["inventory"] == template["inventory"]]
    if len(sources) != 1:
        raise LaunchError("inventory %r has %d sources in the project, expected one" % (template["inventory"], len(sources)))
    return REPO_ROOT / sources[0]["source_path"]


@dataclass
class Launch:
    """What the controller hands ansible-runner for one job."""
    template: str
    playbook: str
    inventory: Path
    extravars: dict
    envvars: dict
    cmdline: list = field(default_factory=list)


def job(name, answers=None, job_type=None, diff_mode=None, limit=None, credential=None, objects=None):
    """The Launch of job template `name` with survey `answers` and launch prompts."""
    objects = objects or controller_objects()
    template = _named("job template", job_templates(objects), name)
    return Launch(template=name, playbook=template["playbook"], inventory=inventory_file(objects, template),
                  extravars={**template.get("extra_vars", {}), **survey_extra_vars(template, answers or {})},
                  envvars=credential_environment(objects, template, credential or {}),
                  cmdline=prompt_arguments(template, job_type, diff_mode, limit))


def scheduled_job(name, credential=None, objects=None):
    """The Launch a schedule makes: its template with the schedule's extra data and prompts."""
    objects = objects or controller_objects()
    schedule = _named("schedule", {entry["name"]: entry for entry in objects["dbfleet_awx_schedules"]}, name)
    return job(schedule["unified_job_template"], schedule.get("extra_data"), schedule.get("job_type"),
               schedule.get("diff_mode"), schedule.get("limit"), credential, objects)


def run(launch, private_data_dir, local=False, environment=None):
    """Run the Launch with ansible-runner; `local` adds the local endpoint's extra vars.
    The job's PWD is the private data dir, so the runbooks write their reports to its
    reports/ as a job writes them to its own directory. Returns the ansible_runner.Runner
    (rc, status, stats, events, stdout)."""
    import ansible_runner  # pylint: disable=import-outside-toplevel

    cmdline = list(launch.cmdline) + (["-e", "@%s" % EXAMPLE_OVERLAY] if local else [])
    environment = environment or dict(os.environ)
    # ansible-playbook of this Python's virtualenv, as the execution environment has its own.
    path = os.pathsep.join((str(Path(sys.executable).parent), environment.get("PATH", "")))
    return ansible_runner.run(
        private_data_dir=str(private_data_dir), project_dir=str(REPO_ROOT), playbook=launch.playbook,
        inventory=str(launch.inventory), extravars=launch.extravars,
        envvars={**environment, "PATH": path, "PWD": str(private_data_dir), **launch.envvars},
        cmdline=shlex.join(cmdline), quiet=True, suppress_env_files=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("template", nargs="?", help="job template name (see --list)")
    parser.add_argument("--answer", "-a", action="append", default=[], metavar="VARIABLE=VALUE",
                        help="a survey answer; questions left out take their default")
    parser.add_argument("--schedule", help="launch as this schedule does (its extra data and prompts)")
    parser.add_argument("--job-type", choices=["run", "check"])
    parser.add_argument("--diff", action="store_true", default=None)
    parser.add_argument("--limit")
    parser.add_argument("--local", action="store_true", help="run on the local endpoint (make up)")
    parser.add_argument("--private-data-dir", help="ansible-runner's directory (artifacts); default a new temporary one")
    parser.add_argument("--list", action="store_true", help="list the job templates and schedules")
    args = parser.parse_args(argv)
    objects = controller_objects()
    if args.list or not (args.template or args.schedule):
        print("\n".join(sorted(job_templates(objects))))
        print("\n".join("schedule: %s" % entry["name"] for entry in objects["dbfleet_awx_schedules"]))
        return 0
    credential = LOCAL_CREDENTIAL if args.local else {
        field_id: os.environ[variable] for field_id, variable in CREDENTIAL_FROM_ENVIRONMENT.items() if variable in os.environ}
    try:
        if args.schedule:
            launch = scheduled_job(args.schedule, credential, objects)
        else:
            if any("=" not in answer for answer in args.answer):
                parser.error("--answer takes VARIABLE=VALUE")
            answers = dict(answer.split("=", 1) for answer in args.answer)
            launch = job(args.template, answers, args.job_type, args.diff, args.limit, credential, objects)
    except LaunchError as error:
        parser.exit(2, "launch refused: %s\n" % error)
    private_data_dir = args.private_data_dir or tempfile.mkdtemp(prefix="dbfleet-job-")
    runner = run(launch, private_data_dir, local=args.local)
    sys.stdout.write(runner.stdout.read())
    print("\n%s: %s (rc %s), artifacts in %s" % (launch.template, runner.status, runner.rc, private_data_dir))
    return runner.rc


if __name__ == "__main__":
    sys.exit(main())
