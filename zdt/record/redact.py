"""Redaction: what is taken out of every event before it is hashed and written.

Three kinds of secret, by three means:

- **Known secrets**, replaced wherever they appear: the passwords of the session's connection strings
  (target, staging, session store) and the Anthropic API key (``ANTHROPIC_API_KEY``'s value). The
  connection strings themselves become their redacted form (zdt.db.urls.redact, the form the session
  state and the scratchpads already use).
- **Secrets by shape**, for the ones zdt was never told about: ``sk-ant-...`` keys, the password in any
  ``scheme://user:password@host`` URL and in a ``password=...`` conninfo pair.
- **Sensitive columns** the user names (``[record] sensitive_columns`` in zdt.toml, ``"users.email"``
  or a bare ``"email"``): in structured data, the value under a key of that column's name is replaced,
  and so is that column's value in every row of a ``{"columns": [...], "rows": [[...]]}`` result (what
  ``run_readonly_sql`` returns); a string that is JSON (a tool's result) is parsed, redacted the same
  way and written back. The name is matched without its table: ``users.email`` masks every ``email``. A value
  inside free text (a model's prose quoting a row) is not recognised: only the shapes above are.

Redaction runs on the event's data before the event is sealed, so the hash covers the redacted bytes and
a verifier never needs the secret.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping
from typing import Any

from psycopg.conninfo import conninfo_to_dict

from zdt.db.urls import redact as redact_url

MASK = "***"
API_KEY_ENV = "ANTHROPIC_API_KEY"

_DIGEST = re.compile(r"[0-9a-f]{64}")
_API_KEY = re.compile(r"sk-ant-[A-Za-z0-9_\-]{6,}")
_URL_PASSWORD = re.compile(
    r"(?P<head>\b[a-z][a-z0-9+.\-]*://[^\s:/@]*:)(?P<password>[^\s@/]+)@", re.IGNORECASE
)
_CONNINFO_PASSWORD = re.compile(
    r"(?P<head>\bpassword\s*=\s*)(?P<password>'(?:[^'\\]|\\.)*'|\S+)", re.IGNORECASE
)


def _password(url: str) -> str | None:
    try:
        value = conninfo_to_dict(url).get("password")
    except Exception:  # an unparseable string: nothing to learn from it
        return None
    return str(value) if value else None


class Redactor:
    """Takes the secrets out of event data; built once per session from what the process knows."""

    def __init__(
        self,
        urls: Iterable[str | None] = (),
        secrets: Iterable[str | None] = (),
        sensitive_columns: Iterable[str] = (),
        environ: Mapping[str, str] | None = None,
    ) -> None:
        env = os.environ if environ is None else environ
        self._urls = [url for url in urls if url]
        found = [*secrets, *(_password(url) for url in self._urls), env.get(API_KEY_ENV, "").strip()]
        # longest first, so a secret containing another is replaced whole
        self._secrets = sorted(
            {secret for secret in found if secret and len(secret) >= 3}, key=len, reverse=True
        )
        self._columns = {column.rsplit(".", 1)[-1].lower() for column in sensitive_columns if column}

    def text(self, value: str) -> str:
        if _DIGEST.fullmatch(value):  # a SHA-256 holds no secret; a short one may occur in it by chance
            return value
        for url in self._urls:
            if url in value:
                value = value.replace(url, redact_url(url))
        for secret in self._secrets:
            value = value.replace(secret, MASK)
        value = _API_KEY.sub("sk-ant-" + MASK, value)
        value = _URL_PASSWORD.sub(lambda match: f"{match['head']}{MASK}@", value)
        value = _CONNINFO_PASSWORD.sub(lambda match: f"{match['head']}{MASK}", value)
        if self._columns and value[:1] in "[{" and any(column in value.lower() for column in self._columns):
            value = self._json_text(value)
        return value

    def value(self, value: Any) -> Any:
        """``value`` (JSON-safe data) with every secret replaced by ``***``."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, Mapping):
            masked = {
                str(key): MASK if self._sensitive(key) and value[key] is not None else self.value(value[key])
                for key in value
            }
            return self._columnar(masked) if self._columns else masked
        if isinstance(value, list | tuple):
            return [self.value(item) for item in value]
        return value

    def _columnar(self, table: dict[str, Any]) -> dict[str, Any]:
        """A result shaped ``{"columns": [names], "rows": [[values]]}`` (the run_readonly_sql tool's):
        the sensitive columns' values masked in every row."""
        columns, rows = table.get("columns"), table.get("rows")
        if not isinstance(columns, list) or not isinstance(rows, list):
            return table
        hidden = {index for index, name in enumerate(columns) if self._sensitive(name)}
        if not hidden:
            return table
        table["rows"] = [
            [MASK if index in hidden and cell is not None else cell for index, cell in enumerate(row)]
            if isinstance(row, list)
            else row
            for row in rows
        ]
        return table

    def _sensitive(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self._columns

    def _json_text(self, value: str) -> str:
        try:
            parsed = json.loads(value)
        except ValueError:
            return value
        return json.dumps(self.value(parsed), indent=2, ensure_ascii=False)
