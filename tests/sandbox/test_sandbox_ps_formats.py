"""PrestaShop output formats and headers."""
from __future__ import annotations

import hashlib
import json

import httpx

from passerelle_sandbox import Sandbox
from sandbox_helpers import XLINK, error_codes, xml

# Order 1042 as PrestaShop 8.x answers it with ?output_format=JSON (8.x typing), byte for byte.
REFERENCE_JSON = '{"order":{"id":1042,"id_address_delivery":87,"id_address_invoice":87,"id_cart":1311,"id_currency":1,"id_lang":1,"id_customer":56,"id_carrier":3,"current_state":2,"module":"ps_wirepayment","invoice_number":318,"invoice_date":"2024-05-14 10:21:09","delivery_number":0,"delivery_date":"0000-00-00 00:00:00","valid":"1","date_add":"2024-05-14 10:21:07","date_upd":"2024-05-14 10:21:09","shipping_number":"","note":"","id_shop_group":1,"id_shop":1,"secure_key":"3f2c9a7e5b1d4c8f9a0b6e2d7c1f5a93","payment":"Bank transfer","recyclable":"0","gift":"0","gift_message":"","mobile_theme":"0","total_discounts":"3.600000","total_discounts_tax_incl":"3.600000","total_discounts_tax_excl":"3.000000","total_paid":"42.000000","total_paid_tax_incl":"42.000000","total_paid_tax_excl":"35.000000","total_paid_real":"42.000000","total_products":"33.000000","total_products_wt":"39.600000","total_shipping":"6.000000","total_shipping_tax_incl":"6.000000","total_shipping_tax_excl":"5.000000","carrier_tax_rate":"20.000","total_wrapping":"0.000000","total_wrapping_tax_incl":"0.000000","total_wrapping_tax_excl":"0.000000","round_mode":2,"round_type":2,"conversion_rate":"1.000000","reference":"LJHRTGKQE","associations":{"order_rows":[{"id":2201,"product_id":12,"product_attribute_id":34,"product_quantity":2,"product_name":"T-shirt - Color : Blue, Size : M","product_reference":"TSHIRT-BLU-M","product_ean13":"3760000000012","product_isbn":"","product_upc":"","product_price":"12.500000","id_customization":0,"unit_price_tax_incl":"15.000000","unit_price_tax_excl":"12.500000"},{"id":2202,"product_id":27,"product_attribute_id":0,"product_quantity":1,"product_name":"Classic mug","product_reference":"MUG-CLASSIC","product_ean13":"3760000000029","product_isbn":"","product_upc":"","product_price":"8.000000","id_customization":0,"unit_price_tax_incl":"9.600000","unit_price_tax_excl":"8.000000"}]}}}'  # noqa: E501


def test_json_order_1042_matches_the_reference_exactly(ps: httpx.Client) -> None:
    response = ps.get("orders/1042", params={"output_format": "JSON"})
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == json.loads(REFERENCE_JSON)
    assert list(response.json()["order"]) == list(json.loads(REFERENCE_JSON)["order"])  # same field order


def test_xml_envelope_cdata_xlink_and_associations(ps: httpx.Client, big: Sandbox) -> None:
    response = ps.get("orders/1042")
    text = response.text
    assert response.headers["content-type"].startswith("text/xml")
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<prestashop xmlns:xlink="http://www.w3.org/1999/xlink">')
    assert "<total_paid><![CDATA[42.000000]]></total_paid>" in text
    assert '<shipping_number notFilterable="true"></shipping_number>' in text and "<note></note>" in text
    order = xml(response).find("order")
    assert order.find("id_customer").get(f"{{{XLINK}}}href") == big.api_url("prestashop") + "customers/56"
    assert order.find("current_state").get(f"{{{XLINK}}}href").endswith("/api/order_states/2")
    rows = order.find("associations/order_rows")
    assert (rows.get("nodeType"), rows.get("virtualEntity")) == ("order_row", "true")
    assert rows[0].find("product_id").get(f"{{{XLINK}}}href").endswith("/api/products/12")
    assert rows[0].findtext("product_attribute_id") == "34"


