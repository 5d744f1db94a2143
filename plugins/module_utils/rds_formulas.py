# -*- coding: utf-8 -*-

# Copyright: Contributors to the dbfleet.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""RDS parameter formulas such as ``LEAST({DBInstanceClassMemory/9531392},5000)`` (the
default of max_connections): one grammar, to check a formula a user sets
(parameter_groups.py) and to evaluate one RDS applies (rds_instance_capacity_info).

Grammar (the RDS User Guide's "DB parameter formulas"):
  value   := number | -number | {product} | FUNCTION(value, ...)   FUNCTION: GREATEST, LEAST, SUM, LOG
  product := factor ((*|/) factor)*
  factor  := number | variable
Division is integer division, as RDS evaluates it; LOG is the base-2 logarithm, rounded down.
"""

import math
import re

GIB = 1024 ** 3
FUNCTIONS = {"GREATEST": max, "LEAST": min, "SUM": sum, "LOG": lambda arguments: int(math.log2(arguments[0]))}
_TOKEN = re.compile(r"\s*(?:(?P<number>\d+(?:\.\d+)?)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<op>[{}(),*/+-]))")


class FormulaError(ValueError):
    pass


def _tokens(text):
    position, tokens = 0, []
    text = text.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            raise FormulaError("unexpected character at position %d" % (position + 1))
        tokens.append(match.group("number") or match.group("name") or match.group("op"))
        position = match.end()
    return tokens


def _number(token):
    return float(token) if "." in token else int(token)


class _Parser(object):
    def __init__(self, tokens, variables):
        self.tokens = tokens
        self.variables = variables
        self.position = 0

    def peek(self):
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self, expected=None):
        token = self.peek()
        if token is None or (expected is not None and token != expected):
            raise FormulaError("expected %s, found %s" % (expected or "a value", token or "the end"))
        self.position += 1
        return token

    def factor(self):
        token = self.take()
        if token[0].isdigit():
            return _number(token)
        if token in self.variables:
            return self.variables[token]
        raise FormulaError("unknown variable %s (known: %s)" % (token, ", ".join(sorted(self.variables))))

    def product(self):
        value = self.factor()
        while self.peek() in ("*", "/"):
            operator, operand = self.take(), self.factor()
            if operator == "*":
                value *= operand
            elif operand == 0:
                raise FormulaError("division by zero")
            else:
                value //= operand
        return value

    def value(self):
        token = self.peek()
        if token == "{":
            self.take("{")
            result = self.product()
            self.take("}")
            return result
        if token is not None and token.upper() in FUNCTIONS:
            function = FUNCTIONS[self.take().upper()]
            self.take("(")
            arguments = [self.value()]
            while self.peek() == ",":
                self.take(",")
                arguments.append(self.value())
            self.take(")")
            return function(arguments)
        if token == "-":
            self.take("-")
            return -_number(self.take())
        if token is not None and token[0].isdigit():
            return _number(self.take())
        raise FormulaError("expected a number, {formula} or GREATEST/LEAST/SUM/LOG, found %s" % (token or "the end"))

    def parse(self):
        result = self.value()
        if self.peek() is not None:
            raise FormulaError("unexpected %s after the value" % self.peek())
        return result


def evaluate_formula(text, variables):
    """Integer value of an RDS parameter value: a number or a formula over `variables`."""
    return int(_Parser(_tokens(str(text)), variables).parse())


def check_formula(text, names):
    """Raises FormulaError when `text` is not a formula over the variable `names`."""
    _Parser(_tokens(str(text)), dict((name, 1) for name in names)).parse()


def is_formula(text):
    return text.startswith("{") or re.match(r"^(%s)\s*\(" % "|".join(FUNCTIONS), text, re.IGNORECASE) is not None


def resolve_max_connections(value, memory_bytes, allocated_storage_gib=None, instance_class=None):
    """(max_connections, how) for a parameter value read from the instance's parameter group.

    `how` is "explicit" for a number and "formula" for an evaluated formula over the class
    memory (`memory_bytes`, None when unknown). Raises FormulaError when a formula cannot be
    evaluated."""
    text = str(value).strip()
    if text.isdigit():
        return int(text), "explicit"
    if memory_bytes is None:
        raise FormulaError("the memory of instance class %s is not known" % instance_class)
    variables = {"DBInstanceClassMemory": memory_bytes}
    if allocated_storage_gib is not None:
        variables["AllocatedStorage"] = int(allocated_storage_gib) * GIB
    return evaluate_formula(text, variables), "formula"
