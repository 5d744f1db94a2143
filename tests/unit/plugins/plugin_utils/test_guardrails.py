"""The guardrail evaluator: policies, waivers and the reports they produce."""

from pathlib import Path

import pytest
import yaml

from ansible_collections.dbfleet.aws.plugins.plugin_utils.guardrails import evaluate
from ansible_collections.dbfleet.aws.plugins.plugin_utils.guardrails import validate_policy

REPO = Path(__file__).resolve().parents[4]
# The demo's inventory and every example fleet's environments: {"local": path, "skillancer/prod": path, ...}.
INVENTORIES = {"local": REPO / "inventories" / "local",
               **{f"{path.parent.name}/{path.name}": path for path in sorted((REPO / "examples").glob("*/*/"))
                  if (path / "hosts.yml").is_file()}}

POLICY = [
    {"rule": "rds_multi_az", "variable": "rds_multi_az", "equals": True},
    {"rule": "rds_encryption_in_transit", "variable": "rds_parameters", "key": "rds.force_ssl", "equals": 1},
    {"rule": "rds_backup_retention", "variable": "rds_backup_retention_period", "min": 7},
    {"rule": "rds_no_public_access", "variable": "rds_allowed_cidrs", "private": True},
    {"rule": "elasticache_tls_only", "variable": "elasticache_transit_encryption_mode", "equals": "required"},
    {"rule": "elasticache_engine", "variable": "elasticache_engine", "one_of": ["redis", "valkey"]},
]
COMPLIANT = {
    "rds_multi_az": True,
    "rds_parameters": {"rds.force_ssl": 1, "work_mem": 65536},
    "rds_backup_retention_period": 30,
    "rds_allowed_cidrs": ["10.20.0.0/16", "fd00::/8"],
    "elasticache_transit_encryption_mode": "required",
    "elasticache_engine": "valkey",
}


def violations(report):
    return {entry["rule"]: entry["message"] for entry in report["violations"]}


def test_a_compliant_environment_passes_every_rule():
    report = evaluate(POLICY, [], COMPLIANT, "prod")
    assert report["ok"] is True
    assert report["passed"] == [rule["rule"] for rule in POLICY]
    assert report["message"] == "guardrails of prod: 6 rule(s) pass, 0 waived, 0 skipped"


def test_every_violation_is_reported_at_once_naming_rule_and_variable():
    values = {
        "rds_multi_az": False,
        "rds_parameters": {"rds.force_ssl": "0"},
        "rds_backup_retention_period": 3,
        "rds_allowed_cidrs": ["10.0.0.0/8", "0.0.0.0/0", "not-a-cidr"],
        "elasticache_transit_encryption_mode": "preferred",
        "elasticache_engine": "memcached",
    }
    report = evaluate(POLICY, [], values, "prod")
    assert report["ok"] is False
    assert violations(report) == {
        "rds_multi_az": "rule rds_multi_az: rds_multi_az is false, must be true",
        "rds_encryption_in_transit": "rule rds_encryption_in_transit: rds_parameters['rds.force_ssl'] is '0', must be 1",
        "rds_backup_retention": "rule rds_backup_retention: rds_backup_retention_period is 3, must be at least 7",
        "rds_no_public_access": "rule rds_no_public_access: rds_allowed_cidrs is ['10.0.0.0/8', '0.0.0.0/0', "
                                "'not-a-cidr'], must hold private networks only (public: 0.0.0.0/0, not-a-cidr)",
        "elasticache_tls_only": "rule elasticache_tls_only: elasticache_transit_encryption_mode is 'preferred', "
                                "must be 'required'",
        "elasticache_engine": "rule elasticache_engine: elasticache_engine is 'memcached', must be one of 'redis', 'valkey'",
    }
    for entry in report["violations"]:
        assert entry["message"] in report["message"]


def test_unset_variables_and_missing_keys_violate():
    report = evaluate(POLICY, [], {"rds_parameters": {"work_mem": 1}}, "prod")
    messages = violations(report)
    assert messages["rds_multi_az"] == "rule rds_multi_az: rds_multi_az is not set, must be true"
    assert messages["rds_encryption_in_transit"].endswith("rds_parameters['rds.force_ssl'] is not set, must be 1")
    assert messages["rds_backup_retention"].endswith("is not set, must be at least 7")
    # No CIDR at all is no public access.
    assert "rds_no_public_access" in report["passed"]