def test_lowercase_json_silently_yields_xml(ps: httpx.Client) -> None:
    response = ps.get("orders/1042", params={"output_format": "json"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/xml")
    assert xml(response).findtext("order/id") == "1042"
    header = ps.get("orders/1042", headers={"Output-Format": "JSON"})
    assert header.json()["order"]["id"] == 1042
    io = ps.get("orders/1042", params={"io_format": "JSON"})
    assert io.json()["order"]["id"] == 1042


def test_empty_lists(ps: httpx.Client) -> None:
    empty_json = ps.get("orders", params={"filter[id]": "[1]", "output_format": "JSON"})
    assert empty_json.status_code == 200 and empty_json.content == b"[]" and empty_json.json() == []
    empty_full = ps.get("orders", params={"filter[id]": "[1]", "display": "full", "output_format": "JSON"})
    assert empty_full.content == b"[]"
    empty_xml = ps.get("orders", params={"filter[id]": "[1]"})
    assert xml(empty_xml).find("orders") is not None and len(xml(empty_xml).find("orders")) == 0


def test_errors_documents(ps: httpx.Client) -> None:
    response = ps.get("orders", params={"filter[nope]": "1"})
    root = xml(response)
    assert root.tag == "prestashop" and root.find("errors/error/code").text == "32"
    assert "<code><![CDATA[32]]></code>" in response.text
    as_json = ps.get("orders", params={"filter[nope]": "1", "output_format": "JSON"}).json()
    assert as_json["errors"][0]["code"] == 32 and as_json["errors"][0]["message"].startswith("This filter")


def test_headers_sha1_execution_time_and_304(ps: httpx.Client) -> None:
    response = ps.get("orders/1042")
    assert response.headers["X-Powered-By"] == "PrestaShop Webservice"
    assert response.headers["Content-Sha1"] == hashlib.sha1(response.content).hexdigest()
    assert float(response.headers["Execution-Time"]) >= 0 and int(response.headers["Access-Time"]) > 0
    assert int(response.headers["Content-Length"]) == len(response.content)
    again = ps.get("orders/1042", headers={"Local-Content-Sha1": response.headers["Content-Sha1"]})
    assert again.status_code == 304 and again.content == b""
    head = ps.head("orders/1042")
    assert head.status_code == 200 and head.content == b"" and head.headers["Content-Sha1"] == response.headers["Content-Sha1"]


def test_keep_alive_reuses_one_connection(big: Sandbox) -> None:
    key = big.credentials("prestashop")["key"]
    with httpx.Client(base_url=big.api_url("prestashop"), auth=(key, ""), limits=httpx.Limits(max_connections=1)) as c:
        for _ in range(5):
            assert c.get("orders/1042").status_code == 200
        assert c.get("orders/999999").status_code == 404
        assert c.get("orders", params={"filter[x]": "1"}).status_code == 400
        assert c.get("orders/1042").status_code == 200
    assert not big.sim("prestashop").errors


def test_schema_blank_and_synopsis(ps: httpx.Client) -> None:
    blank = xml(ps.get("order_histories", params={"schema": "blank"}))
    assert [child.tag for child in blank.find("order_history")] == [
        "id", "id_employee", "id_order_state", "id_order", "date_add"]
    synopsis = xml(ps.get("stock_availables", params={"schema": "synopsis"}))
    assert synopsis.find("stock_available/quantity").get("required") == "true"
    assert error_codes(ps.get("orders", params={"schema": "x"})) == [28]


def test_product_and_stock_resources(ps: httpx.Client, big: Sandbox) -> None:
    product = ps.get("products/12", params={"output_format": "JSON"}).json()["product"]
    assert product["reference"] == "TSHIRT" and {"id": 34} in product["associations"]["combinations"]
    combination = ps.get("combinations/34", params={"output_format": "JSON"}).json()["combination"]
    assert (combination["reference"], combination["id_product"]) == ("TSHIRT-BLU-M", 12)
    stock = ps.get("stock_availables", params={"filter[id_product]": "[12]", "filter[id_product_attribute]": "[34]",
                                               "display": "full", "output_format": "JSON"}).json()
    row = stock["stock_availables"][0]
    assert row["quantity"] == big.dataset.article("TSHIRT-BLU-M").stock_shop
    customer = ps.get("customers/56", params={"output_format": "JSON"}).json()["customer"]
    assert (customer["firstname"], customer["lastname"], customer["email"]) == (
        "Claire", "Martin", "claire.martin@example.test")
    carrier = ps.get("carriers/3", params={"output_format": "JSON", "language": "1"}).json()["carrier"]
    assert carrier["name"] == "DHL Express" and isinstance(carrier["delay"], str)
    rule = ps.get("order_cart_rules", params={"filter[id_order]": "[1042]", "display": "full",
                                              "output_format": "JSON"}).json()["order_cart_rules"]
    assert [(r["id"], r["name"], r["value"], r["value_tax_excl"]) for r in rule] == [
        (77, "WELCOME3", "3.600000", "3.000000")]
    carriers = ps.get("order_carriers", params={"filter[id_order]": "[1042]", "display": "full",
                                                "output_format": "JSON"}).json()["order_carriers"]
    assert [(c["id"], c["weight"], c["shipping_cost_tax_incl"]) for c in carriers] == [(990, "0.700000", "6.000000")]
    address = ps.get("addresses/87", params={"output_format": "JSON"}).json()["address"]
    assert address["id_customer"] == 56


def test_unsimulated_resource_answers_501(ps: httpx.Client) -> None:
    response = ps.get("carts/1311")
    assert response.status_code == 501 and error_codes(response) == [0]
    put = ps.put("orders/1042", content="<prestashop/>")
    assert put.status_code == 501
