"""The generic XML records codec, exercised with PrestaShop-shaped options and fixtures."""
from __future__ import annotations

import json
import time
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from engine.connectors.codecs import xmlcodec
from engine.connectors.codecs.xmlcodec import XmlError, XmlOptions, parse_xml, xml_error_messages, xml_to_records
from engine.connectors.codecs.xmlwrite import records_to_xml

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "prestashop"

# What a connector definition would pass in for PrestaShop; the codec itself knows none of it.
PS = XmlOptions(root="prestashop", list_attribute="nodeType", list_containers=("associations",),
                i18n_element="language", list_item_names={"taxes": "tax"})

ORDER_FIELDS = [
    "id", "id_address_delivery", "id_address_invoice", "id_cart", "id_currency", "id_lang",
    "id_customer", "id_carrier", "current_state", "module", "invoice_number", "invoice_date",
    "delivery_number", "delivery_date", "valid", "date_add", "date_upd", "shipping_number", "note",
    "id_shop_group", "id_shop", "secure_key", "payment", "recyclable", "gift", "gift_message",
    "mobile_theme", "total_discounts", "total_discounts_tax_incl", "total_discounts_tax_excl",
    "total_paid", "total_paid_tax_incl", "total_paid_tax_excl", "total_paid_real",
    "total_products", "total_products_wt", "total_shipping", "total_shipping_tax_incl",
    "total_shipping_tax_excl", "carrier_tax_rate", "total_wrapping", "total_wrapping_tax_incl",
    "total_wrapping_tax_excl", "round_mode", "round_type", "conversion_rate", "reference",
    "associations",
]

ROW_2201 = {
    "id": "2201", "product_id": "12", "product_attribute_id": "34", "product_quantity": "2",
    "product_name": "T-shirt - Color : Blue, Size : M", "product_reference": "TSHIRT-BLU-M",
    "product_ean13": "3760000000012", "product_isbn": "", "product_upc": "",
    "product_price": "12.500000", "id_customization": "0", "unit_price_tax_incl": "15.000000",
    "unit_price_tax_excl": "12.500000",
}


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def records_of(name: str, options: XmlOptions = PS) -> tuple[str, list[dict], bool]:
    return xml_to_records(fixture(name), options)


# ---------------------------------------------------------------------------------------------
# Reading PrestaShop-shaped documents

def test_order_list_reads_every_field_in_document_order():
    name, records, is_list = records_of("orders.xml")
    assert (name, is_list, len(records)) == ("orders", True, 2)
    order = records[0]
    assert list(order) == ORDER_FIELDS
    assert order["id"] == "1042"
    assert order["id_address_delivery"] == "87"  # xlink:href dropped, CDATA text kept
    assert order["total_paid_tax_incl"] == "42.000000"
    assert order["carrier_tax_rate"] == "20.000"
    assert order["delivery_date"] == "0000-00-00 00:00:00"
    assert order["reference"] == "LJHRTGKQE"
    assert order["associations"] == {"order_rows": [ROW_2201, {
        **ROW_2201, "id": "2202", "product_id": "27", "product_attribute_id": "0",
        "product_quantity": "1", "product_name": "Classic mug",
        "product_reference": "MUG-CLASSIC", "product_ean13": "3760000000029",
        "product_price": "8.000000", "unit_price_tax_incl": "9.600000",
        "unit_price_tax_excl": "8.000000"}]}


def test_empty_values_both_spellings_are_empty_strings_and_attributes_are_dropped():
    _, (first, second), _ = records_of("orders.xml")
    # <shipping_number notFilterable="true"></shipping_number> and <note></note>
    assert first["shipping_number"] == "" and first["note"] == "" and first["gift_message"] == ""
    # <shipping_number notFilterable="true"><![CDATA[]]></shipping_number>
    assert second["shipping_number"] == "" and second["note"] == ""
    assert second["associations"]["order_rows"][0]["product_isbn"] == ""
    assert second["gift_message"] == "Joyeux anniversaire <Léa> & merci !"


def test_single_object_document_matches_the_list_item():
    name, records, is_list = records_of("order_1042.xml")
    assert (name, is_list) == ("order", False)
    assert records == [records_of("orders.xml")[1][0]]


def test_xml_and_json_renderings_of_the_order_list_agree_as_strings():
    _, xml_records, _ = records_of("orders.xml")
    json_records = json.loads(fixture("orders.json"))["orders"]

    def as_strings(value):
        if isinstance(value, dict):
            return {k: as_strings(v) for k, v in value.items()}
        if isinstance(value, list):
            return [as_strings(v) for v in value]
        return str(value)
    assert xml_records == as_strings(json_records)


