"""`make demo` runs the main job end to end, then the Sage 100 <-> Shopify example; their own checks
decide the exit code."""
from engine.cli import demo_shopify
from engine.cli.demo import main


def test_demo_runs_end_to_end(capsys):
    assert main(["--orders", "12"]) == 0
    out = capsys.readouterr().out
    assert "orders_to_sage: 12 read, 12 created" in out
    assert "orders_to_sage: 0 read, 0 created" in out  # the second run creates nothing
    assert "stock_to_shop: 57 read, 0 created, 1 updated, 56 skipped" in out  # Sage's EMBALLAGE too
    assert "prices_to_shop: 57 read, 21 created" in out and "21 simple product price(s)" in out  # not the long SKU
    assert out.rstrip().endswith("demo: OK")


def test_the_shopify_demo_runs_end_to_end(capsys):
    assert demo_shopify.main(["--orders", "8"]) == 0
    out = capsys.readouterr().out
    assert "customers_to_sage: 80 read, 3 created, 0 updated, 0 skipped, 0 failed, 0 acknowledged, 77 found" in out
    assert "orders_to_sage: 8 read, 8 created" in out and "8 acknowledged" in out
    assert "ranges_to_shop: 8 read, 8 created" in out and "tier_prices_to_shop: 63 read, 12 created" in out
    assert "orders_to_sage: 8 read, 0 created, 0 updated, 8 skipped" in out  # the second run sends nothing
    assert "3 created in Sage, 77 found by e-mail" in out and "9 variants" in out
    assert out.rstrip().endswith("demo: OK")
