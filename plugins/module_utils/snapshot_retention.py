# -*- coding: utf-8 -*-

# Copyright: Contributors to the dbfleet.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Retention policy for manual snapshots (RDS and ElastiCache), without AWS.

A snapshot is a dict: ``id``, ``source`` (DB instance or replication group), ``created``
(timezone-aware datetime), ``tags`` (dict) and ``type`` (``manual`` or ``automated``).
The policy is applied to each source on its own:

1. Automated snapshots are never deleted (the service owns them).
2. Snapshots carrying the protect tag are never deleted and take no slot of any rule.
3. The other manual snapshots, newest first (ties: identifier), are kept when any rule
   selects them (union of the rules):

   * ``keep_last`` N: the N newest;
   * ``daily`` / ``weekly`` / ``monthly`` / ``yearly`` N: the newest snapshot of each of
     the N most recent UTC days / ISO weeks / months / years that have a snapshot.
     Periods without a snapshot do not count, so a backup job that stopped never lets
     the policy delete the last snapshots it made.

   Snapshots no rule selects are deleted. Without any of these rules every snapshot is
   selected (only ``max_age_days`` then deletes).
4. ``max_age_days`` is a hard cap: a snapshot older than that many days is deleted even
   when a rule selects it.

An empty policy keeps everything.
"""

import datetime
import re

GENERATIONS = (
    ("daily", lambda created: created.strftime("%Y-%m-%d")),
    ("weekly", lambda created: "%04d-W%02d" % created.isocalendar()[:2]),
    ("monthly", lambda created: created.strftime("%Y-%m")),
    ("yearly", lambda created: created.strftime("%Y")),
)
KEEP_RULES = ("keep_last",) + tuple(name for name, period in GENERATIONS)
POLICY_KEYS = KEEP_RULES + ("max_age_days",)
AUTOMATED = "automated"
NAME_FIELDS = ("source", "purpose", "timestamp", "date", "time")
IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9-]*$")


def utc(value):
    """A timezone-aware datetime in UTC; naive values are taken as UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=datetime.timezone.utc)
    return value.astimezone(datetime.timezone.utc)


def validate_policy(policy, field):
    """Problems of a retention policy dict, each naming `field`.<key>."""
    if policy is None:
        return []
    if not isinstance(policy, dict):
        return ["%s: must be a dict with keys among %s" % (field, ", ".join(POLICY_KEYS))]
    problems = []
    for key in sorted(policy):
        value = policy[key]
        if key not in POLICY_KEYS:
            problems.append("%s.%s: unknown rule; use %s" % (field, key, ", ".join(POLICY_KEYS)))
        elif value is None:
            continue
        elif isinstance(value, bool) or not isinstance(value, int):
            problems.append("%s.%s: must be a whole number, got %r" % (field, key, value))
        elif value < 0:
            problems.append("%s.%s: must be at least 0, got %d" % (field, key, value))
    if not problems and policy.get("max_age_days") == 0:
        problems.append("%s.max_age_days: 0 would delete every unprotected snapshot; use at least 1 "
                        "or leave it out" % field)
    return problems


def validate_identifier(name, field, max_length):
    """Problems of a snapshot identifier (letters, digits, hyphens; starts with a letter)."""
    if not name:
        return ["%s: must not be empty" % field]
    problems = []
    if len(name) > max_length:
        problems.append("%s: %r is %d characters long; at most %d" % (field, name, len(name), max_length))
    if not IDENTIFIER.match(name):
        problems.append("%s: %r must start with a letter and contain only letters, digits and hyphens"
                        % (field, name))
    elif name.endswith("-") or "--" in name:
        problems.append("%s: %r must not end with a hyphen or contain two consecutive hyphens" % (field, name))
    return problems


def validate_name_template(template, field):
    """Problems of a snapshot name template using {source}, {purpose}, {timestamp}, {date}, {time}."""
    try:
        render_name(template, "source", "purpose", datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc))
    except (KeyError, IndexError, ValueError) as e:
        return ["%s: %r is not a valid template (%s); the fields are %s"
                % (field, template, e, ", ".join("{%s}" % name for name in NAME_FIELDS))]
    return []


