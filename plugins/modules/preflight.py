#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the dbfleet.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: preflight
short_description: Check the variables of the collection's roles before any AWS call
version_added: 0.1.0
description:
  - Runs on the controller (an action plugin; this file holds its documentation).
  - For each role named in O(roles), takes the role's variables, the options of its
    C(meta/argument_specs.yml) main entry point, from the play's variables over the role's
    defaults, and templates them.
  - The argument spec converts and checks their types; then the role's rules in
    C(plugins/module_utils/inputs/<role>.py) check ranges, formats and combinations. The
    modules the roles call apply the same rules to their own options. Until all of that holds,
    no AWS call is made.
  - Then read-only calls check the variables against what AWS offers in the region
    (M(dbfleet.aws.engine_options_info)) and against what runs, with the same rules, from
    C(plugins/module_utils/inputs/<role>.py); the instance classes and node types exist for the
    engine version, every parameter name and value is valid for the family, and the engine
    version is not lower than the one the DB instance or the replication group runs. One
    module run per role, the instance classes looked up by name.
  - "Fails once, listing every problem of every role, each as V(<variable>: <rule>)."
  - A role whose C(<role>_enabled) is false is left out. Each role that passed every check,
    O(offerings) included, is added to the fact C(dbfleet_preflight_passed); the role's own
    first task then skips the check.
  - The AWS connection options are the task's, usually set by C(module_defaults) for
    C(group/dbfleet.aws.aws).
author:
  - dbfleet maintainers (@dbfleet)
options:
  roles:
    description: The roles whose variables are checked.
    type: list
    elements: str
    choices: [rds, elasticache, db_users, alarms, dr]
    default: [rds, elasticache, db_users, alarms, dr]
  offerings:
    description:
      - Also check the variables against what AWS offers and what runs, with read-only calls.
      - The roles' C(validate) entry points, which the runbooks use, set it to V(false); a
        runbook works on what exists, and a class AWS no longer sells must not stop a failover.
    type: bool
    default: true
  placeholders:
    description:
      - Accept the inventories' placeholder ids (C(subnet-0123456789abcdef0), ...) where real
        ids belong. For a plan that makes no AWS call, such as the cost estimate of
        C(playbooks/cost.yml), which prices an environment before its network exists.
      - The roles' C(validate) entry points set it to the value of C(dbfleet_plan_only).
    type: bool
    default: false
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
attributes:
  check_mode:
    support: full
    description: Checks only, the same in check mode.
  diff_mode:
    support: none
    description: Nothing to show.
  platform:
    support: full
    platforms: all
    description: Runs on the controller.
"""

EXAMPLES = r"""
- name: Check the variables of every role
  dbfleet.aws.preflight:
    roles: [rds, elasticache, db_users, alarms, dr]
"""

RETURN = r"""
problems:
  description: "Every problem found, each as V(<variable>: <rule>)."
  returned: failure
  type: list
  elements: str
  sample:
    - "rds_backup_retention_period: must be between 0 and 35 days (got 40)"
    - "rds_instance_class: db.r6g.larg is not offered for postgres 15.10 in this region; did you mean db.r6g.large?"
ansible_facts:
  description: The roles that passed.
  returned: success
  type: dict
  contains:
    dbfleet_preflight_passed:
      description: Names of the roles whose variables passed, with those of earlier checks.
      type: list
      elements: str
      sample: [rds, elasticache]
"""
