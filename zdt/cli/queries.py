"""``zdt queries collect``: the application's query corpus, from every place its queries come from.

Compatibility checks (``zdt run --queries``) and the rehearsal load need the queries the running code
sends; few teams keep them in a ``.sql`` file. This command collects them from the code (string literals
that parse as queries), from ``pg_stat_statements`` on a server, and from a Prisma schema, and writes
one JSON corpus that ``--queries`` accepts wherever it accepts a ``.sql`` file.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import typer

from zdt.analysis.source import SqlSyntaxError
from zdt.cli.run_guard import EXIT_BAD_INPUT, EXIT_OK, fail
from zdt.collect import PrismaSchemaError, StatsUnavailable, collect_corpus

queries_app = typer.Typer(
    name="queries",
    help="The application's queries: collect them into one corpus (JSON) for --queries.",
    no_args_is_help=True,
    add_completion=False,
)


@queries_app.command("collect")
def collect_command(
    from_file: list[Path] = typer.Option(
        [], "--from-file", metavar="FILE", help="A .sql file of queries ('-- name:' comments kept)."
    ),
    from_source: list[Path] = typer.Option(
        [], "--from-source", metavar="DIR", help="Application code: .py, .ts/.js, .go, .rb string literals."
    ),
    from_stats: str | None = typer.Option(
        None, "--from-stats", metavar="URL", help="A server whose pg_stat_statements to read (read-only)."
    ),
    prisma: Path | None = typer.Option(
        None, "--prisma", metavar="SCHEMA", help="A schema.prisma: the SQL the Prisma client sends."
    ),
    out: Path | None = typer.Option(
        None, "--out", metavar="FILE", help="Write the corpus here (default: stdout)."
    ),
) -> None:
    """Collect the application's queries into one corpus, each with its origin. Exit 2 on bad input."""
    if not (from_file or from_source or from_stats or prisma):
        raise fail(
            "say where the queries are: --from-file, --from-source, --from-stats or --prisma", EXIT_BAD_INPUT
        )
    for directory in from_source:
        if not directory.exists():
            raise fail(f"no such source folder: {directory}", EXIT_BAD_INPUT)
    try:
        corpus = collect_corpus(files=from_file, sources=from_source, stats_url=from_stats, prisma=prisma)
    except (SqlSyntaxError, StatsUnavailable, PrismaSchemaError) as error:
        raise fail(str(error), EXIT_BAD_INPUT) from None
    except OSError as error:
        raise fail(f"cannot read {error.filename}: {error.strerror}", EXIT_BAD_INPUT) from None
    text = corpus.to_json()
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text, encoding="utf-8")
    kinds = Counter(query.origin.kind for query in corpus.queries)
    counts = ", ".join(f"{count} from {kind}" for kind, count in sorted(kinds.items())) or "none"
    typer.echo(f"{len(corpus.queries)} queries ({counts})" + (f" written to {out}" if out else ""), err=True)
    for note in corpus.notes:
        typer.echo(f"  {note}", err=True)
    raise typer.Exit(EXIT_OK)
