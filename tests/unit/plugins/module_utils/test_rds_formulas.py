"""RDS parameter formulas (plugins/module_utils/rds_formulas.py): one grammar to check the
formulas a user sets and to evaluate the ones RDS applies."""

import pytest

from ansible_collections.dbfleet.aws.plugins.module_utils.rds_formulas import FormulaError
from ansible_collections.dbfleet.aws.plugins.module_utils.rds_formulas import check_formula
from ansible_collections.dbfleet.aws.plugins.module_utils.rds_formulas import evaluate_formula
from ansible_collections.dbfleet.aws.plugins.module_utils.rds_formulas import is_formula
from ansible_collections.dbfleet.aws.plugins.module_utils.rds_formulas import resolve_max_connections

GIB = 1024 ** 3


def test_formulas_evaluate_as_rds_does():
    memory = {"DBInstanceClassMemory": 16 * GIB}
    assert evaluate_formula("LEAST({DBInstanceClassMemory/9531392},5000)", memory) == 16 * GIB // 9531392 == 1802
    assert evaluate_formula("GREATEST({DBInstanceClassMemory*1024/63963136},65536)", memory) == 275036
    assert evaluate_formula("GREATEST({DBInstanceClassMemory*1024/63963136},65536)", {"DBInstanceClassMemory": GIB}) == 65536
    assert evaluate_formula("{DBInstanceClassMemory/32768}", memory) == 524288
    assert evaluate_formula("SUM({DBInstanceClassMemory/1073741824},4)", memory) == 20
    assert evaluate_formula("SUM({DBInstanceClassMemory/1073741824},-4)", memory) == 12
    assert evaluate_formula("LOG(1024)", memory) == 10
    assert evaluate_formula(" 200 ", memory) == 200


@pytest.mark.parametrize("formula", ["LEAST({DBInstanceClassMemory/9531392}", "{Unknown/2}", "{DBInstanceClassMemory/0}",
                                     "LEAST(1,2) 3", "abc", "{DBInstanceClassMemory-1}", "{DBInstanceClassMemory#2}"])
def test_bad_formulas_raise(formula):
    with pytest.raises(FormulaError):
        evaluate_formula(formula, {"DBInstanceClassMemory": GIB})


def test_checking_a_formula_uses_the_same_grammar():
    names = ("DBInstanceClassMemory", "AllocatedStorage")
    check_formula("GREATEST({DBInstanceClassMemory*3/4},{AllocatedStorage/1024})", names)
    with pytest.raises(FormulaError, match=r"unknown variable DBInstanceVCPUs \(known: AllocatedStorage, DBInstanceClassMemory\)"):
        check_formula("{DBInstanceVCPUs*2}", names)
    with pytest.raises(FormulaError, match="expected"):
        check_formula("LEAST({DBInstanceClassMemory/2}", names)
    assert is_formula("{DBInstanceClassMemory/2}") and is_formula("least(1, 2)") and not is_formula("200")


def test_max_connections_explicit_or_formula():
    assert resolve_max_connections("200", None) == (200, "explicit")
    assert resolve_max_connections("LEAST({DBInstanceClassMemory/9531392},5000)", GIB) == (112, "formula")
    assert resolve_max_connections("LEAST({DBInstanceClassMemory/9531392},5000)", 512 * GIB) == (5000, "formula")
    with pytest.raises(FormulaError, match="db.x2g.large"):
        resolve_max_connections("LEAST({DBInstanceClassMemory/9531392},5000)", None, instance_class="db.x2g.large")
