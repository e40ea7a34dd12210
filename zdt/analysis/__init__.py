"""The statement analyser: what each SQL statement will do to a live PostgreSQL database."""

from zdt.analysis.analyser import analyse_sql
from zdt.analysis.model import Finding, LockMode, RelationLock, Severity, StatementReport

__all__ = ["Finding", "LockMode", "RelationLock", "Severity", "StatementReport", "analyse_sql"]
