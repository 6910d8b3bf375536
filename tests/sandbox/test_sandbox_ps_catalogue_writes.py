"""PrestaShop simulator: products, categories, attribute groups and values and combinations created
through the webservice, with the fields PrestaShop requires, its error codes, the stock rows it adds
and the associations it keeps."""
from __future__ import annotations

import httpx

from passerelle_sandbox import Sandbox
from sandbox_helpers import error_codes, xml


def _post(ps_w: httpx.Client, resource: str, node: str, body: str) -> httpx.Response:
    return ps_w.post(resource, content=f"<prestashop><{node}>{body}</{node}></prestashop>")


def test_a_product_is_created_with_its_stock_row_and_categories(ps_w: httpx.Client, fresh: Sandbox) -> None:
    sim = fresh.sim("prestashop")
    made = _post(ps_w, "products", "product", (
        "<reference>MUG-SAGE-01</reference><price>8.3</price><ean13>3701234567891</ean13><state>1</state>"
        "<name><language id=\"1\">Classic mug</language><language id=\"2\">Mug classique</language></name>"
        "<id_category_default>12</id_category_default>"
        "<associations><categories><category><id>12</id></category></categories></associations>"))
    assert made.status_code == 201, made.text
    ident = int(xml(made).findtext("product/id"))
    product = sim.tables["products"][ident]
    assert product["link_rewrite"] == {1: "classic-mug", 2: "mug-classique"}  # made from the name on create
    assert product["associations"]["categories"] == [{"id": 12}]
    (row,) = [s for s in sim.tables["stock_availables"].values() if s["id_product"] == ident]
    assert (row["id_product_attribute"], row["quantity"], row["out_of_stock"]) == (0, 0, 2)
    found = ps_w.get("products", params={"filter[reference]": "[MUG-SAGE-01]", "display": "full",
                                         "output_format": "JSON"}).json()["products"]
    assert [p["id"] for p in found] == [ident]


def test_a_product_needs_its_price_and_refuses_an_id_or_a_bad_ean(ps_w: httpx.Client, fresh: Sandbox) -> None:
    no_price = _post(ps_w, "products", "product", "<reference>X</reference>")
    assert (no_price.status_code, error_codes(no_price)) == (400, [41])
    with_id = _post(ps_w, "products", "product", "<id>5</id><price>1</price>")
    assert (with_id.status_code, error_codes(with_id)) == (400, [91])
    bad_ean = _post(ps_w, "products", "product", "<price>1</price><ean13>37-01</ean13>")
    assert (bad_ean.status_code, error_codes(bad_ean)) == (400, [85])
    unknown = _post(ps_w, "products", "product", "<price>1</price><associations><tags><tag><id>1</id></tag>"
                                                 "</tags></associations>")
    assert (unknown.status_code, error_codes(unknown)) == (400, [86])


def test_categories_form_a_tree_under_home(ps_w: httpx.Client, fresh: Sandbox) -> None:
    sim = fresh.sim("prestashop")
    deco = _post(ps_w, "categories", "category", "<active>1</active><name>Décoration</name>")
    assert deco.status_code == 201
    parent = int(xml(deco).findtext("category/id"))
    candles = _post(ps_w, "categories", "category",
                    f"<active>1</active><id_parent>{parent}</id_parent><name>Bougies</name>")
    child = sim.tables["categories"][int(xml(candles).findtext("category/id"))]
    assert (sim.tables["categories"][parent]["id_parent"], sim.tables["categories"][parent]["level_depth"]) == (2, 2)
    assert (child["id_parent"], child["level_depth"], child["link_rewrite"][2]) == (parent, 3, "bougies")
    found = ps_w.get("categories", params={"filter[name]": "[Bougies]", "display": "full",
                                           "output_format": "JSON"}).json()["categories"]
    assert [c["id"] for c in found] == [child["id"]]
    nameless = _post(ps_w, "categories", "category", "<active>1</active>")
    assert (nameless.status_code, error_codes(nameless)) == (400, [41])


def test_a_combination_links_its_values_and_gets_a_stock_row(ps_w: httpx.Client, fresh: Sandbox) -> None:
    sim = fresh.sim("prestashop")
    bad_group = _post(ps_w, "product_options", "product_option",
                      "<group_type>list</group_type><name>Taille</name><public_name>Taille</public_name>")
    assert (bad_group.status_code, error_codes(bad_group)) == (400, [85])
    group = int(xml(_post(ps_w, "product_options", "product_option",
                          "<group_type>select</group_type><name>Taille</name><public_name>Taille</public_name>"
                          )).findtext("product_option/id"))
    no_group = _post(ps_w, "product_option_values", "product_option_value", "<name>M</name>")
    assert (no_group.status_code, error_codes(no_group)) == (400, [41])
    value = int(xml(_post(ps_w, "product_option_values", "product_option_value",
                          f"<id_attribute_group>{group}</id_attribute_group><name>M</name>"
                          )).findtext("product_option_value/id"))
    product = int(xml(_post(ps_w, "products", "product", "<price>19</price><name>T-shirt</name>")).findtext("product/id"))
    no_minimum = _post(ps_w, "combinations", "combination", f"<id_product>{product}</id_product>")
    assert (no_minimum.status_code, error_codes(no_minimum)) == (400, [41])
    made = _post(ps_w, "combinations", "combination", (
        f"<id_product>{product}</id_product><minimal_quantity>1</minimal_quantity><reference>TS01-M</reference>"
        f"<associations><product_option_values><product_option_value><id>{value}</id></product_option_value>"
        "</product_option_values></associations>"))
    assert made.status_code == 201, made.text
    combination = sim.tables["combinations"][int(xml(made).findtext("combination/id"))]
    assert combination["associations"]["product_option_values"] == [{"id": value}]
    owner = sim.tables["products"][product]
    assert owner["associations"]["combinations"] == [{"id": combination["id"]}]
    assert (owner["product_type"], owner["id_default_combination"]) == ("combinations", combination["id"])
    rows = {s["id_product_attribute"]: s for s in sim.tables["stock_availables"].values() if s["id_product"] == product}
    assert set(rows) == {0, combination["id"]}
    patched = ps_w.patch(f"stock_availables/{rows[combination['id']]['id']}", content=(
        f"<prestashop><stock_available><id>{rows[combination['id']]['id']}</id><quantity>7</quantity>"
        "</stock_available></prestashop>"))
    assert patched.status_code == 200 and rows[0]["quantity"] == 7  # the product's row is the sum
