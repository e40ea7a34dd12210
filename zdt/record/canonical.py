"""The canonical encoding every event is hashed (and written) in: JSON, sorted keys, no whitespace, UTF-8.

Why one encoding: the hash chain is only as good as the agreement on what bytes were hashed. A verifier
in another process, another zdt version or another language must be able to re-encode an event read
from the log and get the very bytes the writer hashed; sorted keys and fixed separators make the JSON
text a function of the value alone. Non-ASCII stays as UTF-8 (``ensure_ascii=False``) so a line reads as
written; NaN and infinities are refused (they are not JSON).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any


def canonical(value: Any) -> bytes:
    """``value`` as canonical JSON bytes."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def digest(value: Any) -> str:
    """The SHA-256 of ``value``'s canonical encoding (hex): for prompts, states, tool lists."""
    return sha256_hex(canonical(value))
