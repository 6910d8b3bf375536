"""Sage X3 simulator: the carrier and delivery mode of a sales order (group SOH2_3: BPTNUM, MDL) and the
tax level of its lines (SOH4_1 VACITM1) are stored and read back; unknown fields of those blocks are
still refused."""
from __future__ import annotations

import httpx

from test_sandbox_sagex3 import PATH, answer, envelope, fields, order_xml, sb, x3  # noqa: F401  (fixtures)

LINES = ('<LIN NUM="1"><FLD NAME="ITMREF">MUG-CLASSIC</FLD><FLD NAME="QTY">1</FLD><FLD NAME="VACITM1">NOR</FLD></LIN>'
         '<LIN NUM="2"><FLD NAME="ITMREF">PORT</FLD><FLD NAME="QTY">1</FLD><FLD NAME="GROPRI">4.90</FLD></LIN>')
DELIVERY = '<GRP ID="SOH2_3"><FLD NAME="MDL">EXP</FLD><FLD NAME="BPTNUM">UPS</FLD></GRP>'


def test_carrier_delivery_mode_and_tax_levels_are_kept(x3: httpx.Client, sb) -> None:  # noqa: F811
    xml = order_xml("MG_1006", lines=LINES).replace("<TAB ", DELIVERY + "<TAB ")
    status, messages, result = answer(x3.post(PATH, content=envelope("save", xml=xml)))
    assert (status, messages) == (1, [])
    assert fields(result.find("GRP[@ID='SOH2_3']")) == {"MDL": "EXP", "BPTNUM": "UPS"}
    assert [fields(lin)["VACITM1"] for lin in result.findall("TAB[@ID='SOH4_1']/LIN")] == ["NOR", ""]
    stored = sb.sim("sagex3").find_orders("MG_1006")[0]
    assert (stored["MDL"], stored["BPTNUM"]) == ("EXP", "UPS")
    assert [line["VACITM1"] for line in stored["lines"]] == ["NOR", ""]
    _, _, read = answer(x3.post(PATH, content=envelope("read", keys={"SOHNUM": stored["SOHNUM"]})))
    assert fields(read.find("GRP[@ID='SOH2_3']"))["BPTNUM"] == "UPS"


def test_an_order_without_carrier_has_no_delivery_block(x3: httpx.Client) -> None:  # noqa: F811
    _, _, result = answer(x3.post(PATH, content=envelope("save", xml=order_xml("MG_1007"))))
    assert result.find("GRP[@ID='SOH2_3']") is None


def test_unknown_fields_of_the_new_blocks_are_refused(x3: httpx.Client, sb) -> None:  # noqa: F811
    xml = order_xml("MG_1008", lines=LINES.replace("VACITM1", "VACITM9")).replace(
        "<TAB ", '<GRP ID="SOH2_3"><FLD NAME="CARRIER">UPS</FLD></GRP><TAB ')
    status, messages, _ = answer(x3.post(PATH, content=envelope("save", xml=xml)))
    assert status == 0 and [m for _, m in messages] == ["SOH2_3.CARRIER: unknown field",
                                                         "SOH4_1.VACITM9: unknown field"]
    assert sb.sim("sagex3").find_orders("MG_1008") == []
