"""RabbitMQ as the webhook queue (issue 15, item 1), against a real broker (tests/rabbitmq_support.py).

With ``webhook_queue: { amqp_url: "${env:AMQP_URL}" }`` the intake of `passerelle serve --listen` publishes
each accepted delivery to a durable queue (persistent message, publisher confirm) before its 200, and a
consumer in serve moves the messages into the state's queue, acknowledging each only once committed
there: the event then becomes one Sage document through the same processing as every queued event.
A SIGKILL right after the 200 loses nothing, a delivery sent twice makes one document, a broker that
is down gets the shop a 503 (and its retry succeeds once the broker is back), and the broker's URL
never shows in the log."""
from __future__ import annotations

import signal
import sqlite3
import uuid

import httpx
import pytest

from rabbitmq_support import rabbitmq_broker  # noqa: F401 (the session's broker)
from webhook_support import (Serve, order_body, queue_rows, shop_and_sage,  # noqa: F401 (a fixture)
                             webhook_project, woo_env, woo_headers)

FLOW = "orders_to_sage"
CANARY = "Canary-amqp-7f3d9b21"  # the broker password of the canary test: never in the log


def broker_project(tmp_path, queue: str):
    project = webhook_project(tmp_path)
    endpoints = project / "endpoints.yaml"
    endpoints.write_text(endpoints.read_text().replace(
        "project:\n", f'project:\n  webhook_queue: {{ amqp_url: "${{env:AMQP_URL}}", queue: {queue} }}\n'))
    return project


def new_order(shop) -> dict:
    """A new paid order in the shop, made after serve's first poll (it comes by webhook only)."""
    from passerelle_sandbox.woo_create import create_order

    sku = shop.orders[max(shop.orders)]["line_items"][0]["sku"]
    with shop.lock:
        return create_order(shop, {"customer_id": 0, "set_paid": True, "payment_method": "bacs",
                                   "billing": {"first_name": "Rabbit", "last_name": "Hook", "email": "r@x.test",
                                               "country": "FR"},
                                   "line_items": [{"sku": sku, "quantity": 1}]}, shop.clock())


def refs(sb) -> list[str]:
    return [doc["Reference"] for doc in sb.sim("sage100").documents]


@pytest.mark.slow
def test_a_webhook_is_confirmed_by_the_broker_before_its_200_and_becomes_one_document_even_sent_twice(
        tmp_path, shop_and_sage, rabbitmq_broker):
    sb, broker, queue = shop_and_sage, rabbitmq_broker, f"test.{uuid.uuid4().hex[:8]}"
    serve = Serve(broker_project(tmp_path, queue), tmp_path / "state", {**woo_env(sb), "AMQP_URL": broker.url})
    try:
        serve.wait_for("amqp_consuming", queue=queue)
        serve.wait_for("flow_summary")
        order = new_order(sb.sim("woocommerce"))
        body = order_body(sb.sim("woocommerce"), order["id"])
        answer = serve.post(FLOW, body, woo_headers(body))
        assert answer.status_code == 200 and answer.json()["queued"]
        assert serve.wait_for("webhook_queued", via="amqp")["delivery"] == answer.json()["queued"]
        assert broker.durable(queue)
        serve.wait_for("webhook_done", key=str(order["id"]))
        again = serve.post(FLOW, body, woo_headers(body))  # the shop's at-least-once: the same delivery
        assert again.status_code == 200
        serve.wait_for("webhook_duplicate", delivery=answer.json()["queued"])
    finally:
        serve.stop()
    assert refs(sb).count(f"WC-{order['id']}") == 1
    assert [row[3] for row in queue_rows(tmp_path / "state")] == ["done"]
    assert broker.queue_depth(queue) == 0  # both messages acknowledged


