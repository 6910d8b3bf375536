"""`make demo` runs the main job end to end; its own checks decide the exit code."""
from engine.cli.demo import main


def test_demo_runs_end_to_end(capsys):
    assert main(["--orders", "12"]) == 0
    out = capsys.readouterr().out
    assert "orders_to_sage: 12 read, 12 created" in out
    assert "orders_to_sage: 0 read, 0 created" in out  # the second run creates nothing
    assert "stock_to_shop: 56 read, 0 created, 1 updated, 55 skipped" in out
    assert "prices_to_shop: 56 read, 22 created" in out and "22 simple product price(s)" in out
    assert out.rstrip().endswith("demo: OK")
