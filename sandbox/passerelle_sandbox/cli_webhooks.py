"""``passerelle sandbox --webhook TOPIC=URL``: subscribe a URL to a shop simulator's webhook topic at start,
as a consultant would in the shop's admin (WooCommerce: Settings > Advanced > Webhooks; Shopify: the
app's webhook subscriptions), so that trying ``serve --listen`` needs no OAuth 1.0a client. The secret
the deliveries are signed with is printed with the shop's settings as ``webhook_secret``: for WooCommerce
one made for the sandbox (the admin asks for one), for Shopify the app's client secret (Shopify signs with it)."""
from __future__ import annotations

import hashlib
from typing import Any

from passerelle_sandbox import shopify_webhooks, woo_webhooks

TOPICS = {"woocommerce": woo_webhooks.SIMULATED, "shopify": shopify_webhooks.SIMULATED}


def parse(specs: list[str]) -> list[tuple[str, str]]:
    """``TOPIC=URL`` pairs; ValueError saying which one is not."""
    pairs = []
    for spec in specs:
        topic, _, url = spec.partition("=")
        if not topic or not url.startswith(("http://", "https://")):
            raise ValueError(f"--webhook {spec!r}: expected TOPIC=URL, e.g. "
                             "order.created=http://127.0.0.1:8080/webhooks/orders_to_sage")
        pairs.append((topic.strip(), url.strip()))
    return pairs


def secret(sandbox: Any, system: str, seed: int) -> str:
    """The secret the system's deliveries are signed with."""
    if system == "shopify":
        return sandbox.sim(system).hooks.client_secret
    return "whsec_" + hashlib.sha256(f"passerelle-sandbox-webhook-{seed}".encode()).hexdigest()[:32]


def subscribe(sandbox: Any, systems: tuple[str, ...], pairs: list[tuple[str, str]], seed: int) -> list[str]:
    """Subscribe each pair on the running shop simulator that sends its topic; a line per subscription.
    ValueError for a topic no running shop simulator sends."""
    lines = []
    for topic, url in pairs:
        system = next((s for s in systems if topic in TOPICS.get(s, ())), None)
        if system is None:
            offered = sorted(t for s in systems for t in TOPICS.get(s, ()))
            raise ValueError(f"--webhook {topic}: no shop simulator running here sends it (topics: "
                             f"{', '.join(offered) or 'none: start woocommerce or shopify'})")
        sim = sandbox.sim(system)
        if system == "woocommerce":  # as its REST create does, the unsigned ping included
            sim.hooks.create(body={"topic": topic, "delivery_url": url, "secret": secret(sandbox, system, seed),
                                   "name": "Passerelle"}, site=sandbox.url(system))
        else:
            sim.hooks.sender.subscribe(topic, url, secret(sandbox, system, seed),
                                       created=sim.now().astimezone(sim.tz).isoformat())
        lines.append(f"{system}: webhook {topic} -> {url}")
    return lines


__all__ = ["parse", "secret", "subscribe"]
