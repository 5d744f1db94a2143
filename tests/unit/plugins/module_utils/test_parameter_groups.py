from decimal import Decimal

import pytest

from ansible_collections.dbfleet.aws.plugins.module_utils.parameter_groups import DYNAMIC
from ansible_collections.dbfleet.aws.plugins.module_utils.parameter_groups import STATIC
from ansible_collections.dbfleet.aws.plugins.module_utils.parameter_groups import InvalidValue
from ansible_collections.dbfleet.aws.plugins.module_utils.parameter_groups import ParameterSpec
from ansible_collections.dbfleet.aws.plugins.module_utils.parameter_groups import batches
from ansible_collections.dbfleet.aws.plugins.module_utils.parameter_groups import check_value_types
from ansible_collections.dbfleet.aws.plugins.module_utils.parameter_groups import comparison_key
from ansible_collections.dbfleet.aws.plugins.module_utils.parameter_groups import normalise_value
from ansible_collections.dbfleet.aws.plugins.module_utils.parameter_groups import parameters_diff
from ansible_collections.dbfleet.aws.plugins.module_utils.parameter_groups import plan_changes
from ansible_collections.dbfleet.aws.plugins.module_utils.parameter_groups import validate_group_name
from ansible_collections.dbfleet.aws.plugins.module_utils.parameter_groups import validate_parameters

FORMULA_VARIABLES = frozenset(("DBInstanceClassMemory", "AllocatedStorage"))

MAX_CONNECTIONS = ParameterSpec("max_connections", "integer", "6-262143", apply_type=STATIC,
                                value="{DBInstanceClassMemory/9531392}", source="engine-default")
WORK_MEM = ParameterSpec("work_mem", "integer", "64-2147483647", value="4096", source="engine-default", unit="kB")
SHARED_BUFFERS = ParameterSpec("shared_buffers", "integer", "16-1073741823", apply_type=STATIC,
                               value="{DBInstanceClassMemory/32768}", unit="8kB")
CHECKPOINT_TIMEOUT = ParameterSpec("checkpoint_timeout", "integer", "30-86400", unit="s")
LOG_MIN_DURATION = ParameterSpec("log_min_duration_statement", "integer", "-1-2147483647", unit="ms")
VACUUM_COST_DELAY = ParameterSpec("autovacuum_vacuum_cost_delay", "real", "-1-100", unit="ms")
HUGE_PAGES = ParameterSpec("huge_pages", "string", "off,on,try", apply_type=STATIC)
LOG_TEMP_FILES = ParameterSpec("log_temp_files", "integer", "-1-2147483647")
SPLIT_RANGE = ParameterSpec("split", "integer", "1-100,200-300")
RANDOM_PAGE_COST = ParameterSpec("random_page_cost", "real", "0-1.79769e+308", value="4")
COMPLETION_TARGET = ParameterSpec("checkpoint_completion_target", "float", "0-1")
LOG_CONNECTIONS = ParameterSpec("log_connections", "boolean", "0,1")
FORCE_SSL = ParameterSpec("rds.force_ssl", "boolean", "0,1", apply_type=STATIC, value="0")
LOG_STATEMENT = ParameterSpec("log_statement", "string", "none,ddl,mod,all", value="none")
PRELOAD = ParameterSpec("shared_preload_libraries", "list", "auto_explain,pg_cron,pg_stat_statements,pgaudit",
                        apply_type=STATIC, value="pg_stat_statements")
DATESTYLE = ParameterSpec("datestyle", "string", r"(iso|postgres|sql|german),\s*(dmy|mdy|ymd)")
APPLICATION_NAME = ParameterSpec("application_name", "string")
YES_NO = ParameterSpec("activerehashing", "string", "yes,no")
FIXED = ParameterSpec("rds.extensions", "string", modifiable=False)

METADATA = dict((spec.name, spec) for spec in (
    MAX_CONNECTIONS, WORK_MEM, LOG_TEMP_FILES, RANDOM_PAGE_COST, COMPLETION_TARGET, LOG_CONNECTIONS,
    FORCE_SSL, LOG_STATEMENT, PRELOAD, DATESTYLE, APPLICATION_NAME, FIXED, SHARED_BUFFERS,
))


@pytest.mark.parametrize("name", ["a", "app-postgres16-prod", "A1-b2", "x" * 255])
def test_group_name_accepted(name):
    assert validate_group_name(name) == []


