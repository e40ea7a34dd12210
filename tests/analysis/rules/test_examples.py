"""Every rule's documented examples, proven: the bad one triggers it, the good one does not, and both
are valid SQL that a real server runs against the example schema."""

from __future__ import annotations

import pkgutil

import psycopg
import pytest

from tests.analysis.rules.example_schema import EXAMPLE_SCHEMA
from zdt.analysis import analyse_sql, rules
from zdt.analysis.rules import ALL_RULES, Rule
from zdt.analysis.source import parse_statements
from zdt.schema import introspect


def _fired(rule: Rule, sql: str, conn: psycopg.Connection) -> bool:
    reports = analyse_sql(sql, snapshot=introspect(conn))
    return any(f.rule == rule.id for report in reports for f in report.findings)


def _run_on_server(sql: str, conn: psycopg.Connection) -> None:
    """Run each statement; transaction control and CONCURRENTLY run as written, in autocommit."""
    for statement in parse_statements(sql):
        conn.execute(statement.sql)


@pytest.fixture
def example_db(conn: psycopg.Connection) -> psycopg.Connection:
    conn.execute(EXAMPLE_SCHEMA)
    return conn


def test_every_rule_documents_itself() -> None:
    modules = {info.name for info in pkgutil.iter_modules(rules.__path__)} - {"base"}
    assert sorted(type(rule).__module__.rsplit(".", 1)[1] for rule in ALL_RULES) == sorted(
        name for name in modules if not name.startswith("_")
    ), "every rule module defines exactly one discovered rule"
    for rule in ALL_RULES:
        assert rule.id == rule.id.lower() and " " not in rule.id
        assert rule.summary and rule.bad and rule.good, rule.id
        assert rule.__doc__ and "Anti-pattern" in rule.__doc__, rule.id


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda rule: rule.id)
def test_bad_example_fires_and_good_example_does_not(rule: Rule, example_db: psycopg.Connection) -> None:
    assert _fired(rule, rule.bad, example_db), f"{rule.id}: bad example not flagged"
    assert not _fired(rule, rule.good, example_db), f"{rule.id}: good example flagged"


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda rule: rule.id)
@pytest.mark.parametrize("which", ["bad", "good"])
def test_examples_run_on_a_real_server(
    rule: Rule, which: str, example_db: psycopg.Connection, server_version: int
) -> None:
    sql = getattr(rule, which)
    if which == "bad" and rule.bad_fails_with:
        with pytest.raises(getattr(psycopg.errors, rule.bad_fails_with)):
            _run_on_server(sql, example_db)
        return
    _run_on_server(sql, example_db)


def test_rule_catalogue_is_up_to_date() -> None:
    from pathlib import Path

    from zdt.analysis.catalogue import render_catalogue

    catalogue = Path(__file__).parents[3] / "docs" / "rules.md"
    assert catalogue.read_text() == render_catalogue(), (
        "docs/rules.md is stale: python -m zdt.analysis.catalogue > docs/rules.md"
    )
