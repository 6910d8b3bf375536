"""PrestaShop simulator: products added with given references, specific prices created and changed
through the webservice, i18n fields written as plain text or per language."""
from __future__ import annotations

from decimal import Decimal

import httpx

from passerelle_sandbox import Sandbox
from sandbox_helpers import error_codes, xml

PRICE = ("<prestashop><specific_price><id_product>{product}</id_product><id_shop>0</id_shop><id_cart>0</id_cart>"
         "<id_currency>0</id_currency><id_country>0</id_country><id_group>{group}</id_group>"
         "<id_customer>0</id_customer><price>{price}</price><from_quantity>1</from_quantity>"
         "<reduction>0</reduction><reduction_tax>0</reduction_tax><reduction_type>amount</reduction_type>"
         "<from>0000-00-00 00:00:00</from><to>0000-00-00 00:00:00</to></specific_price></prestashop>")


def test_a_product_with_a_given_reference_is_served_with_its_stock(ps_w: httpx.Client, fresh: Sandbox) -> None:
    sim = fresh.sim("prestashop")
    product = sim.add_product("BOUG-VANILLE", "Bougie parfumée vanille", Decimal("12.9"), weight="0.35", quantity=7)
    found = ps_w.get("products", params={"filter[reference]": "[BOUG-VANILLE]", "display": "full",
                                         "output_format": "JSON"}).json()["products"]
    assert [(p["id"], p["price"], p["weight"], p["active"]) for p in found] == [
        (product["id"], "12.900000", "0.350000", "1")]
    stock = ps_w.get("stock_availables", params={"filter[id_product]": f"[{product['id']}]", "display": "full",
                                                 "output_format": "JSON"}).json()["stock_availables"]
    assert [(s["id_product_attribute"], s["quantity"]) for s in stock] == [(0, 7)]
    assert sim.stock_for  # the data set's own articles are untouched
    assert product["id"] > max(p.id for p in sim.dataset.products)


def test_patch_a_product_name_as_text_or_per_language(ps_w: httpx.Client, fresh: Sandbox) -> None:
    product = fresh.sim("prestashop").add_product("THE-SENCHA", "Thé vert", "9.9")
    plain = ps_w.patch(f"products/{product['id']}", content=(
        f"<prestashop><product><id>{product['id']}</id><name>Thé vert Sencha 100 g</name><active>0</active>"
        "</product></prestashop>"))
    assert plain.status_code == 200
    assert product["name"] == {1: "Thé vert Sencha 100 g", 2: "Thé vert Sencha 100 g"} and product["active"] == 0
    per_language = ps_w.patch(f"products/{product['id']}", content=(
        f"<prestashop><product><id>{product['id']}</id><name><language id=\"1\">Green tea</language>"
        "<language id=\"2\">Thé vert</language></name></product></prestashop>"))
    assert per_language.status_code == 200 and product["name"] == {1: "Green tea", 2: "Thé vert"}
    shown = xml(ps_w.get(f"products/{product['id']}")).find("product/name")
    assert [n.text for n in shown] == ["Green tea", "Thé vert"]


def test_specific_prices_are_created_then_changed(ps_w: httpx.Client, fresh: Sandbox) -> None:
    sim = fresh.sim("prestashop")
    created = ps_w.post("specific_prices", content=PRICE.format(product=3, group=4, price="10.32"))
    assert created.status_code == 201
    ident = int(xml(created).findtext("specific_price/id"))
    assert sim.tables["specific_prices"][ident]["id_group"] == 4
    changed = ps_w.patch(f"specific_prices/{ident}", content=(
        f"<prestashop><specific_price><id>{ident}</id><price>9.90</price></specific_price></prestashop>"))
    assert changed.status_code == 200 and xml(changed).findtext("specific_price/price") == "9.900000"
    listed = ps_w.get("specific_prices", params={"display": "full", "output_format": "JSON"}).json()
    assert [(p["id"], p["id_product"], p["price"]) for p in listed["specific_prices"]] == [(ident, 3, "9.900000")]
    missing = ps_w.post("specific_prices", content=PRICE.format(product=3, group=4, price="1").replace(
        "<from_quantity>1</from_quantity>", ""))
    assert missing.status_code == 400 and error_codes(missing) == [41]
    assert len(sim.tables["specific_prices"]) == 1