@pytest.mark.parametrize("name, rule", [
    ("", "1 to 255"),
    ("x" * 256, "1 to 255"),
    ("1abc", "start with a letter"),
    ("app_pg", "start with a letter"),
    ("default.postgres16", "start with a letter"),
    ("app-", "hyphen"),
    ("app--pg", "hyphen"),
])
def test_group_name_rejected(name, rule):
    problems = validate_group_name(name)
    assert len(problems) == 1 and problems[0].startswith("name: ") and rule in problems[0]


def test_value_types_checked_without_metadata():
    problems = check_value_types({"a": 1, "b": "x", "c": True, "d": 1.5, "e": ["x", 2],
                                  "f": None, "g": {"k": 1}, "h": [{"k": 1}]})
    assert problems == [
        "parameters.f: value must be a string, number, boolean or list, got null",
        "parameters.g: value must be a string, number, boolean or list, got dict",
        "parameters.h: a list value may only hold strings and numbers",
    ]


@pytest.mark.parametrize("spec, value, expected", [
    (WORK_MEM, 8192, "8192"),
    (WORK_MEM, "0008192", "8192"),
    (WORK_MEM, 8192.0, "8192"),
    (LOG_TEMP_FILES, -1, "-1"),
    (LOG_TEMP_FILES, "0", "0"),
    (SPLIT_RANGE, 250, "250"),
    (MAX_CONNECTIONS, "{DBInstanceClassMemory / 9531392}", "{DBInstanceClassMemory/9531392}"),
    (MAX_CONNECTIONS, "{DBInstanceClassMemory*3/4}", "{DBInstanceClassMemory*3/4}"),
    (MAX_CONNECTIONS, "GREATEST({DBInstanceClassMemory/9531392},5000)", "GREATEST({DBInstanceClassMemory/9531392},5000)"),
    (MAX_CONNECTIONS, "LEAST({DBInstanceClassMemory/9531392},5000)", "LEAST({DBInstanceClassMemory/9531392},5000)"),
    (MAX_CONNECTIONS, "SUM({AllocatedStorage*2},100)", "SUM({AllocatedStorage*2},100)"),
    (RANDOM_PAGE_COST, 1.1, "1.1"),
    (RANDOM_PAGE_COST, "1.10", "1.1"),
    (RANDOM_PAGE_COST, 4, "4"),
    (RANDOM_PAGE_COST, "100", "100"),
    (COMPLETION_TARGET, "0.9", "0.9"),
    (LOG_CONNECTIONS, True, "1"),
    (LOG_CONNECTIONS, False, "0"),
    (LOG_CONNECTIONS, "on", "1"),
    (LOG_CONNECTIONS, "OFF", "0"),
    (LOG_CONNECTIONS, "yes", "1"),
    (LOG_CONNECTIONS, 0, "0"),
    (LOG_STATEMENT, "mod", "mod"),
    (LOG_STATEMENT, "DDL", "ddl"),
    (PRELOAD, "pg_stat_statements", "pg_stat_statements"),
    (PRELOAD, " pg_stat_statements , pg_cron ", "pg_stat_statements,pg_cron"),
    (PRELOAD, ["pgaudit", "pg_stat_statements"], "pgaudit,pg_stat_statements"),
    (DATESTYLE, "iso, mdy", "iso, mdy"),
    (APPLICATION_NAME, "anything at all", "anything at all"),
    (YES_NO, True, "yes"),
    (WORK_MEM, "8MB", "8192"),
    (WORK_MEM, "1GB", "1048576"),
    (WORK_MEM, "64kB", "64"),
    (SHARED_BUFFERS, "2GB", "262144"),
    (SHARED_BUFFERS, "128MB", "16384"),
    (CHECKPOINT_TIMEOUT, "10min", "600"),
    (CHECKPOINT_TIMEOUT, "1h", "3600"),
    (LOG_MIN_DURATION, "1s", "1000"),
    (LOG_MIN_DURATION, "1000", "1000"),
    (VACUUM_COST_DELAY, "2ms", "2"),
    (VACUUM_COST_DELAY, "500us", "0.5"),
    (HUGE_PAGES, True, "on"),
    (HUGE_PAGES, "try", "try"),
    (YES_NO, "no", "no"),
])
def test_normalise_accepts(spec, value, expected):
    assert normalise_value(spec, value, FORMULA_VARIABLES) == expected


