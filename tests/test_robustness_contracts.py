"""Robustness of target contracts (property-based): random payloads checked against every shipped
contract, random contracts compiled, random maps validated against the Sage 100 contract — never an
exception, never an internal error; every problem names its field, every diagnostic is located."""
from __future__ import annotations

import re
import string
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.connectors.contract import KEYWORDS, compile_contract
from engine.plan.compile import compile_project
from engine.project.load import load_project
from engine.schema.connectors_doc import shipped_plans

CONTRACTS = [(f"{plan.name}.{op.name}", op.contract) for plan in shipped_plans()
             for op in plan.operations.values() if op.contract is not None]
SETTINGS = settings(max_examples=60, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
MESSAGE = re.compile(r"^(\(payload\)|[^\s:][^:]*): .+")

names = st.sampled_from(["doc", "lignes", "RefArticle", "Quantite", "__type", "NumeroTiers", "id", "meta_data",
                         "statusHistory", "sales_invoice", "SOH0_1", "SOH4_1", "quantities", "x", "", "é"]) | \
    st.text(string.ascii_letters + "_", min_size=1, max_size=12)
scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20), st.text(max_size=40),
                    st.decimals(allow_nan=True, allow_infinity=True, places=None),
                    st.floats(allow_nan=False, allow_infinity=False))
payloads = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(names, inner, max_size=6),
                        max_leaves=30)


@st.composite
def near_valid_sage(draw):
    """A Sage order with random values in random places (closer to real mistakes than pure noise)."""
    line = {"__type": draw(st.sampled_from(["LigneArticle:http://www.proconsult.lu/WebServices100",
                                            "LigneTexte:http://www.proconsult.lu/WebServices100", "x"])),
            "RefArticle": draw(st.text(max_size=30)), "Quantite": draw(scalars)}
    doc = {"__type": "DocumentVente:http://www.proconsult.lu/WebServices100", "TypeDocument": draw(scalars),
           "Date": draw(st.text(max_size=30)), "NumeroTiers": draw(scalars)}
    extra = draw(st.dictionaries(names, scalars, max_size=3))
    return {"doc": {**doc, **extra}, "lignes": [line] * draw(st.integers(0, 3))}


@SETTINGS
@given(st.sampled_from(CONTRACTS), payloads)
def test_random_payloads_never_crash_and_every_problem_names_its_field(named, payload):
    _, contract = named
    for message in contract.problems(payload):
        assert MESSAGE.match(message), message
    found = contract.check(payload)
    assert found is None or (found[0] and found[1])


@SETTINGS
@given(near_valid_sage())
def test_near_valid_sage_orders_read_field_then_rule(payload):
    contract = dict(CONTRACTS)["sage100-ws.insert_document"]
    for message in contract.problems(payload):
        assert MESSAGE.match(message), message
        assert "internal" not in message


schemas = st.recursive(
    st.one_of(st.booleans(), st.integers(-3, 30), st.text(max_size=8), st.none()),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(sorted(KEYWORDS) + ["maxLenght", "$ref", "format", "propertyNames", "x"]), inner, max_size=5),
    max_leaves=20)


@SETTINGS
@given(schemas)
def test_random_contracts_compile_or_report_located_mistakes(schema):
    found: list = []
    contract = compile_contract(schema, "ERP", lambda message, path, hint: found.append((message, path, hint)))
    assert (contract is None) == bool(found)
    for message, path, _ in found:
        assert isinstance(path, tuple) and message
    if contract is not None:  # a compiled contract checks any payload without raising
        for payload in ({}, [], None, {"a": Decimal("1.5")}, "x" * 50):
            contract.problems(payload)


BASE = """\
endpoints:
  shop: { use: prestashop, settings: { base_url: "${env:PS_URL}", key: "${env:PS_KEY}" } }
  sage: { use: sage100-ws, settings: { base_url: "${env:SAGE_URL}", token: "${env:SAGE_TOKEN}" } }
flows:
  orders_to_sage:
    source: { endpoint: shop, read: orders }
    target: { endpoint: sage, write: insert_document }
    map:
      doc:
        __type: { value: "DocumentVente:http://www.proconsult.lu/WebServices100" }
        %s: %s
        Date: { value: "/Date(1715674867000+0200)/" }
        NumeroTiers: { from: id_customer }
      lignes:
        - each: associations.order_rows
          map:
            __type: { value: %s }
            %s: { from: product_reference }
            Quantite: { value: %s }
"""
yaml_values = st.sampled_from(["{ value: 1 }", "{ value: BC }", "{ value: null }", "{ value: [1, 2] }",
                               "{ value: { a: 1 } }", "{ from: id }", "{ value: 1, when: id }",
                               "{ value: 1, transform: [trim] }", "{ map: { a: { value: 1 } } }", "[1, 2]",
                               "{ value: 99999999999999999999 }", "{ value: 1.5 }", "{ value: true }"])
field_names = st.sampled_from(["TypeDocument", "TypeDocumen", "Reference", "Statut", "Zeta", "__type",
                               "RefArticle", "NumeroDocument", "lignes", "doc"])


@SETTINGS
@given(field_names, yaml_values, st.sampled_from(['"LigneArticle:http://www.proconsult.lu/WebServices100"',
                                                   '"LigneTexte:http://www.proconsult.lu/WebServices100"', "x",
                                                   "null", "1"]),
       field_names, st.sampled_from(["1", "'1'", "null", "-1", "1.5", "[1]", "{ a: 1 }"]))
def test_random_maps_against_the_sage_contract_give_located_diagnostics(tmp_path_factory, field, value, kind,
                                                                         ref_field, quantity):
    folder: Path = tmp_path_factory.mktemp("contract")
    (folder / "spec.yaml").write_text(BASE % (field, value, kind, ref_field, quantity))
    plan, diags = compile_project(load_project(folder))
    for d in diags:
        assert d.code != "internal-error", d.format_text()
        assert d.loc is not None and d.loc.line >= 1 and d.loc.col >= 1, d.format_text()
        assert d.path.startswith("flows.orders_to_sage") or d.path.startswith("endpoints"), d.format_text()
    assert (plan is None) == any(d.is_error for d in diags)


@SETTINGS
@given(st.sampled_from(CONTRACTS), st.one_of(payloads, near_valid_sage()))
def test_the_accelerator_agrees_with_the_reference_validator(named, payload):
    """A payload the fast validator accepts is one the reference (jsonschema, Decimal as number)
    accepts: the fast path never lets a broken payload through."""
    _, contract = named
    if contract.fast is None:
        return
    try:
        fast = contract.fast.is_valid(payload)
    except Exception:
        return  # the reference validator decides alone
    reference = not any(True for _ in contract.validator.iter_errors(payload))
    assert fast == reference, (payload, fast, reference)
