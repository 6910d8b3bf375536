"""Target contracts: compiled once from `accepts:`, every broken rule in words naming its field, the
static walk of a flow's map (validate), and the one record pipeline failing a payload before sending."""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from engine.connectors.compile import compile_connector
from engine.connectors.contract import compile_contract
from engine.plan.load import load_plan
from engine.runtime.pipeline import Outcome, evaluate
from engine.schema.connectors_doc import docs_path, render_connectors_doc, shipped_plans
from engine.spec.yamlsrc import load_file
from engine.util.resources import shipped_connectors_dir

NS = "http://www.proconsult.lu/WebServices100"
DOC = f"DocumentVente:{NS}"
LINE = f"LigneArticle:{NS}"
TEXT = f"LigneTexte:{NS}"


def _sage(op: str = "insert_document"):
    data = load_file(shipped_connectors_dir() / "sage100-ws.yaml").data["connector"]
    plan, diags = compile_connector(data, lambda path: None)
    assert plan is not None and not diags
    return plan.operations[op].contract


def _order(**doc) -> dict:
    head = {"__type": DOC, "TypeDocument": 1, "Date": "/Date(1715674867000+0200)/", "NumeroTiers": "WEB000056"}
    head.update(doc)
    return {"doc": head, "lignes": [{"__type": LINE, "RefArticle": "MUG-CLASSIC", "Quantite": Decimal("2")}]}


def _compile(schema):
    found: list = []
    contract = compile_contract(schema, "ERP", lambda message, path, hint: found.append((message, path, hint)))
    return contract, found


# -- compile ----------------------------------------------------------------------------------------
def test_every_write_operation_of_the_shipped_connectors_has_a_contract():
    plans = shipped_plans()
    assert len(plans) == len(list(shipped_connectors_dir().glob("*.yaml"))) >= 11
    for plan in plans:
        for op in plan.operations.values():
            lookup = any(other.find == op.name for other in plan.operations.values()) or op.name.startswith("find")
            bodiless = getattr(getattr(op.detail, "body", None), "name", None) == "none"  # a DELETE sends nothing
            assert (op.contract is not None) != (lookup or bodiless), (plan.name, op.name)


def test_a_misspelt_keyword_is_a_located_error_with_did_you_mean():
    contract, found = _compile({"type": "object", "properties": {"ref": {"type": "string", "maxLenght": 19}}})
    assert contract is None
    assert found == [("`maxLenght` is not a contract keyword", ("properties", "ref", "maxLenght"),
                      "did you mean 'maxLength'?")]


def test_a_wrong_type_name_and_an_invalid_schema_are_errors():
    _, found = _compile({"type": "object", "properties": {"a": {"type": "strin"}, "b": {"maxLength": -1}}})
    assert ("'strin' is not a type; the types are string, number, integer, boolean, object, array, null",
            ("properties", "a", "type"), "did you mean 'string'?") in found
    assert any(path == ("properties", "b", "maxLength") and "invalid JSON Schema" in message
               for message, path, _ in found)


def test_a_required_field_a_closed_object_does_not_declare_is_an_error():
    _, found = _compile({"type": "object", "required": ["code", "nmae"], "additionalProperties": False,
                         "properties": {"code": {}, "name": {}}})
    assert found == [("required field `nmae` is not among the contract's properties", ("required", 1),
                      "did you mean 'name'?")]


def test_a_contract_that_is_not_a_mapping_is_an_error():
    contract, found = _compile(["type", "object"])
    assert contract is None and found[0][1] == ()


def test_bad_contract_in_a_connector_is_located_in_its_file():
    definition = {"name": "erp", "protocol": "http", "http": {"base_url": "http://x"}, "format": {"type": "json"},
                  "operations": {"create": {"method": "POST", "path": "/x", "body": "json",
                                            "accepts": {"type": "object", "requierd": ["a"]}}}}
    seen = []
    plan, diags = compile_connector(definition, lambda path: seen.append(path))
    assert [d.code for d in diags] == ["bad-contract"]
    assert diags[0].path == "connector.operations.create.accepts.requierd" and "did you mean 'required'" in diags[0].hint
    assert ("operations", "create", "accepts", "requierd") in seen


