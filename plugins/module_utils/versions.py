# -*- coding: utf-8 -*-

# Copyright: Contributors to the dbfleet.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Engine versions compared on the parts given: "7.1" matches 7.1.0 and is not below it.
Used by the modules, the preflight rules and the rds role's drift."""

import re

_NUMBER = re.compile(r"^\d+$")


def _parts(version):
    return [int(part) if _NUMBER.match(part) else part for part in str(version).split(".")]


def major(version):
    """The major part of a version: "15" of "15.10", "6" of "6.x"."""
    return str(version).split(".", maxsplit=1)[0]


def version_matches(wanted, current):
    """Whether `current` is `wanted` or a more precise form of it ("7.1" matches "7.1.0")."""
    wanted_parts = _parts(wanted)
    return _parts(current)[:len(wanted_parts)] == wanted_parts


def is_lower(wanted, running):
    """Whether version `wanted` is below `running`, compared on the parts `wanted` gives
    (7.1 is not below 7.1.0); versions that do not compare (6.x and 6.2) are not."""
    wanted_parts = _parts(wanted)
    try:
        return wanted_parts < _parts(running)[:len(wanted_parts)]
    except TypeError:
        return False
