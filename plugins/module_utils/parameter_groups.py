# -*- coding: utf-8 -*-

# Copyright: Contributors to the dbfleet.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Engine-neutral parameter-group logic.

An engine adapter (RDS, ElastiCache) turns its API's parameter descriptions into
ParameterSpec objects. Everything here works on those: value normalisation,
validation that collects every problem, change planning, diffs and batching.
No AWS call is made from this file.
"""

import difflib
import re
from decimal import Decimal, InvalidOperation

from ansible_collections.dbfleet.aws.plugins.module_utils.rds_formulas import FormulaError
from ansible_collections.dbfleet.aws.plugins.module_utils.rds_formulas import check_formula
from ansible_collections.dbfleet.aws.plugins.module_utils.rds_formulas import is_formula

STATIC = "static"
DYNAMIC = "dynamic"

# Most parameter-group APIs (RDS ModifyDBParameterGroup / ResetDBParameterGroup,
# ElastiCache ModifyCacheParameterGroup) take at most 20 parameters per call.
MAX_PARAMETERS_PER_CALL = 20

TRUE_WORDS = frozenset(("1", "true", "on", "yes", "y", "t"))
FALSE_WORDS = frozenset(("0", "false", "off", "no", "n", "f"))

_NUMBER = r"[+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?"
_NUMERIC_RANGE = re.compile(r"^(?P<low>%s)-(?P<high>%s)$" % (_NUMBER, _NUMBER))
# ElastiCache writes ranges without an upper bound as "0-" or "1048576-".
_NUMERIC_OPEN_RANGE = re.compile(r"^(?P<low>%s)-$" % _NUMBER)
_NUMERIC_SINGLE = re.compile(r"^%s$" % _NUMBER)
_INTEGER = re.compile(r"^[+-]?\d+$")
_REGEX_HINTS = frozenset("[]()*\\^$|?{}")
_GROUP_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9-]*$")
FLOAT_TYPES = frozenset(("float", "real", "double"))

# PostgreSQL's unit suffixes; memory in bytes, time in microseconds.
MEMORY_UNITS = {"B": 1, "kB": 1024, "MB": 1024 ** 2, "GB": 1024 ** 3, "TB": 1024 ** 4}
TIME_UNITS = {"us": 1, "ms": 1000, "s": 1000 ** 2, "min": 60 * 1000 ** 2, "h": 3600 * 1000 ** 2,
              "d": 86400 * 1000 ** 2}
_UNIT = re.compile(r"^(?P<factor>\d*)(?P<unit>%s)$" % "|".join(list(MEMORY_UNITS) + list(TIME_UNITS)))
_VALUE_WITH_UNIT = re.compile(r"^(?P<number>[+-]?\d+(?:\.\d+)?)\s*(?P<unit>[A-Za-z]+)$")


class ParameterSpec:
    """One parameter as an engine describes it.

    data_type: integer, float, boolean, list or string (real and double mean float).
    allowed_values: the engine's AllowedValues text ("0-2147483647", "0,1",
        "none,ddl,mod,all", a regular expression...) or None.
    apply_type: STATIC (needs a reboot) or DYNAMIC.
    value: the current (or default) value as the engine reports it, or None.
    source: where the value comes from ("user", "engine-default", "system"...).
    unit: the unit of a numeric value as PostgreSQL names it ("kB", "8kB", "ms", "min"...)
        or None; values such as "8MB" or "10min" are then converted to it.
    """

    __slots__ = ("name", "data_type", "allowed_values", "modifiable", "apply_type", "value", "source", "unit")

    def __init__(self, name, data_type="string", allowed_values=None, modifiable=True,
                 apply_type=DYNAMIC, value=None, source=None, unit=None):
        self.name = name
        self.data_type = (data_type or "string").lower()
        if self.data_type in FLOAT_TYPES:
            self.data_type = "float"
        self.allowed_values = allowed_values or None
        self.modifiable = bool(modifiable)
        self.apply_type = apply_type
        self.value = value
        self.source = source
        self.unit = unit if unit and _UNIT.match(unit) else None

    @property
    def apply_method(self):
        return "pending-reboot" if self.apply_type == STATIC else "immediate"

    def __repr__(self):
        return "ParameterSpec(%r, %r, %r)" % (self.name, self.data_type, self.value)


class InvalidValue(ValueError):
    """A value breaks a rule of its parameter; the message names the rule."""


def validate_group_name(name, option="name"):
    """Problems with a parameter-group name (RDS and ElastiCache share these rules)."""
    problems = []
    if not name or len(name) > 255:
        problems.append("%s: must be 1 to 255 characters long" % option)
    elif not _GROUP_NAME.match(name):
        problems.append("%s: must start with a letter and contain only letters, digits and hyphens" % option)
    elif name.endswith("-") or "--" in name:
        problems.append("%s: must not end with a hyphen or contain two consecutive hyphens" % option)
    return problems


def check_value_types(parameters, option="parameters"):
    """Problems found in the values alone, before any metadata is known."""
    problems = []
    for name, value in (parameters or {}).items():
        if isinstance(value, (list, tuple)):
            if not all(isinstance(item, (str, int, float)) and not isinstance(item, bool) for item in value):
                problems.append("%s.%s: a list value may only hold strings and numbers" % (option, name))
        elif value is None or not isinstance(value, (str, int, float, bool)):
            problems.append("%s.%s: value must be a string, number, boolean or list, got %s"
                            % (option, name, "null" if value is None else type(value).__name__))
    return problems


def _allowed_items(spec):
    return [item.strip() for item in (spec.allowed_values or "").split(",") if item.strip()]


def _boolean_words(spec):
    """(true_form, false_form) the parameter accepts for a boolean, or None."""
    items = _allowed_items(spec)
    true_forms = [item for item in items if item.lower() in TRUE_WORDS]
    false_forms = [item for item in items if item.lower() in FALSE_WORDS]
    if true_forms and false_forms:
        return true_forms[0], false_forms[0]
    if spec.data_type == "boolean" and not items:
        return "1", "0"
    return None


def _numeric_bounds(spec):
    """[(low, high)] from AllowedValues such as "1-100,200-300", "-1-2147483647" or
    "0,20-" (high is Infinity); None when there are no numeric bounds to check."""
    bounds = []
    for item in _allowed_items(spec):
        range_match = _NUMERIC_RANGE.match(item)
        open_match = _NUMERIC_OPEN_RANGE.match(item)
        if range_match:
            bounds.append((Decimal(range_match.group("low")), Decimal(range_match.group("high"))))
        elif open_match:
            bounds.append((Decimal(open_match.group("low")), Decimal("Infinity")))
        elif _NUMERIC_SINGLE.match(item):
            bounds.append((Decimal(item), Decimal(item)))
        else:
            return None
    return bounds or None


def _decimal_text(number):
    text = format(number.normalize(), "f")
    return "0" if text in ("-0", "+0") else text


def _in_spec_unit(spec, value):
    """Decimal of a value such as "8MB" or "10min" in the parameter's unit; None without a suffix."""
    match = _VALUE_WITH_UNIT.match(str(value).strip())
    if not match:
        return None
    unit = match.group("unit")
    if spec.unit is None:
        raise InvalidValue("%r has a unit but the parameter takes a plain number" % value)
    spec_unit = _UNIT.match(spec.unit)
    spec_scale = MEMORY_UNITS.get(spec_unit.group("unit")) or TIME_UNITS[spec_unit.group("unit")]
    spec_scale *= int(spec_unit.group("factor") or 1)
    same_kind = MEMORY_UNITS if spec_unit.group("unit") in MEMORY_UNITS else TIME_UNITS
    if unit not in same_kind:
        raise InvalidValue("%r: unit %s does not fit the parameter's unit %s (valid: %s)"
                           % (value, unit, spec.unit, ", ".join(same_kind)))
    return Decimal(match.group("number")) * same_kind[unit] / spec_scale


