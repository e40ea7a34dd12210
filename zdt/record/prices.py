"""What a model call cost: the price table, in one place, and the user's overrides of it.

Prices are USD per million tokens, by model id; a key also matches every model id it prefixes
(``claude-sonnet`` prices ``claude-sonnet-5-5``), the longest key winning. The defaults are list prices
per model family when this was written and go stale: override them in ``zdt.toml`` / ``[tool.zdt]``
(``[prices."claude-sonnet-5-5"] input = 3.0 ...``) or in a TOML file named by ``ZDT_PRICES_FILE`` (same
``[prices]`` tables), which wins over both. A model with no price gets no cost (shown as unknown), never
a guess. Cache writes default to 1.25x and cache reads to 0.1x the input price.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ValidationError

from zdt.config import ConfigError, ModelPrice

PRICES_FILE_ENV = "ZDT_PRICES_FILE"
PER_TOKENS = 1_000_000

DEFAULT_PRICES: dict[str, ModelPrice] = {
    "claude-opus": ModelPrice(input=5.0, output=25.0),
    "claude-sonnet": ModelPrice(input=3.0, output=15.0),
    "claude-haiku": ModelPrice(input=1.0, output=5.0),
}


class Usage(BaseModel):
    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_input_tokens: int = 0
    cache_read_input_tokens: int = 0


class PriceTable:
    def __init__(self, prices: Mapping[str, ModelPrice]) -> None:
        self.prices = dict(prices)

    def price_of(self, model: str) -> tuple[str, ModelPrice] | None:
        """The key and price that apply to ``model``: the exact id, else the longest prefix."""
        if model in self.prices:
            return model, self.prices[model]
        keys = sorted((key for key in self.prices if model.startswith(key)), key=len, reverse=True)
        return (keys[0], self.prices[keys[0]]) if keys else None

    def cost(self, model: str, usage: Usage) -> float | None:
        """USD for one call, or None when the model has no price."""
        found = self.price_of(model)
        if found is None:
            return None
        price = found[1]
        cache_write = price.cache_write if price.cache_write is not None else price.input * 1.25
        cache_read = price.cache_read if price.cache_read is not None else price.input * 0.1
        total = (
            usage.input_tokens * price.input
            + usage.output_tokens * price.output
            + usage.cache_creation_input_tokens * cache_write
            + usage.cache_read_input_tokens * cache_read
        )
        return round(total / PER_TOKENS, 8)


def _file_prices(path: Path) -> dict[str, ModelPrice]:
    try:
        with path.open("rb") as file:
            document = tomllib.load(file)
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"{path} ({PRICES_FILE_ENV}): cannot read: {error}") from error
    table = document.get("prices", document)
    try:
        return {str(model): ModelPrice.model_validate(value) for model, value in table.items()}
    except (ValidationError, AttributeError) as error:
        raise ConfigError(f"{path} ({PRICES_FILE_ENV}): not a price table: {error}") from error


def price_table(
    configured: Mapping[str, ModelPrice] | None = None, environ: Mapping[str, str] | None = None
) -> PriceTable:
    """The defaults, overridden by the configuration file's ``[prices]``, then by ``ZDT_PRICES_FILE``."""
    env = os.environ if environ is None else environ
    prices = dict(DEFAULT_PRICES) | dict(configured or {})
    named = env.get(PRICES_FILE_ENV, "").strip()
    if named:
        prices |= _file_prices(Path(named))
    return PriceTable(prices)
