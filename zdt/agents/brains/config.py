"""Which Claude model runs the agents: one constant, overridable by ZDT_MODEL.

Model ids age out (the SDK warns months ahead of an end-of-life date), so the id lives in exactly one
place and operators can move to a newer one without a release.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

DEFAULT_MODEL = "claude-sonnet-5-5"
MODEL_ENV = "ZDT_MODEL"
API_KEY_ENV = "ANTHROPIC_API_KEY"
DEFAULT_MAX_RETRIES = 2  # the SDK's own retries of a failed Messages API call


def configured_model(environ: Mapping[str, str] | None = None) -> str:
    value = (environ if environ is not None else os.environ).get(MODEL_ENV, "").strip()
    return value or DEFAULT_MODEL


def api_key_present(environ: Mapping[str, str] | None = None) -> bool:
    return bool((environ if environ is not None else os.environ).get(API_KEY_ENV, "").strip())
