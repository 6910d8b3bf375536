"""The <PARAM>/<RESULT> object XML codec of Sage X3 web services: groups, tables, lists, exact values, safe parsing."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from lxml import etree

from engine.connectors.codecs.paramxml import ParamXmlError, decode_param, encode_param, field_text

ORDER = {
    "SOH0_1": {"SALFCY": "FR011", "SOHTYP": "SON", "SOHNUM": None, "ORDDAT": date(2026, 1, 15),
               "BPCORD": "WEB000056", "CUSORDREF": "PS_1042 & <co>"},
    "SOH4_1": [{"ITMREF": "TSHIRT-BLU-M", "QTY": 2, "GROPRI": Decimal("12.500000")},
               {"ITMREF": "MUG-CLASSIC", "QTY": Decimal("1"), "GROPRI": 8.1, "ITMDES1": ""}],
}


def test_groups_tables_and_fields_are_written_in_order() -> None:
    root = etree.fromstring(encode_param(ORDER))
    assert root.tag == "PARAM"
    assert [(b.tag, b.get("ID")) for b in root] == [("GRP", "SOH0_1"), ("TAB", "SOH4_1")]
    group = root[0]
    assert [(f.tag, f.get("NAME"), f.text) for f in group] == [
        ("FLD", "SALFCY", "FR011"), ("FLD", "SOHTYP", "SON"), ("FLD", "ORDDAT", "20260115"),
        ("FLD", "BPCORD", "WEB000056"), ("FLD", "CUSORDREF", "PS_1042 & <co>")]  # SOHNUM None: left out
    lines = root[1]
    assert [lin.get("NUM") for lin in lines] == ["1", "2"]
    assert [(f.get("NAME"), f.text) for f in lines[0]] == [("ITMREF", "TSHIRT-BLU-M"), ("QTY", "2"),
                                                           ("GROPRI", "12.500000")]
    assert [(f.get("NAME"), f.text or "") for f in lines[1]] == [
        ("ITMREF", "MUG-CLASSIC"), ("QTY", "1"), ("GROPRI", "8.1"), ("ITMDES1", "")]


def test_no_xml_declaration_and_escaped_text() -> None:
    text = encode_param({"G": {"A": "x < y & z"}})
    assert text == b'<PARAM><GRP ID="G"><FLD NAME="A">x &lt; y &amp; z</FLD></GRP></PARAM>'


def test_lists_of_scalars_become_lst_items() -> None:
    text = encode_param({"G": {"CODES": ["A", 2, Decimal("1E+2")]}, "T": [{"L": ["x"]}]})
    assert text == (b'<PARAM><GRP ID="G"><LST NAME="CODES"><ITM>A</ITM><ITM>2</ITM><ITM>100</ITM></LST></GRP>'
                    b'<TAB ID="T"><LIN NUM="1"><LST NAME="L"><ITM>x</ITM></LST></LIN></TAB></PARAM>')


def test_decimals_are_never_rounded_or_in_exponent_form() -> None:
    assert field_text(Decimal("0.000001")) == "0.000001"
    assert field_text(Decimal("1.10")) == "1.10"
    assert field_text(Decimal("1E+3")) == "1000"
    assert field_text(0.1) == "0.1"


@pytest.mark.parametrize("payload, message", [
    ({"G": {"F": True}}, "G.F: a boolean"),
    ({"G": {"F": datetime(2026, 1, 1, 10, 0)}}, "G.F: a date-time"),
    ({"G": {"F": {"nested": 1}}}, "G.F: a field cannot hold an object"),
    ({"G": {"F": [{"a": 1}]}}, "G.F[0]: a list (LST) holds scalars only"),
    ({"G": {"F": [None]}}, "G.F[0]: a list (LST) item cannot be null"),
    ({"G": "text"}, "G: a block is a group (dict) or a table"),
    ({"T": [1, 2]}, "T[0]: a table (TAB) row must be a dict"),
    ({"G": {"F": Decimal("NaN")}}, "non-finite"),
    ({"G": {"F": "bad\x00char"}}, "G.F: the value holds characters XML cannot carry"),
    ({"G": {"F": object()}}, "cannot write a value of type object"),
])
def test_unwritable_values_are_refused_with_their_path(payload, message) -> None:
    with pytest.raises(ParamXmlError) as info:
        encode_param(payload)
    assert message in str(info.value)


def test_payload_must_be_a_dict() -> None:
    with pytest.raises(ParamXmlError, match="must be a dict"):
        encode_param([{"A": 1}])


def test_result_is_decoded_with_server_types() -> None:
    result = decode_param(
        b'<RESULT><GRP ID="SOH0_1"><FLD NAME="SOHNUM" TYPE="Char">SO0000001</FLD>'
        b'<FLD NAME="NBLIG" TYPE="Integer">2</FLD><FLD NAME="ORDNOT" TYPE="Decimal">33.10</FLD>'
        b'<FLD NAME="ODD" TYPE="Decimal">n/a</FLD><FLD NAME="EMPTY" TYPE="Char"/></GRP>'
        b'<TAB DIM="200" ID="SOH4_1" SIZE="2"><LIN NUM="2"><FLD NAME="ITMREF">B</FLD></LIN>'
        b'<LIN NUM="1"><FLD NAME="ITMREF">A</FLD><LST NAME="L"><ITM>x</ITM><ITM/></LST></LIN></TAB>'
        b'<FLD NAME="FLAT">1</FLD></RESULT>')
    assert result == {
        "SOH0_1": {"SOHNUM": "SO0000001", "NBLIG": 2, "ORDNOT": Decimal("33.10"), "ODD": "n/a", "EMPTY": ""},
        "SOH4_1": [{"ITMREF": "A", "L": ["x", ""]}, {"ITMREF": "B"}],
        "FLAT": "1",
    }
    assert isinstance(result["SOH0_1"]["ORDNOT"], Decimal)


def test_round_trip_keeps_text_exact() -> None:
    back = decode_param(encode_param(ORDER))
    assert back["SOH0_1"]["CUSORDREF"] == "PS_1042 & <co>"
    assert back["SOH4_1"][0] == {"ITMREF": "TSHIRT-BLU-M", "QTY": "2", "GROPRI": "12.500000"}
    assert decode_param(encode_param(ORDER).decode()) == back  # str input too
    assert decode_param(b"  ") == {}


@pytest.mark.parametrize("text, message", [
    (b'<RESULT><GRP><FLD NAME="A">1</FLD></GRP></RESULT>', "<GRP> without an ID"),
    (b'<RESULT><GRP ID="G"><FLD>1</FLD></GRP></RESULT>', "<FLD> without a NAME"),
    (b'<RESULT><GRP ID="G"><FLD NAME="A">1</FLD><FLD NAME="A">2</FLD></GRP></RESULT>', "'A' appears twice"),
    (b'<RESULT><GRP ID="G"/><GRP ID="G"/></RESULT>', "block 'G' appears twice"),
    (b'<RESULT><GRP ID="G">', "unreadable object XML"),
])
def test_malformed_documents_are_reported(text, message) -> None:
    with pytest.raises(ParamXmlError) as info:
        decode_param(text)
    assert message in str(info.value)


def test_dtd_and_entities_are_refused() -> None:
    evil = (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b'<RESULT><GRP ID="G"><FLD NAME="A">&x;</FLD></GRP></RESULT>')
    with pytest.raises(ParamXmlError, match="DOCTYPE"):
        decode_param(evil)
