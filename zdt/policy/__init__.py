"""What SQL zdt will ever run: statement kinds allowed per phase, and what is never allowed."""

from zdt.policy.sql_policy import PolicyViolation, check_script, check_statement

__all__ = ["PolicyViolation", "check_script", "check_statement"]
