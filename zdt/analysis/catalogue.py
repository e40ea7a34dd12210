"""The rule catalogue as Markdown (docs/rules.md), generated from the rules themselves.

A test regenerates it and compares, so the documentation cannot drift from what the rules say.
Run ``python -m zdt.analysis.catalogue > docs/rules.md`` after changing a rule.
"""

from __future__ import annotations

import inspect

from zdt.analysis.rules import ALL_RULES, Rule


def _section(rule: Rule) -> str:
    doc = inspect.cleandoc(type(rule).__doc__ or "")
    return "\n".join(
        [
            f"## `{rule.id}`",
            "",
            rule.summary,
            "",
            doc,
            "",
            "Flagged:",
            "",
            "```sql",
            rule.bad.strip(),
            "```",
            "",
            "Safe:",
            "",
            "```sql",
            rule.good.strip(),
            "```",
            "",
        ]
    )


def render_catalogue() -> str:
    header = [
        "# zdt lint rules",
        "",
        "Generated from `zdt/analysis/rules/` by `python -m zdt.analysis.catalogue`; every example",
        "below is linted and run on PostgreSQL by the test suite. Suppress a rule for one statement with",
        "`-- zdt-ignore: rule-id -- reason` on the line above it.",
        "",
        "| rule | what it checks |",
        "|---|---|",
        *[f"| [`{rule.id}`](#{rule.id}) | {rule.summary} |" for rule in ALL_RULES],
        "",
    ]
    return "\n".join(header + [_section(rule) for rule in ALL_RULES])


if __name__ == "__main__":
    print(render_catalogue(), end="")