@pytest.mark.parametrize("spec, value, rule", [
    (WORK_MEM, "lots", "'lots' is not an integer or a formula"),
    (WORK_MEM, "8mb", "unit mb does not fit the parameter's unit kB"),
    (WORK_MEM, "10s", "unit s does not fit the parameter's unit kB"),
    (WORK_MEM, "1.5kB", "'1.5kB' is not a whole number of kB"),
    (SHARED_BUFFERS, "12kB", "'12kB' is not a whole number of 8kB"),
    (SHARED_BUFFERS, "64kB", "8 is outside the allowed values 16-1073741823"),
    (CHECKPOINT_TIMEOUT, "2d", "172800 is outside the allowed values 30-86400"),
    (LOG_TEMP_FILES, "1MB", "'1MB' has a unit but the parameter takes a plain number"),
    (HUGE_PAGES, "sometimes", "'sometimes' is not one of off, on, try"),
    (WORK_MEM, 32, "32 is outside the allowed values 64-2147483647"),
    (WORK_MEM, 1.5, "1.5 is not an integer"),
    (WORK_MEM, True, "is a boolean but the parameter takes an integer"),
    (LOG_TEMP_FILES, -2, "-2 is outside the allowed values -1-2147483647"),
    (SPLIT_RANGE, 150, "150 is outside the allowed values 1-100,200-300"),
    (MAX_CONNECTIONS, "{DBInstanceClassMemroy/4}", "unknown variable DBInstanceClassMemroy"),
    (MAX_CONNECTIONS, "{DBInstanceClassMemory/4", "expected }, found the end"),
    (MAX_CONNECTIONS, "GREATEST({DBInstanceClassMemory/4},10))", "unexpected ) after the value"),
    (MAX_CONNECTIONS, "{DBInstanceClassMemory-1}", "expected }, found -"),
    (MAX_CONNECTIONS, "{DBInstanceClassMemory;4}", "unexpected character"),
    (RANDOM_PAGE_COST, "fast", "'fast' is not a number"),
    (RANDOM_PAGE_COST, "-1", "-1 is outside the allowed values 0-1.79769e+308"),
    (RANDOM_PAGE_COST, "NaN", "not a finite number"),
    (COMPLETION_TARGET, 1.5, "1.5 is outside the allowed values 0-1"),
    (LOG_CONNECTIONS, "maybe", "'maybe' is not a boolean"),
    (LOG_CONNECTIONS, 2, "2 is not a boolean"),
    (LOG_STATEMENT, "everything", "'everything' is not one of none, ddl, mod, all"),
    (LOG_STATEMENT, True, "is a boolean but the parameter takes a string"),
    (LOG_STATEMENT, ["mod"], "a list is only accepted for list parameters"),
    (PRELOAD, "pg_stat_statements,pg_hint_plan", "'pg_hint_plan' not allowed"),
    (DATESTYLE, "iso, xyz", "does not match the allowed pattern"),
])
def test_normalise_rejects(spec, value, rule):
    with pytest.raises(InvalidValue) as error:
        normalise_value(spec, value, FORMULA_VARIABLES)
    assert rule in str(error.value)


def test_formulas_rejected_without_formula_variables():
    with pytest.raises(InvalidValue) as error:
        normalise_value(WORK_MEM, "{DBInstanceClassMemory/4}")
    assert "is not an integer" in str(error.value) and "formula" not in str(error.value)


def test_validation_reports_every_problem_at_once():
    normalised, problems = validate_parameters(
        {
            "max_connections": 0,
            "work_mem": "lots",
            "shared_bufers": 1024,
            "no_such_thing": 1,
            "rds.extensions": "x",
            "log_statement": "mod",
            "log_connections": "on",
        },
        METADATA, "postgres16", FORMULA_VARIABLES,
    )
    assert normalised == {"log_statement": "mod", "log_connections": "1"}
    assert problems == [
        "parameters.max_connections: 0 is outside the allowed values 6-262143",
        "parameters.no_such_thing: unknown parameter for family postgres16",
        "parameters.rds.extensions: not modifiable in family postgres16",
        "parameters.shared_bufers: unknown parameter for family postgres16 (did you mean shared_buffers?)",
        "parameters.work_mem: 'lots' is not an integer or a formula",
    ]


def test_unknown_name_suggests_closest_parameter():
    problems = validate_parameters({"work_meme": 1}, METADATA, "postgres16")[1]
    assert problems == ["parameters.work_meme: unknown parameter for family postgres16 (did you mean work_mem?)"]