def test_id_only_list_items_become_their_plain_attributes():
    assert records_of("orders_ids.xml") == ("orders", [{"id": "1042"}, {"id": "1043"}], True)


def test_empty_lists():
    assert records_of("orders_empty.xml") == ("orders", [], True)
    assert xml_to_records(b"<prestashop><orders/></prestashop>", PS) == ("orders", [], True)


def test_order_details_tax_association_is_a_list():
    name, records, _ = records_of("order_details.xml")
    assert name == "order_details" and [r["id"] for r in records] == ["2201", "2202"]
    tshirt = records[0]
    assert tshirt["associations"] == {"taxes": [{"id": "1"}]}
    assert tshirt["reduction_percent"] == "0.00"
    assert tshirt["total_price_tax_excl"] == "25.000000"
    assert tshirt["total_price_tax_incl"] == "30.000000"
    assert tshirt["id_tax_rules_group"] == "1"
    assert tshirt["download_hash"] == "" and tshirt["product_mpn"] == ""


def test_i18n_field_is_text_for_one_language_and_a_list_for_several():
    _, carriers, _ = records_of("carriers.xml")
    assert carriers[0]["delay"] == "Pick up in-store"
    assert carriers[1]["delay"] == [{"id": "1", "value": "Delivery in 2-3 days"},
                                    {"id": "2", "value": "Livraison en 2 à 3 jours"}]
    assert carriers[1]["url"] == "https://tracking.example.test/?parcel=@"
    _, taxes, _ = records_of("taxes.xml")
    assert [(t["id"], t["rate"], t["name"]) for t in taxes] == [
        ("1", "20.000", "TVA FR 20%"),
        ("2", "10.000", [{"id": "1", "value": "TVA FR 10%"}, {"id": "2", "value": "VAT FR 10%"}]),
        ("3", "5.500", "TVA FR 5.5%")]


def test_customers_and_their_group_association():
    _, customers, _ = records_of("customers.xml")
    claire, lea = customers
    assert (claire["email"], claire["company"], claire["siret"]) == (
        "claire.martin@example.test", "Atelier Martin SARL", "12345678900017")
    assert claire["secure_key"] == "3f2c9a7e5b1d4c8f9a0b6e2d7c1f5a93"  # notFilterable dropped
    assert claire["associations"] == {"groups": [{"id": "3"}]}
    assert (lea["firstname"], lea["company"], lea["birthday"]) == ("Léa", "", "1990-03-21")


def test_without_i18n_option_translations_are_a_plain_dict_or_an_error():
    options = XmlOptions(root="prestashop", list_attribute="nodeType")
    one = b"<prestashop><tax><id>1</id><name><language id='1'>TVA</language></name></tax></prestashop>"
    assert xml_to_records(one, options) == ("tax", [{"id": "1", "name": {"language": "TVA"}}], False)
    with pytest.raises(XmlError, match=r"<language> appears more than once inside <name>") as info:
        xml_to_records(fixture("taxes.xml"), options)
    assert info.value.line == 18


# ---------------------------------------------------------------------------------------------
# The structural rules, one by one

def test_no_envelope_document_element_is_the_resource():
    plain = XmlOptions()
    assert xml_to_records(b"<orders><order><id>1</id></order><order><id>2</id></order></orders>",
                          plain) == ("orders", [{"id": "1"}, {"id": "2"}], True)
    assert xml_to_records(b"<order><id>7</id><note>x</note></order>", plain) == (
        "order", [{"id": "7", "note": "x"}], False)


def test_single_object_with_one_field_is_not_mistaken_for_a_list():
    assert xml_to_records(b"<prestashop><order><id>5</id></order></prestashop>", PS) == (
        "order", [{"id": "5"}], False)
    doc = (b"<prestashop><order><associations><order_rows nodeType='order_row'>"
           b"<order_row><id>1</id></order_row></order_rows></associations></order></prestashop>")
    assert xml_to_records(doc, PS) == (
        "order", [{"associations": {"order_rows": [{"id": "1"}]}}], False)


def test_one_record_list_is_a_list():
    doc = b"<prestashop><orders><order><id>5</id><note/></order></orders></prestashop>"
    assert xml_to_records(doc, PS) == ("orders", [{"id": "5", "note": ""}], True)


def test_empty_list_element_and_empty_container():
    doc = (b"<prestashop><order><id>5</id><associations><order_rows nodeType='order_row' "
           b"virtualEntity='true'></order_rows></associations><x><associations/></x>"
           b"</order></prestashop>")
    _, [order], _ = xml_to_records(doc, PS)
    assert order == {"id": "5", "associations": {"order_rows": []}, "x": {"associations": ""}}