@pytest.mark.parametrize("value, expected, holds", [
    ("1", 1, True), (1.0, 1, True), ("true", True, True), ("yes", True, True), (1, True, True),
    ("false", True, False), ("maybe", True, False), ("required", "required", True), (7, "7", True),
])
def test_equality_follows_inventory_spelling(value, expected, holds):
    policy = [{"rule": "r", "variable": "v", "equals": expected}]
    assert evaluate(policy, [], {"v": value})["ok"] is holds


def test_bounds_need_numbers():
    policy = [{"rule": "retention", "variable": "days", "min": 7, "max": 35}]
    assert evaluate(policy, [], {"days": "14"})["ok"] is True
    assert violations(evaluate(policy, [], {"days": 40})) == {
        "retention": "rule retention: days is 40, must be at most 35"}
    assert violations(evaluate(policy, [], {"days": "a week"})) == {
        "retention": "rule retention: days is 'a week', must be at least 7 and must be at most 35"}


def test_a_waiver_with_a_reason_accepts_the_violation_and_is_reported():
    values = dict(COMPLIANT, rds_multi_az=False)
    waivers = [{"rule": "rds_multi_az", "reason": "  single-AZ until the reserved instances renew  "}]
    report = evaluate(POLICY, waivers, values, "prod")
    assert report["ok"] is True
    assert report["violations"] == []
    assert report["waived"] == [{"rule": "rds_multi_az", "variable": "rds_multi_az",
                                 "message": "rule rds_multi_az: rds_multi_az is false, must be true",
                                 "reason": "single-AZ until the reserved instances renew"}]
    assert ("waived: rule rds_multi_az: rds_multi_az is false, must be true "
            "(reason: single-AZ until the reserved instances renew)") in report["message"]


def test_a_waiver_of_a_passing_rule_is_reported_as_unused():
    report = evaluate(POLICY, [{"rule": "rds_multi_az", "reason": "temporary"}], COMPLIANT)
    assert report["ok"] is True
    assert report["unused_waivers"] == ["rds_multi_az"]
    assert "unused waiver: rule rds_multi_az passes" in report["message"]


def test_bad_waivers_are_errors_and_violations_are_still_reported():
    values = dict(COMPLIANT, rds_multi_az=False, rds_backup_retention_period=1)
    waivers = [
        {"rule": "rds_multi_az"},
        {"rule": "rds_backup_retention", "reason": "   "},
        {"rule": "no_such_rule", "reason": "because"},
        {"rule": "elasticache_tls_only", "reason": "ok", "until": "2027"},
        "rds_multi_az",
    ]
    report = evaluate(POLICY, waivers, values, "prod")
    assert report["ok"] is False
    assert report["errors"] == [
        "dbfleet_guardrail_waivers[0].reason must say in words why rule rds_multi_az is accepted",
        "dbfleet_guardrail_waivers[1].reason must say in words why rule rds_backup_retention is accepted",
        "dbfleet_guardrail_waivers[2].rule 'no_such_rule' is not a rule of this environment's policy (rules: "
        + ", ".join(sorted(rule["rule"] for rule in POLICY)) + ")",
        "dbfleet_guardrail_waivers[3] has unknown keys until (known: rule, reason)",
        "dbfleet_guardrail_waivers[4] must be a dict with rule and reason",
    ]
    # Neither reasonless waiver accepted anything.
    assert set(violations(report)) == {"rds_multi_az", "rds_backup_retention"}
    assert report["waived"] == []


def test_a_rule_waived_twice_is_an_error():
    waivers = [{"rule": "rds_multi_az", "reason": "a"}, {"rule": "rds_multi_az", "reason": "b"}]
    report = evaluate(POLICY, waivers, COMPLIANT)
    assert report["errors"] == ["dbfleet_guardrail_waivers[1] waives rule rds_multi_az a second time"]


