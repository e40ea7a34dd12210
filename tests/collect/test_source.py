"""A source folder: files of known languages in name order, dependencies skipped, bad files reported."""

from __future__ import annotations

from pathlib import Path

from zdt.collect.source import scan_source, source_files

QUERY = "SELECT id FROM users WHERE id = $1"


def _write(root: Path, relative: str, text: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_dependencies_vcs_and_virtualenvs_are_skipped(tmp_path: Path) -> None:
    _write(tmp_path, "app/b.ts", f'const q = "{QUERY}";\n')
    _write(tmp_path, "app/a.py", f'Q = "{QUERY}"\n')
    _write(tmp_path, "app/notes.txt", QUERY)
    _write(tmp_path, "node_modules/pg/index.js", f'const q = "{QUERY}";\n')
    _write(tmp_path, ".git/hooks/x.py", f'Q = "{QUERY}"\n')
    _write(tmp_path, "env2/pyvenv.cfg", "home = /usr\n")
    _write(tmp_path, "env2/lib/site.py", f'Q = "{QUERY}"\n')
    _write(tmp_path, "vendor/lib.go", f'package lib\nconst q = "{QUERY}"\n')
    assert [path.relative_to(tmp_path).as_posix() for path in source_files(tmp_path)] == [
        "app/a.py",
        "app/b.ts",
    ]


def test_a_file_that_does_not_parse_is_reported_and_the_rest_collected(tmp_path: Path) -> None:
    _write(tmp_path, "bad.py", "def (:\n")
    _write(tmp_path, "good.py", f'\n\nQ = "{QUERY}"\n')
    scan = scan_source(tmp_path)
    assert scan.files == 2
    assert [(q.origin.place, q.origin.line, q.sql) for q in scan.queries] == [
        (f"{tmp_path.as_posix()}/good.py", 3, QUERY)
    ]
    assert scan.problems == [
        f"{tmp_path.as_posix()}/bad.py: skipped: {tmp_path.as_posix()}/bad.py:1: Python does not parse it: "
        "invalid syntax"
    ]


def test_one_file_may_be_given(tmp_path: Path) -> None:
    _write(tmp_path, "one.go", f"package p\n\nconst q = `{QUERY}`\n")
    scan = scan_source(tmp_path / "one.go")
    assert [(q.name, q.origin.kind) for q in scan.queries] == [(f"{tmp_path.as_posix()}/one.go:3", "source")]


def test_python_driver_placeholders_are_numbered(tmp_path: Path) -> None:
    _write(tmp_path, "db.py", 'cur.execute("SELECT id FROM users WHERE email = %(email)s OR id = %s", p)\n')
    [query] = scan_source(tmp_path).queries
    assert query.sql == "SELECT id FROM users WHERE email = $1 OR id = $2"