def test_accepts_null_means_no_contract():
    definition = {"name": "erp", "protocol": "http", "http": {"base_url": "http://x"}, "format": {"type": "json"},
                  "operations": {"create": {"method": "POST", "path": "/x", "body": "json", "accepts": None}}}
    plan, diags = compile_connector(definition, lambda path: None)
    assert not diags and plan.operations["create"].contract is None


# -- the rules in words ----------------------------------------------------------------------------
def test_a_valid_sage_order_with_decimals_breaks_nothing():
    payload = _order(Reference="PS_1042", TotalTTC=Decimal("42.000000"), Statut=0, Contact=None)
    payload["lignes"].append({"__type": TEXT, "Designation": "Merci"})
    assert _sage().problems(payload) == [] and _sage().check(payload) is None


@pytest.mark.parametrize("change, expected", [
    (lambda p: p["lignes"][0].update(RefArticle="BOUGIE-PARFUMEE-VANILLE-XL"),
     "lignes[0].RefArticle: 'BOUGIE-PARFUMEE-VANILLE-XL' is 26 characters, Sage 100 accepts 19"),
    (lambda p: p["doc"].update(NumeroTiers=12), "doc.NumeroTiers: 12 is a number, Sage 100 accepts text"),
    (lambda p: p["lignes"][0].pop("Quantite"), "lignes[0].Quantite: required"),
    (lambda p: p["lignes"][0].update(Quantite=None), "lignes[0].Quantite: no value (null), Sage 100 accepts a number"),
    (lambda p: p["lignes"][0].update(Quantite="2"), "lignes[0].Quantite: '2' is text, Sage 100 accepts a number"),
    (lambda p: p["doc"].update(Statut=5), "doc.Statut: 5 is not one of the values Sage 100 accepts: 0, 1, 2, null"),
    (lambda p: p["doc"].update(Refrence="X"), "doc.Refrence: not a field Sage 100 accepts; did you mean 'Reference'?"),
    (lambda p: p["doc"].update(Date="2024-05-14"),
     "doc.Date: '2024-05-14' is not in the form Sage 100 accepts (/Date(ms+hhmm)/, milliseconds since 1970 UTC)"),
    (lambda p: p["doc"].update(NumeroTiers=""), "doc.NumeroTiers: '' is empty, Sage 100 needs at least 1"),
    (lambda p: p.update(lignes=[]), "lignes: 0 entries, Sage 100 needs at least 1"),
    (lambda p: p["lignes"].append({"__type": TEXT}), "lignes[1].Designation: required"),
    (lambda p: p["lignes"].append({"__type": "Ligne"}),
     f"lignes[1].__type: 'Ligne' is not one of the kinds Sage 100 accepts: '{LINE}', '{TEXT}'"),
    (lambda p: p["doc"].update(TypeDocument=Decimal("1.5")),
     "doc.TypeDocument: 1.5 is a number, Sage 100 accepts a whole number"),
])
def test_each_rule_reads_as_the_field_then_the_rule(change, expected):
    payload = _order()
    change(payload)
    assert expected in _sage().problems(payload)


def test_every_broken_rule_is_listed_and_check_names_the_first_field():
    payload = _order(NumeroTiers=12)
    payload["lignes"].append({"__type": LINE, "RefArticle": "X" * 20})
    field, reason = _sage().check(payload)
    assert field == "doc.NumeroTiers"
    assert reason == ("12 is a number, Sage 100 accepts text; lignes[1].Quantite: required; lignes[1].RefArticle: "
                      "'XXXXXXXXXXXXXXXXXXXX' is 20 characters, Sage 100 accepts 19")