def _check_bounds(spec, number, text):
    bounds = _numeric_bounds(spec)
    if bounds and not any(low <= number <= high for low, high in bounds):
        raise InvalidValue("%s is outside the allowed values %s" % (text, spec.allowed_values))


def _check_formula(text, variables):
    """An RDS formula over `variables`: {DBInstanceClassMemory*3/4}, GREATEST({...},1024)."""
    try:
        check_formula(text, variables)
    except FormulaError as error:
        raise InvalidValue("formula %s: %s" % (text, error))


def _normalise_boolean(spec, value, words):
    true_form, false_form = words
    word = ("true" if value else "false") if isinstance(value, bool) else str(value).strip().lower()
    if word in TRUE_WORDS:
        return true_form
    if word in FALSE_WORDS:
        return false_form
    raise InvalidValue("%r is not a boolean (use true/false, on/off, yes/no or 1/0; stored as %s/%s)"
                       % (value, true_form, false_form))


def _normalise_integer(spec, value, formula_variables):
    if isinstance(value, bool):
        raise InvalidValue("%r is a boolean but the parameter takes an integer" % value)
    if isinstance(value, float):
        if not value.is_integer():
            raise InvalidValue("%r is not an integer" % value)
        value = int(value)
    text = str(value).strip()
    if formula_variables and is_formula(text):
        _check_formula(text, formula_variables)
        return re.sub(r"\s+", "", text)
    converted = _in_spec_unit(spec, text)
    if converted is not None:
        if converted != converted.to_integral_value():
            raise InvalidValue("%r is not a whole number of %s" % (value, spec.unit))
        text = str(int(converted))
    if not _INTEGER.match(text):
        raise InvalidValue("%r is not an integer%s" % (value, " or a formula" if formula_variables else ""))
    number = int(text)
    _check_bounds(spec, Decimal(number), str(number))
    return str(number)