def render_name(template, source, purpose, now):
    """The snapshot name for `now` (UTC): timestamp 20260131-101500, date 20260131, time 1015."""
    now = utc(now)
    return template.format(source=source, purpose=purpose, timestamp=now.strftime("%Y%m%d-%H%M%S"),
                           date=now.strftime("%Y%m%d"), time=now.strftime("%H%M"))


def is_protected(snapshot, protect_key, protect_value):
    if not protect_key:
        return False
    value = (snapshot.get("tags") or {}).get(protect_key)
    return value is not None and str(value).lower() == str(protect_value).lower()


def _newest_first(snapshots):
    # Newest first; among equal times the greater identifier first, so the order is total.
    return sorted(snapshots, key=lambda snapshot: (utc(snapshot["created"]), snapshot["id"]), reverse=True)


def _selections(candidates, policy):
    """{snapshot id: [reasons]} of the candidates (newest first) that a keep rule selects."""
    reasons = dict((snapshot["id"], []) for snapshot in candidates)
    if not any(policy.get(rule) for rule in KEEP_RULES):
        for snapshot in candidates:
            reasons[snapshot["id"]].append("no keep rule given")
        return reasons
    keep_last = policy.get("keep_last") or 0
    for position, snapshot in enumerate(candidates[:keep_last]):
        reasons[snapshot["id"]].append("keep_last: %d of the %d newest" % (position + 1, keep_last))
    for rule, period_of in GENERATIONS:
        count = policy.get(rule) or 0
        seen = []
        for snapshot in candidates:
            if len(seen) == count:
                break
            period = period_of(utc(snapshot["created"]))
            if period not in seen:
                seen.append(period)
                reasons[snapshot["id"]].append("%s: newest of %s" % (rule, period))
    return reasons


def _entry(snapshot, reasons):
    return {"id": snapshot["id"], "source": snapshot.get("source"),
            "created": utc(snapshot["created"]).isoformat(), "reasons": reasons}


def plan(snapshots, policy, now, protect_key=None, protect_value="true"):
    """(keep, delete): lists of {id, source, created, reasons}, by source then newest first."""
    policy = dict((key, value) for key, value in (policy or {}).items() if value is not None)
    now = utc(now)
    by_source = {}
    for snapshot in snapshots:
        by_source.setdefault(snapshot.get("source") or "", []).append(snapshot)
    keep, delete = [], []
    if not policy:
        return [_entry(snapshot, ["no retention policy"]) for snapshot in _ordered(by_source)], []
    max_age = policy.get("max_age_days")
    has_keep_rules = any(policy.get(rule) for rule in KEEP_RULES)
    for source in sorted(by_source):
        ordered = _newest_first(by_source[source])
        candidates = [snapshot for snapshot in ordered if snapshot.get("type") != AUTOMATED
                      and not is_protected(snapshot, protect_key, protect_value)]
        selected = _selections(candidates, policy)
        for snapshot in ordered:
            if snapshot.get("type") == AUTOMATED:
                keep.append(_entry(snapshot, ["automated snapshot: managed by the service"]))
                continue
            if is_protected(snapshot, protect_key, protect_value):
                keep.append(_entry(snapshot, ["protected by tag %s=%s" % (protect_key, protect_value)]))
                continue
            reasons = selected[snapshot["id"]]
            age = now - utc(snapshot["created"])
            if max_age and age > datetime.timedelta(days=max_age):
                because = ["older than max_age_days %d (%.1f days)" % (max_age, age.total_seconds() / 86400)]
                if has_keep_rules and reasons:
                    because.append("overrides " + "; ".join(reasons))
                delete.append(_entry(snapshot, because))
            elif reasons:
                keep.append(_entry(snapshot, reasons))
            else:
                delete.append(_entry(snapshot, ["selected by no rule of %s" % ", ".join(
                    "%s=%s" % (rule, policy[rule]) for rule in KEEP_RULES if policy.get(rule))]))
    return keep, delete


def _ordered(by_source):
    return [snapshot for source in sorted(by_source) for snapshot in _newest_first(by_source[source])]