def test_an_integral_decimal_is_a_whole_number_and_money_a_number():
    contract, _ = _compile({"type": "object", "properties": {"n": {"type": "integer"}, "m": {"type": "number"}}})
    assert contract.problems({"n": Decimal("2.00"), "m": Decimal("12.50")}) == []
    assert contract.problems({"n": True, "m": Decimal("NaN")}) == [
        "n: true is true/false, ERP accepts a whole number", "m: NaN is not a finite number, ERP accepts a number"]


def test_a_const_or_enum_of_structures_shows_the_values():
    # was: "fixed: an object, ERP accepts only an object" (true of both, saying nothing)
    contract, _ = _compile({"type": "object", "properties": {
        "fixed": {"const": {"a": 1, "b": [1, 2]}}, "pick": {"enum": [[1], {"k": "v"}, "x"]}}})
    assert contract.problems({"fixed": {"a": True, "b": [1, 2]}, "pick": [2]}) == [
        'fixed: {"a":true,"b":[1,2]}, ERP accepts only {"a":1,"b":[1,2]}',
        "pick: [2] is not one of the values ERP accepts: [1], {\"k\":\"v\"}, 'x'"]


def test_a_field_of_another_kind_of_line_names_the_kind_that_refuses_it():
    # was: "lignes[1].Quantite: not a field Sage 100 accepts", though an article line accepts it
    payload = _order()
    payload["lignes"].append({"__type": TEXT, "Designation": "Merci", "Quantite": 1})
    assert _sage().problems(payload) == [
        f"lignes[1].Quantite: not a field Sage 100 accepts when __type is '{TEXT}'"]


def test_long_values_are_shown_cut():
    contract, _ = _compile({"type": "object", "properties": {"t": {"type": "string", "maxLength": 3}}})
    [message] = contract.problems({"t": "x" * 500})
    assert message.startswith("t: 'xxx") and "…" in message and message.endswith("is 500 characters, ERP accepts 3")
    assert len(message) < 150


# -- validate: the map against the contract --------------------------------------------------------
PROJECT = """\
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
        TypeDocument: { value: 1 }
        Date: { value: "/Date(1715674867000+0200)/" }
        NumeroTiers: { from: id_customer }
        Reference: { from: id }
      lignes:
        - each: associations.order_rows
          map:
            __type: { value: "LigneArticle:http://www.proconsult.lu/WebServices100" }
            RefArticle: { from: product_reference }
            Quantite: { from: product_quantity }
"""


def _diags(tmp_path: Path, text: str):
    (tmp_path / "spec.yaml").write_text(text)
    from engine.plan.compile import compile_project
    from engine.project.load import load_project
    plan, diags = compile_project(load_project(tmp_path))
    return plan, diags


def test_a_valid_map_gives_no_diagnostic_and_a_plan(tmp_path):
    plan, diags = _diags(tmp_path, PROJECT)
    assert diags == [] and plan is not None
    assert plan.flows["orders_to_sage"].target_op.contract is not None


def test_a_misspelt_field_is_unknown_field_at_its_key(tmp_path):
    _, diags = _diags(tmp_path, PROJECT.replace("        Reference:", "        Referense:"))
    [d] = diags
    assert (d.code, d.loc.line, d.loc.col, d.hint) == ("unknown-field", 14, 9, "did you mean 'Reference'?")
    assert d.path == "flows.orders_to_sage.map.doc.Referense"


def test_a_field_in_another_case_is_unknown_field_not_left_to_the_erp(tmp_path):
    # WCF ignores `typeDocument` (names are case-sensitive): Sage 100 would make every order a quote
    # (tests/sandbox/test_sandbox_sage100_wcf.py); the contract is what catches it, before anything is sent
    _, diags = _diags(tmp_path, PROJECT.replace("TypeDocument: { value: 1 }", "typeDocument: { value: 1 }"))
    assert [(d.code, d.path, d.hint) for d in diags if d.code == "unknown-field"] == [
        ("unknown-field", "flows.orders_to_sage.map.doc.typeDocument", "did you mean 'TypeDocument'?")]
    assert any(d.code == "contract" and "TypeDocument" in d.message for d in diags)