def test_children_of_list_containers_are_lists_even_without_the_marker():
    doc = (b"<prestashop><product><id>1</id><associations><languages>"
           b"<language><id>1</id></language></languages><stock_availables><stock_available>"
           b"<id>8</id><id_product_attribute>0</id_product_attribute></stock_available>"
           b"</stock_availables></associations></product></prestashop>")
    _, [product], _ = xml_to_records(doc, PS)
    assert product["associations"] == {"languages": [{"id": "1"}],
                                       "stock_availables": [{"id": "8",
                                                             "id_product_attribute": "0"}]}


def test_whitespace_text_comments_and_processing_instructions():
    doc = (b"<prestashop><order>\n  <!-- a comment -->\n  <note>  </note>\n"
           b"  <message>a<!-- c -->b<?pi x?>c</message>\n</order></prestashop>")
    assert xml_to_records(doc, PS)[1] == [{"note": "  ", "message": "abc"}]


def test_repeated_element_in_a_record_names_it_and_its_line():
    doc = b"<prestashop>\n<order>\n<id>1</id>\n<note>a</note>\n<note>b</note>\n</order>\n</prestashop>"
    with pytest.raises(XmlError) as info:
        xml_to_records(doc, PS)
    assert info.value.line == 5 and info.value.col is None
    assert "element <note> appears more than once inside <order>" in str(info.value)
    assert str(info.value).startswith("line 5: ")


def test_list_items_must_be_records():
    doc = b"<prestashop>\n<ids>\n<id>1</id>\n<id>2</id>\n</ids>\n</prestashop>"
    with pytest.raises(XmlError, match=r"<id> inside <ids> is not a record \(found str\)") as info:
        xml_to_records(doc, PS)
    assert info.value.line == 3


def test_list_element_with_text_is_refused():
    doc = b"<prestashop><order><associations><order_rows>oops</order_rows></associations></order></prestashop>"
    with pytest.raises(XmlError, match=r"<order_rows> should hold a list of elements but holds text"):
        xml_to_records(doc, PS)


def test_envelope_checks():
    with pytest.raises(XmlError, match=r"expected a <prestashop> document, found <html>"):
        xml_to_records(b"<html><body/></html>", PS)
    with pytest.raises(XmlError, match=r"<prestashop> holds no resource element"):
        xml_to_records(b"<prestashop>\n</prestashop>", PS)
    with pytest.raises(XmlError, match=r"holds several elements \(<orders>, <customers>\)") as info:
        xml_to_records(b"<prestashop>\n<orders/>\n<customers/>\n</prestashop>", PS)
    assert info.value.line == 3


def test_error_documents():
    expected = [("32", 'This filter does not exist. Did you mean: "date_add"? The full list is: '
                       '"id_address_delivery", "id_address_invoice"')]
    assert xml_error_messages(fixture("error_filter.xml"), PS) == expected
    with pytest.raises(XmlError, match=r"the document is an error response: \[32\] This filter"):
        xml_to_records(fixture("error_filter.xml"), PS)
    two = (b"<prestashop><errors><error><code>90</code><message>Id is required</message></error>"
           b"<error><code><![CDATA[89]]></code><message>Duplicate</message></error></errors></prestashop>")
    assert xml_error_messages(two, PS) == [("90", "Id is required"), ("89", "Duplicate")]
    assert xml_error_messages(b"<errors><error><message>m</message></error></errors>",
                              XmlOptions()) == [("", "m")]
    assert xml_error_messages(fixture("orders.xml"), PS) == []
    assert xml_error_messages(b"", PS) == []  # 404 with an empty body
    assert xml_error_messages(b"<html><p>Bad gateway</html>", PS) == []
    assert xml_error_messages(b"<other><errors/></other>", PS) == []


# ---------------------------------------------------------------------------------------------
# Safe parsing

def test_malformed_xml_reports_line_and_column():
    with pytest.raises(XmlError) as info:
        parse_xml(b"<prestashop>\n<orders>\n<order><id>1</id></orders>\n</prestashop>")
    error = info.value
    assert (error.line, error.col) == (3, 27)
    assert error.message == "malformed XML: Opening and ending tag mismatch: order line 3 and orders"
    assert str(error) == f"line 3, column 27: {error.message}"


def test_undefined_entity_is_a_syntax_error():
    with pytest.raises(XmlError, match=r"Entity 'foo' not defined") as info:
        parse_xml(b"<prestashop>\n  <order>\n    <note>&foo;</note>\n  </order>\n</prestashop>")
    assert (info.value.line, info.value.col) == (3, 16)