def _normalise_float(spec, value):
    if isinstance(value, bool):
        raise InvalidValue("%r is a boolean but the parameter takes a number" % value)
    try:
        number = _in_spec_unit(spec, value)
        if number is None:
            number = Decimal(str(value).strip())
    except InvalidOperation:
        raise InvalidValue("%r is not a number" % value)
    if not number.is_finite():
        raise InvalidValue("%r is not a finite number" % value)
    text = _decimal_text(number)
    _check_bounds(spec, number, text)
    return text


def _match_allowed(spec, item):
    """The allowed spelling of `item` (case-insensitive match), or None."""
    for allowed in _allowed_items(spec):
        if allowed.lower() == item.lower():
            return allowed
    return None


def _is_pattern(allowed_values):
    return bool(_REGEX_HINTS & set(allowed_values))


def _normalise_list(spec, value):
    items = value if isinstance(value, (list, tuple)) else str(value).split(",")
    items = [str(item).strip() for item in items if str(item).strip()]
    if spec.allowed_values:
        normalised, rejected = [], []
        for item in items:
            allowed = _match_allowed(spec, item)
            if allowed is None:
                rejected.append(item)
            normalised.append(allowed or item)
        if rejected:
            raise InvalidValue("%s not allowed (allowed: %s)"
                               % (", ".join(repr(item) for item in rejected), ", ".join(_allowed_items(spec))))
        items = normalised
    return ",".join(items)


def _normalise_string(spec, value):
    text = ",".join(str(item) for item in value) if isinstance(value, (list, tuple)) else str(value)
    if not spec.allowed_values:
        return text
    allowed = _match_allowed(spec, text.strip())
    if allowed is not None:
        return allowed
    if not _is_pattern(spec.allowed_values):
        raise InvalidValue("%r is not one of %s" % (text, ", ".join(_allowed_items(spec))))
    try:
        pattern = re.compile(spec.allowed_values)
    except re.error:
        # An AllowedValues text that is neither a list nor a valid pattern cannot be checked here.
        return text
    if pattern.fullmatch(text) is None:
        raise InvalidValue("%r does not match the allowed pattern %s" % (text, spec.allowed_values))
    return text