def test_a_constant_of_the_wrong_type_is_contract(tmp_path):
    _, diags = _diags(tmp_path, PROJECT.replace("TypeDocument: { value: 1 }", "TypeDocument: { value: BC }"))
    [d] = diags
    assert d.code == "contract" and d.is_error and d.loc.line == 11
    assert d.message == "doc.TypeDocument: 'BC' is text, Sage 100 accepts a whole number"


def test_a_constant_else_too_long_is_contract(tmp_path):
    text = PROJECT.replace("RefArticle: { from: product_reference }",
                           "RefArticle: { when: product_reference, from: product_reference, "
                           "else: BOUGIE-PARFUMEE-VANILLE-XL }")
    _, diags = _diags(tmp_path, text)
    assert [d.message for d in diags] == [
        "lignes[].RefArticle: 'BOUGIE-PARFUMEE-VANILLE-XL' is 26 characters, Sage 100 accepts 19"]


def test_a_constant_with_a_transform_is_left_to_the_record_check(tmp_path):
    text = PROJECT.replace("TypeDocument: { value: 1 }", 'TypeDocument: { value: "1", transform: [{ cast: int }] }')
    _, diags = _diags(tmp_path, text)
    assert diags == []


def test_a_required_field_never_mapped_is_an_error_and_a_conditional_one_a_warning(tmp_path):
    text = PROJECT.replace("        Date: { value: \"/Date(1715674867000+0200)/\" }\n", "").replace(
        "NumeroTiers: { from: id_customer }", "NumeroTiers: { from: id_customer, when: id_customer }")
    _, diags = _diags(tmp_path, text)
    assert [(d.code, d.severity) for d in diags] == [("contract", "error"), ("contract", "warning")]
    assert diags[0].message == ("`doc.Date` is required by Sage 100 (sage.insert_document) and the map never "
                                "produces it")
    assert diags[1].path == "flows.orders_to_sage.map.doc.NumeroTiers"


def test_line_kinds_are_told_apart_by_their_constant_type(tmp_path):
    text = PROJECT + """\
        - map:
            __type: { value: "LigneTexte:http://www.proconsult.lu/WebServices100" }
            Designation: { value: Merci }
            Quantite: { value: 1 }
"""
    _, diags = _diags(tmp_path, text)
    [d] = diags
    assert d.code == "unknown-field" and d.path.endswith("lignes[1].map.Quantite")


def test_an_acknowledgement_map_is_checked_against_its_contract(tmp_path):
    text = PROJECT.replace("    map:\n      doc:", """\
    acknowledge:
      endpoint: shop
      write: add_order_history
      map: { id_order: { from: id }, id_order_stat: { value: 14 } }
    map:
      doc:""", 1)
    _, diags = _diags(tmp_path, text)
    assert sorted(d.code for d in diags) == ["contract", "unknown-field"]
    assert any(d.hint == "did you mean 'id_order_state'?" for d in diags)


def test_no_contract_no_check(tmp_path):
    text = PROJECT.replace('token: "${env:SAGE_TOKEN}" } }',
                           'token: "${env:SAGE_TOKEN}" }, override: { operations: { insert_document: { accepts: null } } } }'
                           ).replace("        Reference:", "        Zeta:")
    plan, diags = _diags(tmp_path, text)
    assert diags == [] and plan.flows["orders_to_sage"].target_op.contract is None


