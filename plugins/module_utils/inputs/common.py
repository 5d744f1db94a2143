# -*- coding: utf-8 -*-

# Copyright: Contributors to the dbfleet.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Helpers the per-role input rules share: each returns a list of "<variable>: <rule>"."""

import difflib
import re

# The inventories' placeholder ids (subnet-0123456789abcdef0, ...): real ids must replace them.
PLACEHOLDER = "0123456789abcdef"


class Values(dict):
    """The variables of a role; get() is None for a variable that is unset or was wrong.
    placeholders_allowed: a plan that makes no AWS call (playbooks/cost.yml) takes the
    inventories' placeholder ids."""

    placeholders_allowed = False

    def has(self, *names):
        return all(self.get(name) is not None for name in names)


def in_range(values, name, low, high, unit=""):
    value = values.get(name)
    if value is None or low <= value <= high:
        return []
    return ["%s: must be between %s and %s%s (got %s)" % (name, low, high, unit, value)]


def at_least(values, name, low, unit=""):
    value = values.get(name)
    if value is None or value >= low:
        return []
    return ["%s: must be at least %s%s (got %s)" % (name, low, unit, value)]


def matches(values, name, pattern, rule):
    value = values.get(name)
    if value is None or re.match(pattern, value):
        return []
    return ["%s: %s (got %r)" % (name, rule, value)]


def aws_name(values, name, max_length, letters="A-Za-z"):
    """An AWS resource name: 1-max_length letters, digits or single hyphens, starting with a
    letter, not ending with a hyphen."""
    value = values.get(name)
    if value is None:
        return []
    if re.match(r"^[%s][%s0-9-]{0,%d}$" % (letters, letters, max_length - 1), value) \
            and "--" not in value and not value.endswith("-"):
        return []
    kind = "lowercase letters" if letters == "a-z" else "letters"
    return ["%s: must be 1-%d %s, digits or single hyphens, starting with a letter and not ending with a "
            "hyphen (got %r)" % (name, max_length, kind, value)]


def command_line_number(value):
    """A number given on the command line (-e name=60 is a string) as a number; anything else as it is."""
    if isinstance(value, str) and re.match(r"^-?\d+(\.\d+)?$", value.strip()):
        return float(value) if "." in value else int(value)
    return value


def no_placeholders(values, *names):
    if getattr(values, "placeholders_allowed", False):
        return []
    found = [name for name in names for value in _as_list(values.get(name)) if PLACEHOLDER in str(value)]
    return ["%s: must be real ids, not the inventory placeholders (...%s...)" % (name, PLACEHOLDER) for name in found]


def needs(values, name, condition, rule):
    """`rule` when `name` is set (truthy) and `condition` does not hold."""
    return ["%s: %s" % (name, rule)] if values.get(name) and not condition else []


def offered(name, value, choices, where):
    """`name: <value> is not offered <where>` with the closest offered choice, or nothing."""
    if value is None or value in choices:
        return []
    close = difflib.get_close_matches(value, list(choices), n=1)
    return ["%s: %s is not offered %s%s" % (name, value, where, "; did you mean %s?" % close[0] if close else "")]


def _as_list(value):
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
