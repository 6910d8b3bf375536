"""Shopify's inventory_levels/update into a coalescing flow (issue 15): the simulator sends a burst of
signed deliveries for one inventory level (three inventorySetQuantities), `serve`'s intake queues them,
and the flow (`coalesce: true`) processes only the latest quantity: one file written, the older events
superseded."""
from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

from engine.runtime.session import Session
from engine.runtime.webhook_intake import Intake
from engine.runtime.webhook_run import EventProcessor
from passerelle_sandbox import Sandbox, generate

FLOW = "stock_levels"

PROJECT = {
    "connectors/levels.yaml": """\
connector:
  name: levels
  summary: a folder the stock levels are written to
  protocol: file
  settings: { dir: { required: true } }
  file: { dir: "{settings.dir}" }
  operations:
    save_level: { path: "levels/{item}-{location}.json", creates: true }
""",
    "endpoints.yaml": """\
endpoints:
  shop:
    use: shopify
    settings:
      base_url: "${env:SHOP_URL}"
      access_token: "${env:SHOP_TOKEN}"
      webhook_secret: "${env:SHOP_HOOK_SECRET}"
  levels: { use: levels, settings: { dir: "${env:LEVELS_DIR}" } }
""",
    "stock_levels.yaml": """\
flows:
  stock_levels:
    webhooks: { topics: [inventory_levels/update], coalesce: true }
    source: { endpoint: shop, read: inventory_levels }
    target: { endpoint: levels, write: save_level, with: { item: inventory_item_id, location: location_id } }
    map:
      item: { from: inventory_item_id }
      location: { from: location_id }
      available: { from: available }
""",
}

SET = ("mutation M($input: InventorySetQuantitiesInput!) { inventorySetQuantities(input: $input) "
       "{ userErrors { code } } }")


class Clock:
    def __init__(self):
        self.now = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(minutes=5)

    def __call__(self):
        return self.now


def _forwarder(intake: Intake) -> tuple[ThreadingHTTPServer, str, list[int]]:
    """An HTTP front for the intake (what `serve --listen` answers at /webhooks/<flow>)."""
    answers: list[int] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status, _ = intake.receive(FLOW, self.headers.get, body, self.headers.get("Content-Type") or "")
            answers.append(status)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/webhooks/{FLOW}", answers


def test_a_burst_of_inventory_level_updates_is_coalesced_to_the_latest_quantity(tmp_path: Path):
    project, out = tmp_path / "project", tmp_path / "out"
    for name, text in PROJECT.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text)
    out.mkdir()
    clock = Clock()
    with Sandbox(systems=("shopify",), dataset=generate(seed=1, orders=1, cases=False),
                 options={"shopify": {"clock": clock}}) as sb:
        shop = sb.sim("shopify")
        env = {"SHOP_URL": sb.url("shopify"), "SHOP_TOKEN": shop.access_token,
               "SHOP_HOOK_SECRET": shop.hooks.client_secret, "LEVELS_DIR": str(out)}
        events: list[dict] = []
        session = Session(project, state_dir=tmp_path / "state", environ=env,
                          log=lambda event, **f: events.append({"event": event, **f}))
        queue = session.state.events()
        intake = Intake(session.live.current, queue, environ=env, log=session.log)
        processor = EventProcessor(session, queue)
        server, url, answers = _forwarder(intake)
        try:
            shop.hooks.sender.subscribe("inventory_levels/update", url, shop.hooks.client_secret)
            item = shop.inventory_by_sku("MUG-CLASSIC")
            api = f"{sb.url('shopify')}/admin/api/{shop.api_version}/graphql.json"
            for quantity in (5, 6, 7):  # a burst: three changes of one level, a second apart
                clock.now += timedelta(seconds=1)
                rows = [{"inventoryItemId": f"gid://shopify/InventoryItem/{item['id']}",
                         "locationId": shop.location["gid"], "quantity": quantity}]
                answer = httpx.post(api, headers={"X-Shopify-Access-Token": shop.access_token}, json={
                    "query": SET, "variables": {"input": {"name": "available", "reason": "correction",
                                                          "ignoreCompareQuantity": True, "quantities": rows}}})
                assert answer.json()["data"]["inventorySetQuantities"]["userErrors"] == []
            assert shop.hooks.sender.wait_idle()
            assert answers == [200, 200, 200]  # each delivery queued (signature checked) before processing
            processor.work_off()
            statuses = [row[0] for row in queue.run("SELECT status FROM webhook_events ORDER BY received_at")]
            assert sorted(statuses) == ["done", "superseded", "superseded"]
            written = list((out / "levels").glob("*.json"))
            assert [p.name for p in written] == [f"{item['id']}-{shop.location['id']}.json"]
            assert json.loads(written[0].read_text())["available"] == 7  # only the latest quantity
            assert [e["event"] for e in events].count("record_created") == 1
            assert [e for e in events if e["event"] == "webhook_superseded"]
        finally:
            server.shutdown()
            server.server_close()
            processor.close()
            session.close()