# -- the record pipeline ---------------------------------------------------------------------------
def test_the_pipeline_fails_a_record_whose_payload_breaks_the_contract(tmp_path):
    (tmp_path / "spec.yaml").write_text(PROJECT)
    flow = load_plan(tmp_path).flows["orders_to_sage"]
    record = {"id": "1043", "id_customer": "C1",
              "associations": {"order_rows": [{"product_reference": "BOUGIE-PARFUMEE-VANILLE-XL",
                                               "product_quantity": 2}]}}
    outcome = evaluate(flow, Outcome("1043", record, record, record))
    assert outcome.error is not None and outcome.payload_json is None
    assert outcome.error.field == "lignes[0].RefArticle"
    assert outcome.error.detail == ("field lignes[0].RefArticle: 'BOUGIE-PARFUMEE-VANILLE-XL' is 26 characters, "
                                    "Sage 100 accepts 19")
    good = dict(record, associations={"order_rows": [{"product_reference": "MUG", "product_quantity": 2}]})
    assert evaluate(flow, Outcome("1042", good, good, good)).ok


# -- docs/connectors.md ----------------------------------------------------------------------------
def test_the_connectors_chapter_is_generated_and_current():
    path = docs_path()
    assert path is not None and path.read_text(encoding="utf-8") == render_connectors_doc(), (
        "docs/connectors.md is stale: run `passerelle schema --write`")
    text = render_connectors_doc()
    for name in ("prestashop", "woocommerce", "shopify", "magento", "sage100-ws", "sagex3", "sage-accounting"):
        assert f"## `{name}`" in text and f"(connectors/{name}.md)" in text
    page = (path.parent / "connectors" / "sage100-ws.md").read_text(encoding="utf-8")  # its own page
    assert "### What Sage 100 accepts in InsertDocumentEtLignes (`insert_document`)" in page
    assert "| `lignes[].RefArticle` | text | 19 | yes |" in page


def test_a_signalling_nan_is_named_not_raised():
    payload = _order(TypeDocument=Decimal("sNaN"))
    assert _sage().problems(payload) == ["doc.TypeDocument: not a finite number, Sage 100 accepts numbers"]


def test_the_accelerator_and_the_reference_agree_on_the_reference_flow_payload():
    contract = _sage()
    good, bad = _order(), _order(NumeroTiers="X" * 18)
    assert contract.fast is not None and contract.fast.is_valid(good) and not contract.fast.is_valid(bad)
    assert contract.problems(bad) == ["doc.NumeroTiers: 'XXXXXXXXXXXXXXXXXX' is 18 characters, Sage 100 accepts 17"]


def test_an_override_of_a_contract_is_located_in_the_override_and_never_an_internal_error(tmp_path):
    """Found by the override fuzzer: a `required` list an override writes was located in the shipped
    connector file (the list's items were not recognised as the override's), and `required: true`
    crashed the contract walk (TypeError)."""
    import shutil

    from support import ROOT, run_cli

    project = tmp_path / "p"
    shutil.copytree(ROOT / "specs" / "examples" / "prestashop-sage100", project,
                    ignore=shutil.ignore_patterns("tests", ".passerelle"))
    endpoints = project / "endpoints.yaml"
    good = endpoints.read_text()
    override = ('      token: "${env:ACME_SAGE_TOKEN}"\n    override:\n      operations:\n        insert_client:\n'
                '          accepts:\n            required: REQUIRED\n')
    assert good.count('      token: "${env:ACME_SAGE_TOKEN}"\n') == 1
    for required, message in (("[associations]", "required field `associations` is not among the contract's "
                                                  "properties"), ("true", "invalid JSON Schema: True is not of type")):
        endpoints.write_text(good.replace('      token: "${env:ACME_SAGE_TOKEN}"\n',
                                          override.replace("REQUIRED", required)))
        code, out, err = run_cli(["validate", str(project)], tmp_path)
        assert code == 1 and "internal error" not in out + err
        assert "p/endpoints.yaml:20:" in out and "error[bad-contract]" in out and message in out, out
        assert "sage100-ws.yaml" not in out
