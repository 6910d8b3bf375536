"""`passerelle run` of a Shopify project against the simulator: a 40-line order with two shipping lines is
written whole; with the connector's follow-up switched off by the endpoint's `override`, that order
is set aside with the reason (flow, key, field) and the other orders go on."""
from __future__ import annotations

import json
from pathlib import Path

from passerelle_sandbox import Sandbox
from shopify_support import EXCHANGE, lengthen
from support import run_cli

GID = "gid://shopify/Order/5829173215423"  # data set order 1042
PROJECT = """\
endpoints:
  shop:
    use: shopify
    settings: { base_url: "${env:SHOP_URL}", access_token: "${env:SHOP_TOKEN}" }
OVERRIDE
  out: { use: exchange, settings: { dir: "OUT_DIR" } }
flows:
  orders_out:
    source: { endpoint: shop, read: orders }
    target: { endpoint: out, write: save_order, with: { ref: legacyResourceId } }
    map:
      name: { from: name }
      lines:
        - each: lineItems.edges[].node
          map: { sku: { from: sku }, qty: { from: quantity } }
      shipping:
        - each: shippingLines.edges[].node
          from: title
"""
NO_FOLLOW_UP = "    override: { resources: { orders: { nested: { lineItems: { follow: null } } } } }"


def _project(tmp_path: Path, override: str = "") -> Path:
    root = tmp_path / "project"
    (root / "connectors").mkdir(parents=True)
    (tmp_path / "out").mkdir()
    (root / "connectors" / "exchange.yaml").write_text(EXCHANGE, encoding="utf-8")
    (root / "shop.yaml").write_text(PROJECT.replace("OVERRIDE", override).replace("OUT_DIR", str(tmp_path / "out")), encoding="utf-8")
    return root


def _run(tmp_path: Path, project: Path, sb: Sandbox, monkeypatch, *args: str) -> tuple[int, str, str]:
    monkeypatch.setenv("SHOP_URL", sb.url("shopify"))
    monkeypatch.setenv("SHOP_TOKEN", sb.credentials("shopify")["access_token"])
    return run_cli([*args, str(project), "--state", str(tmp_path / "state")], tmp_path)


def _written(tmp_path: Path) -> dict[str, dict]:
    return {path.stem: json.loads(path.read_text()) for path in (tmp_path / "out" / "orders").glob("*.json")}


def test_a_long_order_is_written_whole(tmp_path, monkeypatch):
    project = _project(tmp_path)
    with Sandbox(systems=("shopify",), orders=12) as sb:
        skus = lengthen(sb.sim("shopify"), 1042, lines=40, shipping=2)
        code, out, err = _run(tmp_path, project, sb, monkeypatch, "run")
    assert code == 0, err
    written = _written(tmp_path)
    assert len(written) == 12
    order = written["5829173215423"]
    assert [line["sku"] for line in order["lines"]] == skus and order["shipping"] == ["Carrier 1", "Carrier 2"]


def test_without_the_follow_up_the_long_order_is_set_aside_and_the_others_go_on(tmp_path, monkeypatch):
    project = _project(tmp_path, NO_FOLLOW_UP)
    with Sandbox(systems=("shopify",), orders=12) as sb:
        lengthen(sb.sim("shopify"), 1042, lines=40, shipping=2)
        code, out, err = _run(tmp_path, project, sb, monkeypatch, "run")
        assert code == 3, err  # some records were set aside
        assert "orders_out: 12 read" in err
        code, out, err = _run(tmp_path, project, sb, monkeypatch, "failures", "--format", "json")
    assert code == 0, err
    failed = json.loads(out)
    assert [f["key"] for f in failed] == [GID]
    assert failed[0]["reason"] == ("field lineItems: lineItems has more than 10 entries and the connector cannot "
                                   "read the rest (no follow-up query declared)")
    assert failed[0]["spec"].split(":")[0].endswith("shop.yaml")  # the flow's `source.read`
    written = _written(tmp_path)
    assert len(written) == 11 and "5829173215423" not in written