def test_policy_errors_are_all_listed():
    policy = [
        {"rule": "Bad Name", "variable": "x", "equals": 1},
        {"rule": "twice", "variable": "x", "min": "seven"},
        {"rule": "twice", "variable": "", "one_of": []},
        {"rule": "nothing", "variable": "x", "privat": True},
        {"rule": "public", "variable": "x", "private": False},
        ["not", "a", "rule"],
    ]
    assert validate_policy(policy) == [
        "dbfleet_guardrails[0].rule must be lowercase letters, digits or underscores, starting with a letter",
        "dbfleet_guardrails rule twice.min must be a number",
        "dbfleet_guardrails rule twice is defined twice",
        "dbfleet_guardrails rule twice.variable must name a variable",
        "dbfleet_guardrails rule twice.one_of must be a non-empty list",
        "dbfleet_guardrails rule nothing has unknown keys privat (known: description, equals, key, max, min, "
        "one_of, private, rule, variable)",
        "dbfleet_guardrails rule nothing needs at least one check: equals, min, max, one_of, private",
        "dbfleet_guardrails rule public.private must be true (omit it otherwise)",
        "dbfleet_guardrails[5] must be a dict with rule, variable and a check",
    ]
    report = evaluate(policy, [], {})
    assert report["ok"] is False and report["passed"] == [] and report["violations"] == []
    assert validate_policy({"rule": "x"}) == ["dbfleet_guardrails must be a list of rules"]


def test_rules_of_a_disabled_role_are_skipped():
    report = evaluate(POLICY, [], {"elasticache_engine": "redis",
                                   "elasticache_transit_encryption_mode": "required"},
                      disabled_prefixes=["rds_"])
    assert report["ok"] is True
    assert report["skipped"] == ["rds_multi_az", "rds_encryption_in_transit", "rds_backup_retention",
                                 "rds_no_public_access"]


def inventory_values(inventory):
    """Role defaults overlaid with the environment group's group_vars (literal values only)."""
    path = INVENTORIES[inventory]
    values = {}
    for role in ("rds", "elasticache"):
        values.update(yaml.safe_load((REPO / "roles" / role / "defaults" / "main.yml").read_text()))
    for part in sorted((path / "group_vars" / path.name).glob("*.yml")):
        values.update(yaml.safe_load(part.read_text()) or {})
    return values


@pytest.mark.parametrize("inventory", sorted(INVENTORIES))
def test_each_inventory_passes_its_own_policy(inventory):
    values = inventory_values(inventory)
    environment = values["dbfleet_environment"]
    report = evaluate(values["dbfleet_guardrails"], values["dbfleet_guardrail_waivers"], values, environment)
    assert report["errors"] == [] and report["violations"] == [], report["message"]
    # Every waiver an inventory writes down is in use (accunode prod's Redis retention).
    assert [waived["rule"] for waived in report["waived"]] == [
        waiver["rule"] for waiver in values["dbfleet_guardrail_waivers"]]


def test_production_policy_is_the_strictest():
    rules = {env: {rule["rule"] for rule in inventory_values(inventory)["dbfleet_guardrails"]}
             for env, inventory in (("local", "local"), ("dev", "skillancer/dev"), ("staging", "skillancer/staging"),
                                    ("prod", "skillancer/prod"))}
    assert rules["dev"] < rules["staging"] < rules["prod"]
    assert rules["local"] < rules["prod"]
    assert {"rds_multi_az", "rds_deletion_protection", "rds_encryption_at_rest", "rds_encryption_in_transit",
            "rds_backup_retention", "rds_no_public_access", "elasticache_encryption_at_rest",
            "elasticache_encryption_in_transit", "elasticache_auth_token",
            "elasticache_automatic_failover"} <= rules["prod"]
    # The local demo is disposable: the production policy would stop it on deletion protection only.
    local = inventory_values("local")
    report = evaluate(inventory_values("skillancer/prod")["dbfleet_guardrails"], [], local, "local")
    assert violations(report) == {
        "rds_deletion_protection": "rule rds_deletion_protection: rds_deletion_protection is false, must be true"}
