"""Sage X3 simulator, issue 13 gaps 1 and 5: SData ``where``/``orderBy`` are parsed and applied (errors as
X3/SData answer them), the WSDL is served at its real path, unsimulated SOAP operations answer 501."""
from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from passerelle_sandbox import Sandbox
from passerelle_sandbox.x3_where import QueryError, compile_order, compile_where, sort_rows

URL = "/api1/x3/erp/SEED/BPCUSTOMER"
REP = {"representation": "BPCUSTOMER.$query", "count": 200}
WSDL = "/soap-wsdl/syracuse/collaboration/syracuse/CAdxWebServiceXmlCC"


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    with Sandbox(systems=("sagex3",), orders=5) as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def x3(sb: Sandbox) -> Iterator[httpx.Client]:
    creds = sb.credentials("sagex3")
    with httpx.Client(base_url=sb.url("sagex3"), auth=(creds["username"], creds["password"]), timeout=10) as c:
        yield c


def customers(sb: Sandbox) -> list[dict]:
    return [sb.sim("sagex3").customers[c] for c in sorted(sb.sim("sagex3").customers)]


def codes(x3: httpx.Client, **params) -> list[str]:
    response = x3.get(URL, params={**REP, **params})
    assert response.status_code == 200, response.text
    return [r["BPCNUM"] for r in response.json()["$resources"]]


def test_where_filters_with_and_or_not_parentheses(x3: httpx.Client, sb: Sandbox) -> None:
    rows = customers(sb)
    assert codes(x3, where="CRY eq 'FR'") == [c["BPCNUM"] for c in rows if c["CRY"] == "FR"]
    assert codes(x3, where="CRY = 'FR' and BPCSTA eq 2") == [c["BPCNUM"] for c in rows if c["CRY"] == "FR"]
    expected = [c["BPCNUM"] for c in rows if c["CRY"] != "FR" or c["BPCNUM"] == "WEB000056"]
    assert codes(x3, where="not (CRY eq 'FR') or BPCNUM eq 'WEB000056'") == expected
    assert codes(x3, where="(CRY ne 'FR' or BPCNUM eq 'WEB000056') and BPCSTA ge 2") == expected
    assert codes(x3, where="BPCNUM between 'WEB000010' and 'WEB000012'") == ["WEB000010", "WEB000011", "WEB000012"]
    assert codes(x3, where="BPCNUM in ('WEB000003', 'WEB000001', 'NOPE')") == ["WEB000001", "WEB000003"]
    assert codes(x3, where="BPCNAM like 'Claire%'") == [c["BPCNUM"] for c in rows if c["BPCNAM"].startswith("Claire")]
    assert codes(x3, where="left(BPCNUM,3) eq 'WEB' and right(BPCNUM, 2) = '56'") == ["WEB000056"]
    assert codes(x3, where="BPCSTA gt 2") == []  # nothing matches: 200 with no resources


def test_order_by_several_properties_and_directions(x3: httpx.Client, sb: Sandbox) -> None:
    rows = customers(sb)
    by_country = sorted(sorted(rows, key=lambda c: c["BPCNUM"], reverse=True), key=lambda c: c["CRY"])
    assert codes(x3, orderBy="CRY asc, BPCNUM desc") == [c["BPCNUM"] for c in by_country]
    assert codes(x3, orderBy="BPCNUM desc", count=3) == sorted((c["BPCNUM"] for c in rows), reverse=True)[:3]


def test_paging_keeps_the_filter(x3: httpx.Client, sb: Sandbox) -> None:
    expected = [c["BPCNUM"] for c in customers(sb) if c["CRY"] == "FR"]
    url, params, seen = URL, {"representation": "BPCUSTOMER.$query", "count": 4, "where": "CRY eq 'FR'"}, []
    while url:
        body = x3.get(url, params=params).json()
        seen += [r["BPCNUM"] for r in body["$resources"]]
        url, params = body["$links"].get("$next", {}).get("$url"), None
    assert seen == expected and len(expected) > 4


@pytest.mark.parametrize("params, status, code", [
    ({"where": "NOPE eq 'x'"}, 500, "ApplicationDiagnosis"),        # verified: 500 on X3 endpoints
    ({"where": "CRY eq"}, 400, "BadWhereSyntax"),
    ({"where": "CRY eq 'FR' and"}, 400, "BadWhereSyntax"),
    ({"where": "(CRY eq 'FR'"}, 400, "BadWhereSyntax"),
    ({"where": "CRY eq 'FR"}, 400, "BadWhereSyntax"),
    ({"where": "CRY FR"}, 400, "BadWhereSyntax"),
    ({"where": "BPCNUM eq @2026-02-30@"}, 400, "BadWhereSyntax"),
    ({"where": "CRY <> 'FR'"}, 501, "ApplicationDiagnosis"),        # not simulated, not guessed
    ({"where": "trim(CRY) eq 'FR'"}, 501, "ApplicationDiagnosis"),
    ({"orderBy": "NOPE desc"}, 500, "ApplicationDiagnosis"),
    ({"orderBy": "CRY sideways"}, 400, "BadQueryParameter"),
    ({"orderBy": "CRY,"}, 400, "BadQueryParameter"),
])
def test_bad_where_and_order_by_are_errors(x3: httpx.Client, params, status, code) -> None:
    response = x3.get(URL, params={**REP, **params})
    assert response.status_code == status
    [diagnosis] = response.json()["$diagnoses"]
    assert diagnosis["$severity"] == "error" and diagnosis["$sdataCode"] == code and diagnosis["$message"]


