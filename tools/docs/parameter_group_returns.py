"""The RETURN documentation of the two parameter-group modules, written once.

plugins/modules/rds_parameter_group.py and elasticache_parameter_group.py return the same
shape (module_utils/parameter_group_module.py builds both); only names, samples and the
per-parameter reboot fields differ. `make docs` writes each module's RETURN block from
TEMPLATE and SERVICES; tests/packaging/test_docs_reference.py checks that they are current.

    python tools/docs/parameter_group_returns.py [--check]
"""

import argparse
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

TEMPLATE = '''parameter_group:
  description: The {kind} parameter group. Empty after O(state=absent).
  returned: always
  type: dict
  contains:
    name:
      description: Name of the group.
      type: str
      sample: {group_sample}
    family:
      description: The {kind} parameter group family.
      type: str
      sample: {family_sample}
    description:
      description: Description of the group.
      type: str
      sample: Production settings for the app {purpose}
    arn:
      description: ARN of the group; null when check mode would create it.
      type: str
      sample: {arn_sample}
    tags:
      description: Tags of the group.
      type: dict
      sample: {{"Environment": "prod"}}
changed_parameters:
  description:
    - Parameters that were (in check mode, would be) modified or reset.
    - For a parameter reset by O(purge=true), C(after) is the family default (null when the
      family has none).
  returned: when O(state=present)
  type: list
  elements: dict
  contains:
    name:
      description: Parameter name.
      type: str
      sample: {parameter_sample}
    before:
      description: Value before the change; null when the parameter had no value.
      type: str
      sample: {before_sample}
    after:
      description: Value after the change, in the form {service} stores it.
      type: str
      sample: {after_sample}
{reboot_fields}reboot_required:
  description: Whether a {reboot_kind} parameter changed, so {members} using the group need a reboot.
  returned: when O(state=present)
  type: bool
  sample: {reboot_sample}
pending_reboot_{members}:
  description:
    - Identifiers of the {member_kind} using the group whose parameter apply status is
      C(pending-reboot). In check mode, the {members} that would be.
  returned: when O(state=present)
  type: list
  elements: str
  sample: {members_sample}
problems:
  description: Every validation problem, one per entry, when validation fails.
  returned: failure
  type: list
  elements: str
  sample: ["{problem_sample}"]
'''

SERVICES = {
    "rds_parameter_group": {
        "kind": "DB", "service": "RDS", "purpose": "database",
        "group_sample": "app-postgres16-prod", "family_sample": "postgres16",
        "arn_sample": "arn:aws:rds:us-east-1:123456789012:pg:app-postgres16-prod",
        "parameter_sample": "max_connections", "before_sample": '"100"', "after_sample": '"200"',
        "reboot_fields": '''    apply_type:
      description: V(static) (needs a reboot) or V(dynamic).
      type: str
      sample: static
    apply_method:
      description: The C(ApplyMethod) sent, V(pending-reboot) or V(immediate).
      type: str
      sample: pending-reboot
''',
        "reboot_kind": "static", "reboot_sample": "true",
        "members": "instances", "member_kind": "DB instances", "members_sample": '["app-prod-db"]',
        "problem_sample": "parameters.max_connections: 0 is outside the allowed values 1-262143",
    },
    "elasticache_parameter_group": {
        "kind": "cache", "service": "ElastiCache", "purpose": "cache",
        "group_sample": "app-redis7-prod", "family_sample": "redis7",
        "arn_sample": "arn:aws:elasticache:us-east-1:123456789012:parametergroup:app-redis7-prod",
        "parameter_sample": "maxmemory-policy", "before_sample": "volatile-lru", "after_sample": "allkeys-lru",
        "reboot_fields": '''    change_type:
      description: The parameter's C(ChangeType), V(immediate) or V(requires-reboot).
      type: str
      sample: immediate
''',
        "reboot_kind": "requires-reboot", "reboot_sample": "false",
        "members": "clusters", "member_kind": "cache clusters",
        "members_sample": '["app-prod-cache-001", "app-prod-cache-002"]',
        "problem_sample": "parameters.timeout: 5 is outside the allowed values 0,20-",
    },
}

RETURN_BLOCK = re.compile(r'^RETURN = r"""\n.*?^"""$', re.MULTILINE | re.DOTALL)


def module_path(module):
    return REPO / "plugins" / "modules" / f"{module}.py"


def rendered(module):
    """The module's source with its RETURN block written from the template."""
    source = module_path(module).read_text(encoding="utf-8")
    block = 'RETURN = r"""\n%s"""' % TEMPLATE.format(**SERVICES[module])
    if not RETURN_BLOCK.search(source):
        raise ValueError(f"{module_path(module)} has no RETURN block")
    return RETURN_BLOCK.sub(lambda _match: block, source, count=1)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report modules that are not current")
    args = parser.parse_args(argv)
    stale = [module for module in SERVICES if rendered(module) != module_path(module).read_text(encoding="utf-8")]
    if args.check:
        for module in stale:
            print(f"{module_path(module)}: RETURN is not current (make docs)", file=sys.stderr)
        return 1 if stale else 0
    for module in stale:
        module_path(module).write_text(rendered(module), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
