"""Robustness of the WooCommerce simulator's catalogue writes (woo_catalogue): random product, variation and
category bodies posted or put with a valid signature always get a WooCommerce-shaped JSON answer (201/200,
a 4xx ``{"code", "message", "data"}``, or 501 not simulated) — never a simulator crash, and a refused
create keeps nothing."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from passerelle_sandbox import Sandbox
from sandbox.test_sandbox_woocommerce import woo_client

NOW = datetime(2024, 6, 1, 8, 0, 0, tzinfo=timezone.utc)
SCALAR = st.one_of(st.none(), st.booleans(), st.integers(-5, 10 ** 6), st.text(max_size=6),
                   st.sampled_from(["variable", "simple", "grouped", "publish", "private", "draft", "9.90", "-1",
                                    "abc", "NaN", "Infinity", "1e3", "3760123400000", "https://cdn.test/a.jpg", "2024-12-01T00:00:00", 15]))
NAMED = st.fixed_dictionaries({"name": st.sampled_from(["Taille", "Couleur", "", "x"])},
                               optional={"position": SCALAR, "options": st.one_of(SCALAR, st.lists(SCALAR, max_size=3)),
                                         "option": SCALAR, "variation": SCALAR, "visible": SCALAR, "id": SCALAR})
ITEM = st.dictionaries(st.sampled_from(["id", "src", "name", "option", "options", "variation", "visible", "key", "position", "alt",
                                        "value"]), st.one_of(SCALAR, st.lists(SCALAR, max_size=3)), max_size=4)
BODY = st.dictionaries(
    st.sampled_from(["name", "type", "status", "sku", "regular_price", "sale_price", "date_on_sale_from",
                     "date_on_sale_to", "tax_class", "weight", "global_unique_id", "categories", "images",
                     "attributes", "image", "manage_stock", "stock_quantity", "meta_data", "parent", "slug",
                     "description"]),
    st.one_of(SCALAR, st.lists(st.one_of(ITEM, NAMED, SCALAR), max_size=3), ITEM), max_size=7)


def fuzz(n: int):
    return settings(max_examples=n, deadline=None, derandomize=True, database=None, print_blob=False,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def wc() -> Iterator[tuple[httpx.Client, Sandbox]]:
    with Sandbox(systems=("woocommerce",), orders=2, options={"woocommerce": {"clock": lambda: NOW}}) as sb:
        with woo_client(sb, at=NOW) as client:
            parent = client.post("products", json={"name": "P", "type": "variable", "sku": "FUZZ-PARENT",
                                                   "attributes": [{"name": "Taille", "variation": True,
                                                                   "options": ["S"]}]}).json()
            yield client, sb, parent["id"]


@fuzz(300)
@given(st.sampled_from(["products", "products/{pid}", "products/{pid}/variations", "products/categories",
                        "products/categories/15"]), BODY)
def test_random_catalogue_writes_get_woocommerce_answers(wc, path: str, body: dict) -> None:
    client, sb, pid = wc
    sim = sb.sim("woocommerce")
    before = (len(sim.products), len(sim.variations), len(sim.categories))
    url = path.format(pid=pid)
    response = (client.put if url[-1].isdigit() else client.post)(url, json=body)
    assert response.status_code in (200, 201, 400, 404, 501), response.text
    answer = response.json()
    if response.status_code >= 400:
        assert set(answer) == {"code", "message", "data"} and answer["data"]["status"] == response.status_code
        assert (len(sim.products), len(sim.variations), len(sim.categories)) == before  # nothing kept