def normalise_value(spec, value, formula_variables=()):
    """The canonical text of `value` for `spec`; raises InvalidValue naming the rule."""
    if spec.data_type == "list":
        return _normalise_list(spec, value)
    if isinstance(value, (list, tuple)):
        raise InvalidValue("a list is only accepted for list parameters")
    words = _boolean_words(spec)
    if words and (spec.data_type == "boolean" or isinstance(value, bool)):
        return _normalise_boolean(spec, value, words)
    if spec.data_type == "integer":
        return _normalise_integer(spec, value, formula_variables)
    if spec.data_type == "float":
        return _normalise_float(spec, value)
    if isinstance(value, bool):
        raise InvalidValue("%r is a boolean but the parameter takes a string" % value)
    return _normalise_string(spec, value)


def comparison_key(spec, value):
    """A key equal for equivalent values: 1.10 == 1.1, on == 1, "a, b" == "b,a"."""
    if value is None:
        return None
    if spec.data_type == "integer" and is_formula(str(value).strip()):
        return re.sub(r"\s+", "", str(value))
    try:
        text = normalise_value(spec, value)
    except InvalidValue:
        return str(value)
    if spec.data_type == "list":
        return tuple(sorted(text.split(",")))
    if spec.data_type == "float":
        return Decimal(text)
    return text


def validate_parameters(desired, metadata, family, formula_variables=(), option="parameters", renamed=None):
    """Check every desired parameter against the family metadata.

    desired: {name: value} as the user wrote it.
    metadata: {name: ParameterSpec} for the family.
    renamed: {old name: (new name, why)} of the engine, for names a family no longer has.
    Returns ({name: canonical text}, [problem, ...]); every problem is reported.
    """
    normalised, problems = {}, []
    for name in sorted(desired or {}):
        spec = metadata.get(name)
        if spec is None and (renamed or {}).get(name, ("",))[0] in metadata:
            problems.append("%s.%s: not a parameter of family %s, which calls it %s (%s)"
                            % (option, name, family, renamed[name][0], renamed[name][1]))
            continue
        if spec is None:
            close = difflib.get_close_matches(name, list(metadata), n=1)
            hint = " (did you mean %s?)" % close[0] if close else ""
            problems.append("%s.%s: unknown parameter for family %s%s" % (option, name, family, hint))
            continue
        if not spec.modifiable:
            problems.append("%s.%s: not modifiable in family %s" % (option, name, family))
            continue
        try:
            normalised[name] = normalise_value(spec, desired[name], formula_variables)
        except InvalidValue as error:
            problems.append("%s.%s: %s" % (option, name, error))
    return normalised, problems


def _change(spec, before, after):
    return {
        "name": spec.name,
        "before": before,
        "after": after,
        "apply_type": spec.apply_type,
        "apply_method": spec.apply_method,
    }


def plan_changes(normalised, metadata, current, purge=False):
    """What must change to reach `normalised`.

    metadata: {name: ParameterSpec} for the family; `value` is the family default.
    current: {name: ParameterSpec} as the group holds them (value and source).
    purge: reset user-set parameters that `normalised` does not list.
    Returns (modifications, resets): lists of change dicts with name, before,
    after, apply_type and apply_method; a reset's `after` is the family default.
    """
    modifications = []
    for name in sorted(normalised):
        spec = metadata[name]
        held = current.get(name)
        before = held.value if held is not None else spec.value
        if comparison_key(spec, before) != comparison_key(spec, normalised[name]):
            modifications.append(_change(spec, before, normalised[name]))
    resets = []
    if purge:
        for name in sorted(current):
            held = current[name]
            if held.source != "user" or name in normalised:
                continue
            spec = metadata.get(name, held)
            default = spec.value if name in metadata else None
            resets.append(_change(spec, held.value, default))
    return modifications, resets


def batches(items, size=MAX_PARAMETERS_PER_CALL):
    """Consecutive slices of at most `size` items."""
    return [items[start:start + size] for start in range(0, len(items), size)]


def parameters_diff(changes):
    """(before, after) dicts holding only the parameters that change."""
    before = dict((change["name"], change["before"]) for change in changes)
    after = dict((change["name"], change["after"]) for change in changes)
    return before, after