def test_invalid_utf8_and_empty_documents():
    with pytest.raises(XmlError, match="Invalid bytes in character encoding") as info:
        parse_xml(b"<a>\xc3\x28</a>")
    assert (info.value.line, info.value.col) == (1, 4)
    with pytest.raises(XmlError, match="malformed XML: Document is empty"):
        parse_xml(b"")
    with pytest.raises(TypeError):
        parse_xml("<a/>")  # type: ignore[arg-type]


def test_size_limit():
    doc = b"<prestashop><orders/></prestashop>"
    with pytest.raises(XmlError, match=rf"document is {len(doc)} bytes, above the limit of 20 bytes"):
        parse_xml(doc, max_bytes=20)
    with pytest.raises(XmlError, match="above the limit of 20 bytes"):
        xml_to_records(doc, XmlOptions(root="prestashop", max_bytes=20))
    assert xml_error_messages(doc, XmlOptions(root="prestashop", max_bytes=20)) == []
    assert parse_xml(doc, max_bytes=len(doc)).tag == "prestashop"


def test_billion_laughs_is_refused_quickly():
    started = time.perf_counter()
    with pytest.raises(XmlError) as info:
        xml_to_records(fixture("billion_laughs.xml"), PS)
    assert time.perf_counter() - started < 1.0
    assert (info.value.line, info.value.col) == (2, 1)
    assert "DOCTYPE and ENTITY declarations are not allowed" in info.value.message


def test_xxe_is_refused_before_the_parser_exists(tmp_path, monkeypatch):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    payload = (f'<?xml version="1.0"?>\n<!DOCTYPE prestashop [<!ENTITY xxe SYSTEM "file://{secret}">]>'
               f"\n<prestashop><order><note>&xxe;</note></order></prestashop>").encode()

    def no_parser():
        raise AssertionError("the parser must never be built for a DOCTYPE document")
    monkeypatch.setattr(xmlcodec, "_make_parser", no_parser)
    with pytest.raises(XmlError) as info:
        xml_to_records(payload, PS)
    assert (info.value.line, info.value.col) == (2, 1)
    assert "TOP-SECRET-VALUE" not in str(info.value)
    with pytest.raises(XmlError, match="DOCTYPE"):
        xml_to_records(fixture("xxe.xml"), PS)


def test_xxe_defence_in_depth_parser_and_docinfo_check(tmp_path, monkeypatch):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    payload = (f'<!DOCTYPE a [<!ENTITY xxe SYSTEM "file://{secret}">]><a><b>&xxe;</b></a>').encode()
    # The parser configuration alone never substitutes the external entity...
    root = etree.fromstring(payload, xmlcodec._make_parser())
    assert "TOP-SECRET-VALUE" not in etree.tostring(root, encoding="unicode")
    assert isinstance(root[0][0], etree._Entity) and root[0][0].text == "&xxe;"  # unresolved
    # ...and should the prolog scan ever miss a DOCTYPE, the parsed tree is still refused.
    monkeypatch.setattr(xmlcodec, "_check_prolog", lambda data: None)
    with pytest.raises(XmlError, match="DOCTYPE and ENTITY declarations are not allowed"):
        parse_xml(payload)


@pytest.mark.parametrize(("doc", "line", "col"), [
    (b'<?xml version="1.0"?>\n<!-- c -->\n<?pi x?>\n  <!DOCTYPE a SYSTEM "x"><a/>', 4, 3),
    (b"\xef\xbb\xbf<!DOCTYPE a><a/>", 1, 1),
    ("<!DOCTYPE a><a/>".encode("utf-16"), 1, 1),
    ("<!DOCTYPE a><a/>".encode("utf-16-be"), 1, 1),
    (b"<!ENTITY x 'y'><a/>", 1, 1),
])
def test_declarations_are_found_behind_comments_pis_boms_and_encodings(doc, line, col):
    with pytest.raises(XmlError, match="DOCTYPE and ENTITY declarations are not allowed") as info:
        parse_xml(doc)
    assert (info.value.line, info.value.col) == (line, col)


def test_doctype_text_inside_cdata_is_just_text():
    doc = b"<prestashop><order><note><![CDATA[<!DOCTYPE html><!ENTITY x>]]></note></order></prestashop>"
    assert xml_to_records(doc, PS)[1] == [{"note": "<!DOCTYPE html><!ENTITY x>"}]


def test_utf16_document_without_declarations_parses():
    doc = '<?xml version="1.0" encoding="UTF-16"?><order><name>Léa</name></order>'.encode("utf-16")
    assert xml_to_records(doc, XmlOptions()) == ("order", [{"name": "Léa"}], False)


