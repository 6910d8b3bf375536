"""Two acknowledgements on Shopify against its simulator: `tag_order` (tagsAdd) and `update_order`
(orderUpdate with a metafield holding the id the target answered). Each is sent once per order, and
a failing second one is sent alone by the next run.

(`update_order` carries the metafield inside its `input` object; the example project
`specs/examples/sage100-shopify` writes it with `set_order_metafields` instead.)"""
from __future__ import annotations

from pathlib import Path

from passerelle_sandbox import Sandbox
from shopify_support import EXCHANGE
from support import run_cli

PROJECT = """\
endpoints:
  shop:
    use: shopify
    settings: { base_url: "${env:SHOP_URL}", access_token: "${env:SHOP_TOKEN}" }
  out: { use: exchange, settings: { dir: "OUT_DIR" } }
flows:
  orders_out:
    source: { endpoint: shop, read: orders }
    target: { endpoint: out, write: save_order, with: { ref: legacyResourceId } }
    acknowledge:
      - name: tag
        endpoint: shop
        write: tag_order
        map:
          id: { from: id }
          tags: [{ value: erp-exported }]
      - name: erp_file
        endpoint: shop
        write: update_order
        map:
          id: { from: id }
          metafields:
            - map:
                namespace: { value: erp }
                key: { value: file }
                type: { value: single_line_text_field }
                value: { from: _target.id }
    map:
      name: { from: name }
"""


def _project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "connectors").mkdir(parents=True)
    (tmp_path / "out").mkdir()
    (root / "connectors" / "exchange.yaml").write_text(EXCHANGE, encoding="utf-8")
    (root / "shop.yaml").write_text(PROJECT.replace("OUT_DIR", str(tmp_path / "out")), encoding="utf-8")
    return root


def _run(tmp_path: Path, project: Path, sb: Sandbox, monkeypatch, *args: str) -> tuple[int, str, str]:
    monkeypatch.setenv("SHOP_URL", sb.url("shopify"))
    monkeypatch.setenv("SHOP_TOKEN", sb.credentials("shopify")["access_token"])
    return run_cli([*args, str(project), "--state", str(tmp_path / "state")], tmp_path)


class Mutations:
    """Counts the mutations the simulator answered, by name; ``fail`` makes one of them answer 503."""

    def __init__(self, sim):
        self.sim, self.handle, self.seen, self.fail = sim, sim.handle, [], None
        sim.handle = self

    def __call__(self, request):
        body = request.body.decode("utf-8", "replace")
        name = next((n for n in ("TagOrder", "UpdateOrder") if f"mutation {n}" in body), None)
        if name is not None and name == self.fail:
            from passerelle_sandbox._http import Response
            return Response(400, b'{"errors": "metafields are locked"}', [("Content-Type", "application/json")])
        response = self.handle(request)
        if name is not None and response.status == 200:
            self.seen.append(name)
        return response


def test_tag_and_metafield_each_once_the_failed_one_alone_later(tmp_path, monkeypatch):
    project = _project(tmp_path)
    with Sandbox(systems=("shopify",), orders=4) as sb:
        sim = sb.sim("shopify")
        orders = list(sim.orders)
        mutations = Mutations(sim)
        mutations.fail = "UpdateOrder"  # the second acknowledgement fails; the tag goes through
        code, out, err = _run(tmp_path, project, sb, monkeypatch, "run")
        assert code == 3 and f"{len(orders)} acknowledgements to retry" in err, err
        assert mutations.seen == ["TagOrder"] * len(orders)
        assert all("erp-exported" in o["tags"] for o in orders) and not any(o["_metafields"] for o in orders)
        assert len(list((tmp_path / "out" / "orders").glob("*.json"))) == len(orders)
        code, out, err = _run(tmp_path, project, sb, monkeypatch, "failures")
        assert out.count("acknowledgement 'erp_file' failed") == len(orders), out
        assert "metafields are locked" in out and "'tag'" not in out
        mutations.fail = None  # the shop is back: only the metafields are sent, the tags are not
        code, out, err = _run(tmp_path, project, sb, monkeypatch, "run")
        assert code == 0, err
        assert mutations.seen == ["TagOrder"] * len(orders) + ["UpdateOrder"] * len(orders)
        assert all([m["key"] for m in o["_metafields"]] == ["file"] for o in orders)
        code, out, err = _run(tmp_path, project, sb, monkeypatch, "run")
        assert len(mutations.seen) == 2 * len(orders)  # a third run sends nothing
