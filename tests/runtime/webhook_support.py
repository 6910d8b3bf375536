"""Shared by the webhook tests and bench/webhooks.py: the WooCommerce <-> Sage 100 example with its orders
flow taking WooCommerce's order webhooks, `passerelle serve --listen` in a subprocess, signed deliveries."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest
from passerelle_sandbox import Sandbox, generate
from passerelle_sandbox.templates import prepare
from passerelle_sandbox.webhooks import Subscription

from support import ROOT

EXAMPLE = ROOT / "specs" / "examples" / "woocommerce-sage100"
SECRET = "whsec1234567890abcdef"


class Clock:
    """The shop's clock, moved by the test (by minutes: its OAuth check allows a few of them)."""

    def __init__(self):
        self.now = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(minutes=5)

    def __call__(self):
        return self.now

    def tick(self, seconds: int = 60):
        self.now += timedelta(seconds=seconds)


def webhook_project(tmp_path: Path, coalesce: bool = False) -> Path:
    """The example, its orders flow taking order.created/order.updated (the other flows left out, and with
    them the order's own delivery address: the document goes to the account's)."""
    project = tmp_path / "project"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns(".passerelle", "tests"))
    for name in ("addresses_to_sage", "payments_to_sage", "refunds_to_sage", "deliveries_to_shop"):
        (project / f"{name}.yaml").unlink(missing_ok=True)
    endpoints = project / "endpoints.yaml"
    endpoints.write_text(endpoints.read_text().replace(
        '      consumer_secret: "${env:ACME_WC_SECRET}"\n',
        '      consumer_secret: "${env:ACME_WC_SECRET}"\n      webhook_secret: "${env:ACME_WC_HOOK_SECRET}"\n'))
    orders = project / "orders_to_sage.yaml"
    text = orders.read_text().replace("    schedule: every 5m\n", "    schedule: every 5m\n    webhooks:\n"
                                      "      topics: [order.created, order.updated]\n"
                                      + ("      coalesce: true\n" if coalesce else ""))
    address = ("        IdAdresseLivraison:\n          from: id\n          transform: [{ xref: { from: shop, type: "
               "delivery_addresses } }, { cast: int }]\n")
    assert address in text  # the order's own address comes from another flow: delivered to the account's
    orders.write_text(text.replace(address, ""))
    return project


@pytest.fixture()
def shop_and_sage():
    """The WooCommerce and Sage 100 simulators, four orders in the shop, set up as the example expects."""
    with Sandbox(systems=("woocommerce", "sage100"), dataset=generate(seed=1, orders=4, cases=False),
                 options={"woocommerce": {"line_price": "total"},
                          "sage100": {"special_articles": ("PORT", "REMISE", "FRAIS")}}) as sb:
        prepare(sb)
        yield sb


def woo_env(sb) -> dict:
    creds = sb.credentials("woocommerce")
    return {"ACME_WC_URL": sb.url("woocommerce"), "ACME_WC_KEY": creds["consumer_key"],
            "ACME_WC_SECRET": creds["consumer_secret"], "ACME_WC_HOOK_SECRET": SECRET,
            "ACME_SAGE_URL": sb.url("sage100"), "ACME_SAGE_TOKEN": sb.credentials("sage100")["token"]}


def sign(body: bytes, secret: str = SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def woo_headers(body: bytes, topic: str = "order.created", webhook_id: int = 7, secret: str = SECRET) -> dict:
    return {"Content-Type": "application/json", "X-WC-Webhook-Topic": topic, "X-WC-Webhook-ID": str(webhook_id),
            "X-WC-Webhook-Signature": sign(body, secret), "X-WC-Webhook-Source": "http://shop.test/"}


class Serve:
    """`passerelle serve PROJECT --listen 127.0.0.1:0 --log-format json` in a subprocess (``state`` None:
    the project's own); its log read in a thread (events by name), its URL from the `listening` event."""

    def __init__(self, project: Path, state: Path | None, env: dict, flows: tuple[str, ...] = ("orders_to_sage",),
                 listen: str | None = "127.0.0.1:0"):
        args = [sys.executable, "-m", "engine", "serve", str(project), *(("--state", str(state)) if state else ()),
                "--log-format", "json", *(("--listen", listen) if listen else ()),
                *[a for f in flows for a in ("--flow", f)]]
        self.process = subprocess.Popen(args, cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE, text=True)
        self.events: list[dict] = []
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        listening = self.wait_for("listening", timeout=60)
        self.url = listening["url"]

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line)
            try:
                self.events.append(json.loads(line))
            except ValueError:
                pass

    def wait_for(self, event: str, count: int = 1, timeout: float = 60, **fields) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [e for e in list(self.events) if e.get("event") == event
                     and all(e.get(k) == v for k, v in fields.items())]
            if len(found) >= count:
                return found[count - 1]
            if self.process.poll() is not None and not self._reader.is_alive():
                break
            time.sleep(0.02)
        raise AssertionError(f"no {count} x {event} {fields} in the log:\n" + "".join(self.lines[-40:]))

    def post(self, flow: str, body: bytes, headers: dict) -> httpx.Response:
        return httpx.post(f"{self.url}/webhooks/{flow}", content=body, headers=headers, timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._reader.join(timeout=5)


def queue_rows(state: Path) -> list[tuple]:
    """(flow, delivery, topic, status, reason) of every event, read-only."""
    db = sqlite3.connect(f"file:{state / 'state.db'}?mode=ro", uri=True)
    try:
        return db.execute("SELECT flow, delivery, topic, status, reason FROM webhook_events "
                          "ORDER BY received_at").fetchall()
    finally:
        db.close()


def order_body(shop, order_id: int) -> bytes:
    """The order as WooCommerce's webhook sends it (the GET representation, written by json_encode)."""
    return shop.hooks.build(Subscription(7, "order.updated", "http://unused.test/", SECRET), "order.updated",
                            order_id)[0]
