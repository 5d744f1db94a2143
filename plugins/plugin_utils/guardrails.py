# -*- coding: utf-8 -*-

# Copyright: Contributors to the dbfleet.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Guardrails: per-environment policies over the role variables.

A policy is a list of rules, each naming one variable (and, for a dict variable
such as rds_parameters, one key) and the checks its value must pass. A waiver
accepts one violated rule knowingly, with a written reason. evaluate() reports
every violation, every policy or waiver error and every accepted waiver at
once. Pure logic: no Ansible, no AWS.
"""

import ipaddress
import re

CHECKS = ("equals", "min", "max", "one_of", "private")
RULE_KEYS = frozenset(("rule", "variable", "key", "description") + CHECKS)
WAIVER_KEYS = frozenset(("rule", "reason"))
RULE_NAME = re.compile(r"^[a-z][a-z0-9_]*$")

TRUE_WORDS = frozenset(("1", "true", "on", "yes"))
FALSE_WORDS = frozenset(("0", "false", "off", "no"))
NOT_SET = object()


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _as_bool(value):
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    return None


def _as_number(value):
    if isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _same(actual, expected):
    """Equality the way an inventory means it: 1 == "1", true == "yes"."""
    if isinstance(expected, bool):
        return _as_bool(actual) is expected
    if _is_number(expected):
        return _as_number(actual) == float(expected)
    return str(actual) == str(expected)


def _show(value):
    if value is NOT_SET:
        return "not set"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return "'%s'" % value
    return str(value)


def _public_networks(value):
    """Entries of a CIDR list that are not private networks (or not CIDRs)."""
    entries = value if isinstance(value, (list, tuple)) else [value]
    public = []
    for entry in entries:
        try:
            if not ipaddress.ip_network(str(entry), strict=False).is_private:
                public.append(str(entry))
        except ValueError:
            public.append(str(entry))
    return public


def rule_target(rule):
    """The name a violation reports: the variable, or variable['key']."""
    if rule.get("key") is None:
        return rule["variable"]
    return "%s['%s']" % (rule["variable"], rule["key"])


def validate_policy(policy):
    """Every problem of the policy itself, as messages naming the rule and field."""
    if not isinstance(policy, (list, tuple)):
        return ["dbfleet_guardrails must be a list of rules"]
    errors = []
    seen = set()
    for index, rule in enumerate(policy):
        where = "dbfleet_guardrails[%d]" % index
        if not isinstance(rule, dict):
            errors.append("%s must be a dict with rule, variable and a check" % where)
            continue
        name = rule.get("rule")
        if not isinstance(name, str) or not RULE_NAME.match(name):
            errors.append("%s.rule must be lowercase letters, digits or underscores, starting with a letter" % where)
        else:
            where = "dbfleet_guardrails rule %s" % name
            if name in seen:
                errors.append("%s is defined twice" % where)
            seen.add(name)
        unknown = sorted(set(rule) - RULE_KEYS)
        if unknown:
            errors.append("%s has unknown keys %s (known: %s)"
                          % (where, ", ".join(unknown), ", ".join(sorted(RULE_KEYS))))
        if not isinstance(rule.get("variable"), str) or not rule["variable"]:
            errors.append("%s.variable must name a variable" % where)
        if not any(check in rule for check in CHECKS):
            errors.append("%s needs at least one check: %s" % (where, ", ".join(CHECKS)))
        for bound in ("min", "max"):
            if bound in rule and not _is_number(rule[bound]):
                errors.append("%s.%s must be a number" % (where, bound))
        if "one_of" in rule and (not isinstance(rule["one_of"], (list, tuple)) or not rule["one_of"]):
            errors.append("%s.one_of must be a non-empty list" % where)
        if "private" in rule and rule["private"] is not True:
            errors.append("%s.private must be true (omit it otherwise)" % where)
    return errors


def validate_waivers(waivers, rule_names):
    """Every problem of the waivers: unknown rule, missing reason, duplicates."""
    if not isinstance(waivers, (list, tuple)):
        return ["dbfleet_guardrail_waivers must be a list of {rule, reason}"]
    errors = []
    seen = set()
    for index, waiver in enumerate(waivers):
        where = "dbfleet_guardrail_waivers[%d]" % index
        if not isinstance(waiver, dict):
            errors.append("%s must be a dict with rule and reason" % where)
            continue
        unknown = sorted(set(waiver) - WAIVER_KEYS)
        if unknown:
            errors.append("%s has unknown keys %s (known: rule, reason)" % (where, ", ".join(unknown)))
        name = waiver.get("rule")
        if name not in rule_names:
            errors.append("%s.rule %s is not a rule of this environment's policy (rules: %s)"
                          % (where, _show(NOT_SET if name is None else name), ", ".join(sorted(rule_names)) or "none"))
        elif name in seen:
            errors.append("%s waives rule %s a second time" % (where, name))
        seen.add(name)
        reason = waiver.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            errors.append("%s.reason must say in words why rule %s is accepted" % (where, name))
    return errors


def check_rule(rule, value):
    """The failed checks of one rule as 'must ...' phrases; empty when it passes."""
    if value is not NOT_SET and rule.get("key") is not None:
        value = value.get(rule["key"], NOT_SET) if isinstance(value, dict) else NOT_SET
    failed = []
    if "equals" in rule and (value is NOT_SET or not _same(value, rule["equals"])):
        failed.append("must be %s" % _show(rule["equals"]))
    if "one_of" in rule and (value is NOT_SET or not any(_same(value, choice) for choice in rule["one_of"])):
        failed.append("must be one of %s" % ", ".join(_show(choice) for choice in rule["one_of"]))
    for bound, word, holds in (("min", "at least", lambda a, b: a >= b), ("max", "at most", lambda a, b: a <= b)):
        if bound in rule:
            number = None if value is NOT_SET else _as_number(value)
            if number is None or not holds(number, rule[bound]):
                failed.append("must be %s %s" % (word, _show(rule[bound])))
    if "private" in rule and value is not NOT_SET:
        public = _public_networks(value)
        if public:
            failed.append("must hold private networks only (public: %s)" % ", ".join(public))
    if not failed:
        return []
    return ["%s is %s, %s" % (rule_target(rule), _show(value), " and ".join(failed))]


def evaluate(policy, waivers, values, environment="", disabled_prefixes=()):
    """Evaluate a policy over variable values.

    values maps variable names to their effective values; a missing name is
    "not set". Rules on a variable starting with one of disabled_prefixes
    (e.g. "rds_" on a host where rds_enabled is false) are skipped.
    Returns a report dict; report["ok"] is False on any violation or error.
    """
    waivers = [] if waivers is None else waivers
    policy_errors = validate_policy(policy)
    rule_names = set() if policy_errors else set(rule["rule"] for rule in policy)
    report = {"environment": environment, "rules": len(rule_names), "passed": [], "skipped": [],
              "violations": [], "waived": [], "unused_waivers": [],
              "errors": policy_errors or validate_waivers(waivers, rule_names)}
    if not policy_errors:
        # Only well-formed waivers count; the others are errors already.
        reasons = {}
        for waiver in waivers if isinstance(waivers, (list, tuple)) else []:
            if (isinstance(waiver, dict) and waiver.get("rule") in rule_names
                    and isinstance(waiver.get("reason"), str) and waiver["reason"].strip()):
                reasons.setdefault(waiver["rule"], waiver["reason"].strip())
        for rule in policy:
            name = rule["rule"]
            if any(rule["variable"].startswith(prefix) for prefix in disabled_prefixes):
                report["skipped"].append(name)
                continue
            failures = check_rule(rule, values.get(rule["variable"], NOT_SET))
            if not failures:
                report["passed"].append(name)
                if name in reasons:
                    report["unused_waivers"].append(name)
                continue
            entry = {"rule": name, "variable": rule["variable"], "message": "rule %s: %s" % (name, failures[0])}
            if rule.get("description"):
                entry["description"] = rule["description"]
            if name in reasons:
                entry["reason"] = reasons[name]
                report["waived"].append(entry)
            else:
                report["violations"].append(entry)
    report["ok"] = not report["violations"] and not report["errors"]
    report["message"] = summary(report)
    return report


def summary(report):
    """The report as the lines an operator reads."""
    scope = "guardrails of %s" % (report["environment"] or "this environment")
    lines = []
    if report["errors"]:
        lines.append("%s: %d error(s) in the policy or the waivers" % (scope, len(report["errors"])))
        lines.extend("  - %s" % error for error in report["errors"])
    if report["violations"]:
        lines.append("%s: %d violation(s); fix the variable or waive the rule in dbfleet_guardrail_waivers "
                     "with a reason" % (scope, len(report["violations"])))
        lines.extend("  - %s" % entry["message"] for entry in report["violations"])
    if not lines:
        lines.append("%s: %d rule(s) pass, %d waived, %d skipped"
                     % (scope, len(report["passed"]), len(report["waived"]), len(report["skipped"])))
    lines.extend("  waived: %s (reason: %s)" % (entry["message"], entry["reason"]) for entry in report["waived"])
    lines.extend("  unused waiver: rule %s passes, remove its waiver" % name for name in report["unused_waivers"])
    return "\n".join(lines)
