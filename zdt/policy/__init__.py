"""What SQL zdt will ever run: statement kinds allowed per phase, what is never allowed, which functions."""

from zdt.policy.functions import FunctionCatalogue, UnsafeFunction, escape_hatch
from zdt.policy.sql_policy import PolicyViolation, check_script, check_statement

__all__ = [
    "FunctionCatalogue",
    "PolicyViolation",
    "UnsafeFunction",
    "check_script",
    "check_statement",
    "escape_hatch",
]
