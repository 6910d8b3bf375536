"""`passerelle validate` on flows that take webhooks: each mistake a located error (issue 15)."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "runtime"))

import shutil  # noqa: E402

from support import ROOT, run_cli  # noqa: E402
from webhook_support import webhook_project  # noqa: E402


def _validate(project: Path) -> tuple[int, str]:
    code, out, err = run_cli(["validate", str(project)], project.parent)
    return code, out + err


def _line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def test_a_flow_taking_webhooks_validates(tmp_path):
    code, out = _validate(webhook_project(tmp_path))
    assert code == 0, out


def _with_topics(tmp_path: Path, topics: str) -> tuple[Path, int, str]:
    project = webhook_project(tmp_path)
    orders = project / "orders_to_sage.yaml"
    orders.write_text(orders.read_text().replace("topics: [order.created, order.updated]", f"topics: {topics}"))
    return (orders, *_validate(project))


def test_an_unknown_topic_is_located_with_a_suggestion(tmp_path):
    orders, code, out = _with_topics(tmp_path, "[order.created, order.update]")
    line = _line_of(orders, "order.update]")
    assert code == 1
    assert f"orders_to_sage.yaml:{line}:" in out and "error[unknown-topic]" in out, out
    assert "flows.orders_to_sage.webhooks.topics[1]" in out and "order.updated" in out, out


def test_a_topic_of_another_resource_is_refused(tmp_path):
    _, code, out = _with_topics(tmp_path, "[product.updated]")
    assert code == 1 and "error[topic-resource]" in out, out
    assert "topic 'product.updated' gives 'products' records, but the flow reads 'orders'" in out, out
    # the way out, said: the records the shop sends are of another read, with its own shape
    assert "hint: its webhooks send 'products' records: a flow taking them reads `read: products`" in out, out


def test_the_shopify_template_orders_flow_reading_graphql_is_told_how_to_take_webhooks(tmp_path):
    """sage100-shopify's orders flow reads the GraphQL `orders`; Shopify's webhooks send REST orders."""
    project = tmp_path / "shop"
    shutil.copytree(ROOT / "specs" / "examples" / "sage100-shopify", project,
                    ignore=shutil.ignore_patterns(".passerelle", "tests"))
    orders = project / "orders_to_sage.yaml"
    orders.write_text(orders.read_text().replace("    schedule: every 5m\n", "    schedule: every 5m\n"
                                                 "    webhooks: { topics: [orders/updated] }\n", 1))
    endpoints = project / "endpoints.yaml"
    endpoints.write_text(endpoints.read_text().replace('      api_version: "2025-04"\n', '      api_version: '
                                                       '"2025-04"\n      webhook_secret: "${env:HOOK_SECRET}"\n'))
    code, out = _validate(project)
    assert code == 1 and out.count("error[") == 1 and "error[topic-resource]" in out, out
    assert "reads `read: orders_rest`" in out and "mapping written for that shape" in out, out


def test_the_secret_must_be_set_on_the_endpoint_and_from_the_environment(tmp_path):
    project = webhook_project(tmp_path)
    endpoints = project / "endpoints.yaml"
    text = endpoints.read_text()
    endpoints.write_text(text.replace('      webhook_secret: "${env:ACME_WC_HOOK_SECRET}"\n', ""))
    code, out = _validate(project)
    assert code == 1 and "error[no-webhook-secret]" in out, out
    assert "endpoint 'shop' does not set 'webhook_secret'" in out, out

    endpoints.write_text(text.replace('"${env:ACME_WC_HOOK_SECRET}"', "written-here"))
    code, out = _validate(project)
    line = _line_of(endpoints, "written-here")
    assert code == 1 and "error[literal-secret]" in out and f"endpoints.yaml:{line}:" in out, out
    assert "written-here" not in out


def test_a_source_without_webhooks_is_refused(tmp_path):
    """PrestaShop has no webhooks in its core: its connector declares none."""
    project = tmp_path / "ps"
    shutil.copytree(ROOT / "specs" / "examples" / "prestashop-sage100", project,
                    ignore=shutil.ignore_patterns(".passerelle", "samples", "tests"))
    orders = project / "orders_to_sage.yaml"
    orders.write_text(orders.read_text().replace("    schedule: every 5m\n", "    schedule: every 5m\n"
                                                 "    webhooks: { topics: [orders/create] }\n", 1))
    code, out = _validate(project)
    line = _line_of(orders, "webhooks:")
    assert code == 1 and f"orders_to_sage.yaml:{line}:" in out and "error[no-webhooks]" in out, out
    assert "connector 'prestashop' of endpoint 'shop' declares no webhooks" in out, out
