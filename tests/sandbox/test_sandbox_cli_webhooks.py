"""``passerelle sandbox --webhook TOPIC=URL``: the shop simulators subscribe the URL at start, and print the
secret their deliveries are signed with (``webhook_secret``) — what an operator trying ``serve --listen``
against the sandbox needs, without an OAuth 1.0a client to call the WooCommerce webhooks API."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

from engine.connectors.http.flows import OAuth1Auth
from passerelle_sandbox.cli import main
from sandbox_helpers import started_lines

ROOT = Path(__file__).resolve().parents[2]


class _Receiver(BaseHTTPRequestHandler):
    got: list[tuple[str, dict, bytes]] = []

    def do_POST(self):  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        _Receiver.got.append((self.path, dict(self.headers), body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def _signed(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def _wait(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_a_webhook_topic_no_running_shop_sends_is_refused(capsys):
    assert main(["--systems", "sage100", "--webhook", "order.created=http://127.0.0.1:9/x"]) == 1
    assert "no shop simulator running here sends it" in capsys.readouterr().err
    assert main(["--systems", "woocommerce", "--webhook", "order.created"]) == 2
    assert "expected TOPIC=URL" in capsys.readouterr().err


def test_the_sandbox_subscribes_the_urls_and_prints_the_signing_secrets():
    receiver = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    hook = f"http://127.0.0.1:{receiver.server_address[1]}"
    _Receiver.got = []
    process = subprocess.Popen(
        [sys.executable, "-m", "passerelle_sandbox", "--systems", "woocommerce,shopify", "--orders", "3",
         "--webhook", f"order.updated={hook}/webhooks/woo", "--webhook", f"orders/updated={hook}/webhooks/shop"],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "sandbox")])},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines = started_lines(process)
        settings = {line.split()[0]: dict(re.findall(r"(\w+)=(\S+)", line)) for line in lines if " url=" in line}
        woo, shop = settings["woocommerce"], settings["shopify"]
        assert woo["webhook_secret"] and shop["webhook_secret"] and woo["webhook_secret"] != shop["webhook_secret"]
        assert f"woocommerce: webhook order.updated -> {hook}/webhooks/woo" in "\n".join(lines)
        _wait(lambda: any(path == "/webhooks/woo" for path, _, _ in _Receiver.got))  # WooCommerce's ping
        assert _Receiver.got[0][2].startswith(b"webhook_id=")

        order = httpx.get(f"{woo['api']}orders", auth=OAuth1Auth(woo["consumer_key"], woo["consumer_secret"])).json()[0]
        assert httpx.put(f"{woo['api']}orders/{order['id']}", json={"customer_note": "ring"},
                         auth=OAuth1Auth(woo["consumer_key"], woo["consumer_secret"])).status_code == 200
        shop_api, token = shop["api"], shop["access_token"]
        first = httpx.get(f"{shop_api}orders.json", headers={"X-Shopify-Access-Token": token}).json()["orders"][0]
        assert httpx.put(f"{shop_api}orders/{first['id']}.json", json={"order": {"id": first["id"], "note": "x"}},
                         headers={"X-Shopify-Access-Token": token}).status_code == 200
        _wait(lambda: {p for p, _, b in _Receiver.got if not b.startswith(b"webhook_id=")} >= {"/webhooks/woo",
                                                                                                "/webhooks/shop"})
        for path, headers, body in _Receiver.got:
            lower = {k.lower(): v for k, v in headers.items()}
            if path == "/webhooks/woo" and "x-wc-webhook-signature" in lower:
                assert lower["x-wc-webhook-signature"] == _signed(woo["webhook_secret"], body)
                assert json.loads(body)["id"] == order["id"]
            elif path == "/webhooks/shop":
                assert lower["x-shopify-hmac-sha256"] == _signed(shop["webhook_secret"], body)
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
        receiver.shutdown()