# ---------------------------------------------------------------------------------------------
# Writing

XML_DECL = b'<?xml version="1.0" encoding="UTF-8"?>\n'
ENVELOPE = b'<prestashop xmlns:xlink="http://www.w3.org/1999/xlink">'


def test_write_status_change_body():
    body = records_to_xml("order_history", {"id_order": 1042, "id_order_state": 14}, PS)
    assert body == (XML_DECL + ENVELOPE + b"<order_history><id_order>1042</id_order>"
                    b"<id_order_state>14</id_order_state></order_history></prestashop>")


def test_write_scalars():
    record = {"price": Decimal("12.500000"), "big": Decimal("1E+2"), "tiny": Decimal("1E-7"),
              "flag": True, "off": False, "none": None, "ratio": 0.1, "qty": -3, "text": "é"}
    body = records_to_xml("x", record, XmlOptions())
    assert body == XML_DECL + ("<x><price>12.500000</price><big>100</big><tiny>0.0000001</tiny>"
                               "<flag>1</flag><off>0</off><none></none><ratio>0.1</ratio>"
                               "<qty>-3</qty><text>é</text></x>").encode()


def test_write_escapes_markup_and_cdata_terminators():
    value = "a <b> & c ]]> d"
    body = records_to_xml("order", {"note": value}, PS)
    assert b"<note>a &lt;b&gt; &amp; c ]]&gt; d</note>" in body
    assert xml_to_records(body, PS) == ("order", [{"note": value}], False)


def test_write_associations_nested_dicts_and_translations():
    record = {"id": 5, "name": [{"id": 1, "value": "TVA 20%"}, {"id": 2, "value": "VAT 20%"}],
              "associations": {"order_rows": [{"id": 1, "product_quantity": 2}, {"id": 2}],
                               "taxes": [{"id": 1}]}}
    body = records_to_xml("thing", record, PS)
    assert body == XML_DECL + ENVELOPE + (
        b'<thing><id>5</id><name><language id="1">TVA 20%</language>'
        b'<language id="2">VAT 20%</language></name><associations><order_rows>'
        b"<order_row><id>1</id><product_quantity>2</product_quantity></order_row>"
        b"<order_row><id>2</id></order_row></order_rows><taxes><tax><id>1</id></tax></taxes>"
        b"</associations></thing></prestashop>")
    assert xml_to_records(body, PS)[1] == [{
        "id": "5", "name": [{"id": "1", "value": "TVA 20%"}, {"id": "2", "value": "VAT 20%"}],
        "associations": {"order_rows": [{"id": "1", "product_quantity": "2"}, {"id": "2"}],
                         "taxes": [{"id": "1"}]}}]


def test_write_then_read_round_trips_a_full_order():
    _, [order], _ = records_of("order_1042.xml")
    body = records_to_xml("order", order, PS)
    assert xml_to_records(body, PS) == ("order", [order], False)


def test_write_errors():
    with pytest.raises(XmlError, match=r"order\.1bad: '1bad' is not a valid XML element name"):
        records_to_xml("order", {"1bad": 1}, PS)
    with pytest.raises(XmlError, match=r"order\.when: cannot write a value of type date"):
        import datetime
        records_to_xml("order", {"when": datetime.date(2024, 5, 14)}, PS)
    with pytest.raises(XmlError, match=r"cannot name the items of list 'data'"):
        records_to_xml("order", {"data": [1]}, PS)
    with pytest.raises(XmlError, match=r"order\.note: the value holds characters XML cannot carry"):
        records_to_xml("order", {"note": "a\x00b"}, PS)
    with pytest.raises(XmlError, match=r"non-finite number NaN"):
        records_to_xml("order", {"total": Decimal("NaN")}, PS)
    with pytest.raises(TypeError):
        records_to_xml("order", ["not", "a", "dict"], PS)  # type: ignore[arg-type]


def test_options_are_frozen_and_hashable():
    options = XmlOptions(root="r", list_containers=["a"], list_item_names={"taxes": "tax"})
    assert options.list_containers == ("a",)
    with pytest.raises(TypeError):
        options.list_item_names["x"] = "y"  # type: ignore[index]
    assert hash(options) == hash(XmlOptions(root="r", list_containers=("a",)))
    assert options == XmlOptions(root="r", list_containers=("a",), list_item_names={"taxes": "tax"})
    with pytest.raises(ValueError, match="max_bytes"):
        XmlOptions(max_bytes=0)
    with pytest.raises(ValueError, match="list_containers"):
        XmlOptions(list_containers="associations")  # type: ignore[arg-type]