def test_parser_unit() -> None:
    props = {"A", "N"}
    rows = [{"A": "x'y", "N": 3}, {"A": "b", "N": 10}]
    assert [r["N"] for r in rows if compile_where("A eq 'x''y' or N ge 10.0", props)(r)] == [3, 10]
    assert [r["N"] for r in rows if compile_where('upper(A) = "B"', props)(r)] == [10]
    assert [r["N"] for r in rows if compile_where("substring(A, 2, 1) eq \"'\"", props)(r)] == [3]
    assert [r["N"] for r in rows if compile_where("N in 3, 4", props)(r)] == [3]
    assert [r["N"] for r in sort_rows(rows, compile_order("N desc", props))] == [10, 3]
    for bad in ("", "A eq 1 1", "eq 1", "A eq (1)", "A like 3", "left(A) eq 'x'", "nope(A) eq 1", "A # 1"):
        with pytest.raises(QueryError) as caught:
            compile_where(bad, props)
        assert caught.value.status == 400, bad


def test_wsdl_is_served_at_the_real_path(x3: httpx.Client, sb: Sandbox) -> None:
    response = x3.get(WSDL + "?wsdl")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/xml")
    root = etree.fromstring(response.content)
    ns = {"w": "http://schemas.xmlsoap.org/wsdl/", "s": "http://schemas.xmlsoap.org/wsdl/soap/"}
    assert root.get("targetNamespace") == "http://www.adonix.com/WSS"
    assert root.find("w:binding/s:binding", ns).get("style") == "rpc"
    assert {b.get("use") for b in root.iterfind(".//s:body", ns)} == {"encoded"}
    query = root.find("w:message[@name='queryRequest']", ns)
    assert [p.get("name") for p in query] == ["callContext", "publicName", "objectKeys", "listSize"]
    assert root.find(".//s:address", ns).get("location") == sb.url("sagex3") + \
        "/soap-generic/syracuse/collaboration/syracuse/CAdxWebServiceXmlCC"
    assert httpx.get(sb.url("sagex3") + WSDL + "?wsdl").status_code == 401
    assert x3.get(WSDL + "?xsd=1").status_code == 501
    assert x3.post(WSDL + "?wsdl").status_code == 405


def test_unsimulated_operations_answer_501(x3: httpx.Client) -> None:
    body = ('<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
            'xmlns:wss="http://www.adonix.com/WSS"><soapenv:Body><wss:modify><callContext><poolAlias>SEED'
            '</poolAlias></callContext><publicName>SOH</publicName></wss:modify></soapenv:Body></soapenv:Envelope>')
    response = x3.post("/soap-generic/syracuse/collaboration/syracuse/CAdxWebServiceXmlCC", content=body,
                       headers={"Content-Type": "text/xml", "SOAPAction": '""'})
    assert response.status_code == 501 and b"modify: not simulated" in response.content


ATOMS = ["CRY", "BPCSTA", "NOPE", "'FR'", '"x""y"', "2", "2.5", "@2026-01-15@", "@bad@", "eq", "=", "ne", "lt",
         "ge", "<>", "and", "or", "not", "(", ")", ",", "between", "in", "like", "'%R'", "left", "trim", "+",
         "#", "'", "$uuid", "@2026-01-15T10:00:00Z@", "@2026-01-15T10:00:00@"]


@given(st.lists(st.sampled_from(ATOMS), max_size=12), st.text(max_size=6))
@settings(max_examples=300, deadline=None)
def test_any_where_text_is_a_predicate_or_a_query_error(atoms: list[str], noise: str) -> None:
    """Random and mutated where texts: a predicate that evaluates, or a QueryError with 400/500/501."""
    props = {"CRY", "BPCSTA"}
    for text in (" ".join(atoms), " ".join(atoms) + noise):
        try:
            keep = compile_where(text, props)
        except QueryError as error:
            assert error.status in (400, 500, 501) and error.message.startswith("where: ")
            continue
        for row in ({"CRY": "FR", "BPCSTA": 2}, {"CRY": None, "BPCSTA": "x"}, {}):
            assert keep(row) in (True, False)
