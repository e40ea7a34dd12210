"""The typed field readers fail with one named error that says which field, not an AttributeError later."""

from __future__ import annotations

import pytest
from pglast import ast

from zdt.analysis.fields import ParseTreeShapeError, node_of, nodes_of, required


def test_required_returns_a_set_field_and_names_a_missing_one() -> None:
    assert required("posts", "RangeVar.relname") == "posts"
    with pytest.raises(ParseTreeShapeError, match=r"RangeVar\.relname is missing"):
        required(None, "RangeVar.relname")


def test_node_of_checks_the_class_and_names_both() -> None:
    relation = ast.RangeVar(relname="posts")
    assert node_of(relation, ast.RangeVar, "IndexStmt.relation") is relation
    with pytest.raises(ParseTreeShapeError, match=r"IndexStmt\.relation: expected RangeVar, got String"):
        node_of(ast.String(sval="posts"), ast.RangeVar, "IndexStmt.relation")


def test_nodes_of_reads_an_empty_list_as_none_and_checks_every_item() -> None:
    assert nodes_of(None, ast.String, "DropStmt.objects") == ()
    names = (ast.String(sval="a"), ast.String(sval="b"))
    assert nodes_of(names, ast.String, "DropStmt.objects") == names
    with pytest.raises(ParseTreeShapeError, match="expected a list, got String"):
        nodes_of(ast.String(sval="a"), ast.String, "DropStmt.objects")
    with pytest.raises(ParseTreeShapeError, match="expected String, got Integer"):
        nodes_of((ast.String(sval="a"), ast.Integer(ival=1)), ast.String, "DropStmt.objects")
