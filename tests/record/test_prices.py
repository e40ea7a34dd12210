"""The price table: longest-prefix match, the configuration and ZDT_PRICES_FILE, unknown stays unknown."""

from __future__ import annotations

from pathlib import Path

from zdt.config import ModelPrice
from zdt.record.prices import PRICES_FILE_ENV, Usage, price_table


def test_cost_uses_the_longest_prefix_and_the_cache_defaults() -> None:
    table = price_table({"claude-sonnet-5": ModelPrice(input=2.0, output=10.0)}, environ={})
    usage = Usage(input_tokens=1_000_000, output_tokens=100_000, cache_read_input_tokens=1_000_000)

    assert table.price_of("claude-sonnet-5-5") is not None
    assert table.price_of("claude-sonnet-5-5")[0] == "claude-sonnet-5"  # type: ignore[index]
    assert table.cost("claude-sonnet-5-5", usage) == 2.0 + 1.0 + 0.2
    assert table.cost("gpt-unknown", usage) is None


def test_a_prices_file_overrides_the_configuration(tmp_path: Path) -> None:
    prices = tmp_path / "prices.toml"
    prices.write_text('[prices."claude-fake"]\ninput = 1.0\noutput = 2.0\ncache_write = 0\ncache_read = 0\n')
    table = price_table(
        {"claude-fake": ModelPrice(input=100.0, output=100.0)}, environ={PRICES_FILE_ENV: str(prices)}
    )

    assert table.cost("claude-fake", Usage(input_tokens=500_000, output_tokens=500_000)) == 1.5