@pytest.mark.slow
def test_a_sigkill_right_after_the_200_loses_nothing_the_message_waits_in_the_broker(
        tmp_path, shop_and_sage, rabbitmq_broker):
    sb, broker, queue = shop_and_sage, rabbitmq_broker, f"test.{uuid.uuid4().hex[:8]}"
    project, state = broker_project(tmp_path, queue), tmp_path / "state"
    env = {**woo_env(sb), "AMQP_URL": broker.url}
    serve = Serve(project, state, env)
    try:
        serve.wait_for("amqp_consuming", queue=queue)
        serve.wait_for("flow_summary")
        # the state store held by another writer: the consumer cannot commit the event there, so the
        # message stays unacknowledged in the broker when serve is killed (the intake needs no store)
        holder = sqlite3.connect(state / "state.db", isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        order = new_order(sb.sim("woocommerce"))
        body = order_body(sb.sim("woocommerce"), order["id"])
        answer = serve.post(FLOW, body, woo_headers(body))
        assert answer.status_code == 200
        serve.process.send_signal(signal.SIGKILL)
        serve.process.wait(timeout=30)
        holder.rollback()
        holder.close()
    finally:
        serve.stop()
    assert queue_rows(state) == []  # not in the store: in the broker, given back by the kill
    broker.stop_app()  # and a restart of the broker keeps it too: a persistent message in a durable queue
    broker.start_app()
    assert broker.queue_depth(queue) == 1
    assert f"WC-{order['id']}" not in refs(sb)

    again = Serve(project, state, env)
    try:
        again.wait_for("webhook_done", key=str(order["id"]))
    finally:
        again.stop()
    assert refs(sb).count(f"WC-{order['id']}") == 1
    assert [row[3] for row in queue_rows(state)] == ["done"]
    assert broker.queue_depth(queue) == 0


@pytest.mark.slow
def test_a_broker_down_gets_the_shop_a_503_its_retry_succeeds_and_the_url_never_shows(
        tmp_path, shop_and_sage, rabbitmq_broker):
    sb, broker, queue = shop_and_sage, rabbitmq_broker, f"test.{uuid.uuid4().hex[:8]}"
    user = f"canary{uuid.uuid4().hex[:6]}"
    broker.ctl("add_user", user, CANARY)
    broker.ctl("set_permissions", "-p", "/", user, ".*", ".*", ".*")
    url = f"amqp://{user}:{CANARY}@127.0.0.1:{broker.port}/"
    serve = Serve(broker_project(tmp_path, queue), tmp_path / "state", {**woo_env(sb), "AMQP_URL": url})
    try:
        serve.wait_for("amqp_consuming", queue=queue)
        serve.wait_for("flow_summary")
        order = new_order(sb.sim("woocommerce"))
        body = order_body(sb.sim("woocommerce"), order["id"])
        broker.stop_app()
        try:
            refused = serve.post(FLOW, body, woo_headers(body))
            assert refused.status_code == 503 and "retry later" in refused.json()["error"]
            unavailable = serve.wait_for("webhook_unavailable", flow=FLOW)
            assert "broker did not take the event" in unavailable["error"]
            serve.wait_for("amqp_unavailable", queue=queue)
        finally:
            broker.start_app()
        serve.wait_for("amqp_consuming", count=2, queue=queue)  # the consumer reconnected by itself
        retried = serve.post(FLOW, body, woo_headers(body))  # the shop's retry
        assert retried.status_code == 200
        serve.wait_for("webhook_done", key=str(order["id"]))
        page = httpx.get(f"{serve.url}/", timeout=10, follow_redirects=True)
    finally:
        serve.stop()
    assert refs(sb).count(f"WC-{order['id']}") == 1
    log = "".join(serve.lines)
    assert "Traceback" not in log, log[log.index("Traceback") - 300:][:3000]
    assert CANARY not in log and url not in log and CANARY not in page.text
    assert user in log or queue in log  # the log did say things about the broker


def test_the_setting_is_checked_with_clear_messages_that_never_quote_the_url(monkeypatch):
    from engine.errors import OperatorError
    from engine.runtime import amqp_queue

    settings = {"webhook_queue": {"amqp_url": "${env:AMQP_URL}"}}
    found = amqp_queue.amqp_settings(settings, "acme", {"AMQP_URL": f"amqp://u:{CANARY}@h:5672/v"})
    assert found is not None and found.queue == "passerelle.acme.webhooks" and found.prefetch == 100
    assert CANARY not in repr(found) and CANARY not in amqp_queue.why(OSError(f"refused amqp://u:{CANARY}@h/"))
    assert amqp_queue.amqp_settings({}, "acme", {}) is None  # no setting: the state store's queue
    with pytest.raises(OperatorError, match="AMQP_URL is not set"):
        amqp_queue.amqp_settings(settings, "acme", {})
    with pytest.raises(OperatorError, match="must come from the environment") as written:
        amqp_queue.amqp_settings({"webhook_queue": {"amqp_url": f"amqp://u:{CANARY}@h/"}}, "acme", {})
    assert CANARY not in str(written.value)
    with pytest.raises(OperatorError, match="not an amqp:// or amqps:// URL") as other:
        amqp_queue.amqp_settings(settings, "acme", {"AMQP_URL": f"http://u:{CANARY}@h/"})
    assert CANARY not in str(other.value)
    monkeypatch.setitem(__import__("sys").modules, "aio_pika", None)  # the extra not installed
    with pytest.raises(OperatorError, match=r"passerelle\[rabbitmq\]"):
        amqp_queue.client()


def test_validate_refuses_a_url_written_in_the_project_without_showing_its_password(tmp_path):
    from support import run_cli

    project = broker_project(tmp_path, "q")
    endpoints = project / "endpoints.yaml"
    endpoints.write_text(endpoints.read_text().replace("${env:AMQP_URL}", f"amqp://u:{CANARY}@broker/"))
    code, out, err = run_cli(["validate", str(project)], tmp_path)
    assert code == 1 and "project.webhook_queue.amqp_url" in out + err
    assert CANARY not in out + err
    endpoints.write_text(endpoints.read_text().replace(f"amqp://u:{CANARY}@broker/", "${env:AMQP_URL}"))
    assert run_cli(["validate", str(project)], tmp_path)[0] == 0


def test_a_broker_that_does_not_confirm_in_time_is_unavailable_and_the_next_delivery_goes_through(rabbitmq_broker):
    """A memory alarm makes RabbitMQ block publishers: no confirm comes, the intake gives up after its
    timeout (the shop gets a 503) instead of holding the shop until it gives up itself."""
    import asyncio

    from engine.runtime.amqp_queue import AmqpSettings, BrokerUnavailable, Publisher
    from engine.spec.env import Secret

    broker, queue = rabbitmq_broker, f"test.{uuid.uuid4().hex[:8]}"
    publisher = Publisher(AmqpSettings(Secret(broker.url), queue, timeout=1.0))

    async def deliveries() -> str:
        await publisher.publish(FLOW, "d1", "order.created", b"{}", None)
        broker.ctl("set_vm_memory_high_watermark", "0")  # the alarm: publishers blocked
        try:
            with pytest.raises(BrokerUnavailable) as refused:
                await asyncio.wait_for(publisher.publish(FLOW, "d2", "order.created", b"{}", None), 30)
        finally:
            broker.ctl("set_vm_memory_high_watermark", "0.4")
        await publisher.publish(FLOW, "d3", "order.created", b"{}", 1.5)  # reconnected
        await publisher._drop()
        return str(refused.value)

    assert "no answer in time" in asyncio.run(deliveries())
    assert broker.queue_depth(queue) >= 2  # d1 and d3 (d2 may be kept too once unblocked: a retry is a duplicate)