@pytest.mark.parametrize("spec, first, second", [
    (RANDOM_PAGE_COST, "1.10", "1.1"),
    (RANDOM_PAGE_COST, "4.0", 4),
    (LOG_CONNECTIONS, "1", True),
    (LOG_CONNECTIONS, "on", "1"),
    (PRELOAD, "pg_cron,pg_stat_statements", "pg_stat_statements, pg_cron"),
    (MAX_CONNECTIONS, "{DBInstanceClassMemory/9531392}", "{ DBInstanceClassMemory / 9531392 }"),
    (LOG_STATEMENT, "MOD", "mod"),
    (WORK_MEM, "8192", "8MB"),
    (CHECKPOINT_TIMEOUT, "600", "10min"),
])
def test_equivalent_values_compare_equal(spec, first, second):
    assert comparison_key(spec, first) == comparison_key(spec, second)


@pytest.mark.parametrize("spec, first, second", [
    (RANDOM_PAGE_COST, "1.1", "1.2"),
    (LOG_CONNECTIONS, "1", "0"),
    (PRELOAD, "pg_cron", "pg_cron,pg_stat_statements"),
    (WORK_MEM, None, "4096"),
])
def test_different_values_compare_different(spec, first, second):
    assert comparison_key(spec, first) != comparison_key(spec, second)


def test_comparison_key_of_float_is_decimal():
    assert comparison_key(RANDOM_PAGE_COST, "1.10") == Decimal("1.1")


def current_group(**values):
    """Group listing: the given user-set values, every other parameter at its default."""
    current = {}
    for name, spec in METADATA.items():
        if name in values:
            current[name] = ParameterSpec(name, spec.data_type, spec.allowed_values, spec.modifiable,
                                          spec.apply_type, values[name], "user")
        else:
            current[name] = ParameterSpec(name, spec.data_type, spec.allowed_values, spec.modifiable,
                                          spec.apply_type, spec.value, "engine-default")
    return current


def test_plan_modifies_only_what_differs():
    current = current_group(random_page_cost="1.1", log_connections="1", work_mem="8192")
    normalised = {"random_page_cost": "1.1", "log_connections": "1", "work_mem": "16384", "rds.force_ssl": "1",
                  "max_connections": "{DBInstanceClassMemory/9531392}"}
    modifications, resets = plan_changes(normalised, METADATA, current)
    assert modifications == [
        {"name": "rds.force_ssl", "before": "0", "after": "1", "apply_type": STATIC,
         "apply_method": "pending-reboot"},
        {"name": "work_mem", "before": "8192", "after": "16384", "apply_type": DYNAMIC,
         "apply_method": "immediate"},
    ]
    assert resets == []


def test_plan_for_new_group_compares_with_family_defaults():
    modifications = plan_changes({"work_mem": "4096", "log_statement": "mod"}, METADATA, {})[0]
    assert [(change["name"], change["before"], change["after"]) for change in modifications] == [
        ("log_statement", "none", "mod"),
    ]


def test_purge_resets_user_parameters_not_listed_to_family_default():
    current = current_group(work_mem="8192", shared_preload_libraries="pg_stat_statements,pg_cron",
                            log_statement="mod")
    modifications, resets = plan_changes({"log_statement": "mod"}, METADATA, current, purge=True)
    assert modifications == []
    assert resets == [
        {"name": "shared_preload_libraries", "before": "pg_stat_statements,pg_cron", "after": "pg_stat_statements",
         "apply_type": STATIC, "apply_method": "pending-reboot"},
        {"name": "work_mem", "before": "8192", "after": "4096", "apply_type": DYNAMIC,
         "apply_method": "immediate"},
    ]


def test_without_purge_unlisted_user_parameters_stay():
    current = current_group(work_mem="8192")
    assert plan_changes({}, METADATA, current) == ([], [])


def test_batches_of_twenty():
    items = list(range(45))
    chunks = batches(items)
    assert [len(chunk) for chunk in chunks] == [20, 20, 5]
    assert [item for chunk in chunks for item in chunk] == items
    assert batches([]) == []


def test_parameters_diff_holds_only_changes():
    before, after = parameters_diff([
        {"name": "work_mem", "before": "4096", "after": "8192", "apply_type": DYNAMIC, "apply_method": "immediate"},
    ])
    assert before == {"work_mem": "4096"} and after == {"work_mem": "8192"}


def test_open_ended_ranges_bound_only_from_below():
    spec = ParameterSpec("timeout", data_type="integer", allowed_values="0,20-")
    assert normalise_value(spec, 300) == "300"
    assert normalise_value(spec, 0) == "0"
    with pytest.raises(InvalidValue, match="outside the allowed values 0,20-"):
        normalise_value(spec, 5)
