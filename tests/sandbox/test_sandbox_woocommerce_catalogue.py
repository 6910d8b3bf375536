"""Issue 14: the WooCommerce simulator's catalogue writes (woo_catalogue) — categories as a tree, simple
and variable products with their catalogue members, variations under their parent — accepted,
validated and stored as WooCommerce's REST API does."""
from __future__ import annotations

import httpx

from passerelle_sandbox import Sandbox
from test_sandbox_woocommerce_writes import sb, wc  # noqa: F401  (the same fresh sandbox and signed client)


def err(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, response.json()["code"]


def test_categories_form_a_tree_and_refuse_duplicates_and_missing_parents(wc: httpx.Client) -> None:
    home = wc.post("products/categories", json={"name": "Maison"})
    assert home.status_code == 201, home.text
    candles = wc.post("products/categories", json={"name": "Bougies & senteurs", "parent": home.json()["id"]}).json()
    assert (candles["slug"], candles["parent"]) == ("bougies-senteurs", home.json()["id"])
    again = wc.post("products/categories", json={"name": "Maison"})
    assert err(again) == (400, "term_exists") and again.json()["data"]["resource_id"] == home.json()["id"]
    assert err(wc.post("products/categories", json={"name": "X", "parent": 999})) == (400, "missing_parent")
    assert err(wc.post("products/categories", json={"slug": "x"})) == (400, "rest_missing_callback_param")
    found = wc.get("products/categories", params={"slug": "bougies-senteurs"}).json()
    assert [c["id"] for c in found] == [candles["id"]]
    assert err(wc.put(f"products/categories/{home.json()['id']}", json={"parent": candles["id"]})) == \
        (400, "invalid_term_parent")
    assert wc.put(f"products/categories/{candles['id']}", json={"name": "Bougies"}).json()["name"] == "Bougies"


def test_a_simple_product_with_its_catalogue_members(wc: httpx.Client, sb: Sandbox) -> None:
    cat = wc.post("products/categories", json={"name": "Thés"}).json()
    body = {"name": "Thé vert Sencha 100 g", "sku": "THE-SENCHA", "regular_price": "9.9", "tax_class": "reduced-rate",
            "weight": "0.1", "global_unique_id": "3760123400029", "status": "publish", "manage_stock": True,
            "stock_quantity": 4, "categories": [{"id": cat["id"]}, {"id": 987654}],
            "images": [{"src": "https://cdn.example.test/THE-SENCHA.jpg"}], "description": "Un thé vert."}
    made = wc.post("products", json=body)
    assert made.status_code == 201, made.text
    product = made.json()
    assert (product["price"], product["regular_price"], product["tax_class"], product["weight"]) == \
        ("9.90", "9.90", "reduced-rate", "0.1")
    assert [c["id"] for c in product["categories"]] == [cat["id"]]  # an unknown category id is left out
    assert product["images"][0]["src"] == "https://cdn.example.test/THE-SENCHA.jpg"
    assert (product["stock_quantity"], product["global_unique_id"]) == (4, "3760123400029")
    dup = wc.post("products", json={"name": "B", "sku": "OTHER", "global_unique_id": "3760123400029"})
    assert err(dup) == (400, "product_invalid_global_unique_id")
    assert wc.get("products", params={"sku": "OTHER"}).json() == []  # the refused product is not kept
    assert err(wc.post("products", json={"name": "C", "status": "hidden"})) == (400, "rest_invalid_param")
    assert err(wc.post("products", json={"name": "D", "images": [{"src": "file:///etc/x.jpg"}]})) == \
        (400, "woocommerce_product_image_upload_error")
    changed = wc.put(f"products/{product['id']}", json={"status": "draft", "sale_price": "7.5",
                                                         "date_on_sale_from": "2024-12-01T00:00:00",
                                                         "date_on_sale_to": "2024-12-31T23:59:59"}).json()
    # the sale starts after the simulator's clock (2024-06-01): not on sale yet, the regular price holds
    assert (changed["status"], changed["price"], changed["on_sale"], changed["date_on_sale_to"]) == \
        ("draft", "9.90", False, "2024-12-31T23:59:59")
    assert err(wc.put(f"products/{product['id']}", json={"date_on_sale_from": "demain"})) == (400, "rest_invalid_param")
    assert sb.sim("woocommerce").products[product["id"]]["date_on_sale_from"] == "2024-12-01T00:00:00"


def test_a_variable_product_and_its_variations(wc: httpx.Client, sb: Sandbox) -> None:
    parent = wc.post("products", json={
        "name": "T-shirt coton bio", "type": "variable", "sku": "TS01",
        "attributes": [{"name": "Taille", "variation": True, "visible": True, "options": ["S", "M"]},
                       {"name": "Couleur", "variation": True, "options": ["Bleu"]}]}).json()
    assert (parent["type"], [a["name"] for a in parent["attributes"]]) == ("variable", ["Taille", "Couleur"])
    made = wc.post(f"products/{parent['id']}/variations", json={
        "sku": "TS01-S-BL", "regular_price": "24.9", "manage_stock": True, "stock_quantity": 3,
        "global_unique_id": "3760987600000",
        "attributes": [{"name": "Taille", "option": "S"}, {"name": "Couleur", "option": "Bleu"},
                       {"name": "Matière", "option": "Coton"}]})
    assert made.status_code == 201, made.text
    variation = made.json()
    assert [(a["name"], a["option"]) for a in variation["attributes"]] == [("Taille", "S"), ("Couleur", "Bleu")]
    assert (variation["parent_id"], variation["price"], variation["stock_quantity"]) == (parent["id"], "24.90", 3)
    assert wc.get(f"products/{parent['id']}").json()["variations"] == [variation["id"]]
    assert wc.get("products", params={"sku": "TS01-S-BL"}).json()[0]["id"] == variation["id"]
    assert err(wc.post(f"products/{parent['id']}/variations", json={"sku": "TS01-S-BL"})) == (400, "product_invalid_sku")
    assert err(wc.post("products/999999/variations", json={"sku": "Z"})) == (404, "woocommerce_rest_product_invalid_id")
    assert err(wc.put(f"products/{parent['id']}/variations/{variation['id']}", json={"status": "draft"})) == \
        (400, "rest_invalid_param")
    off = wc.put(f"products/{parent['id']}/variations/{variation['id']}", json={"status": "private",
                                                                               "stock_quantity": 7}).json()
    assert (off["status"], off["stock_quantity"]) == ("private", 7)
    assert err(wc.post("products", json={"name": "G", "type": "grouped"})) == (501, "passerelle_sandbox_not_simulated")


def test_malformed_members_are_refused_and_keep_nothing(wc: httpx.Client, sb: Sandbox) -> None:
    sim = sb.sim("woocommerce")
    count = len(sim.products)
    bad_position = {"name": "X", "type": "variable", "attributes": [{"name": "Taille", "position": "abc"}]}
    assert err(wc.post("products", json=bad_position)) == (400, "rest_invalid_param")
    assert len(sim.products) == count
    pid = next(iter(sim.products))
    # WC_Product::set_tax_class: "standard" and a class the shop does not have are the standard class ""
    assert wc.put(f"products/{pid}", json={"tax_class": "standard"}).json()["tax_class"] == ""
    assert wc.put(f"products/{pid}", json={"tax_class": "Reduced rate"}).json()["tax_class"] == "reduced-rate"
    assert wc.put(f"products/{pid}", json={"tax_class": "reduce-rate"}).json()["tax_class"] == ""
    for price in ("NaN", "Infinity", "-1", "1e3"):
        assert err(wc.put(f"products/{pid}", json={"regular_price": price})) == (400, "rest_invalid_param")
