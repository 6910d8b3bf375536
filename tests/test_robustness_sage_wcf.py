"""Property-based tests of the Sage 100 simulator's WCF reading (issue 13, gap 2) and the engine contract
beside it: random InsertDocumentEtLignes bodies (members of both naming families, names in other cases,
unknown members, values of every JSON kind, missing members) never raise; the checker answers with coded
problems naming a field, or accepts the document with only contract members and lists what it ignored;
whatever the simulator ignores, the connector's contract refuses."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.schema.connectors_doc import shipped_plans
from passerelle_sandbox.sage_checks import (CLIENT_FIELDS, DOC_FIELDS, DOC_TYPE, DOC_VARIANT_B, LINE_FIELDS,
                                            LINE_TYPE, LINE_VARIANT_B, TEXT_LINE_TYPE, Checker, check_client)

DOCUMENT = next(p for p in shipped_plans() if p.name == "sage100-ws").operations["insert_document"].contract
CODES = {"InvalidType", "MissingProperty", "InvalidDate", "InvalidValue", "UnknownCustomer", "UnknownArticle",
         "UnknownTaxCode", "UnknownExpeditionMode", "TooLong", "EmptyDocument", "DuplicateProperty",
         "UnknownProperty", "TypeHintMissing", "TypeHintNotFirst", "TypeHintInvalid"}

values = st.one_of(st.none(), st.booleans(), st.integers(-3, 10), st.decimals(-5, 200, places=2),
                   st.sampled_from(["WEB000056", "MUG-CLASSIC", "PORT", "S_20", "/Date(1715674867000+0200)/",
                                    "/Date(1715674867000)/", "", "x" * 80]),
                   st.text(max_size=5), st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3),
                                                                                            st.integers(), max_size=2))


def _names(contract: set[str], aliases: dict[str, str]) -> st.SearchStrategy[str]:
    known = sorted(contract | set(aliases))
    return st.one_of(st.sampled_from(known), st.sampled_from(known).map(str.lower), st.text(min_size=1, max_size=8))


def _object(hint: str | None, contract: set[str], aliases: dict[str, str]) -> st.SearchStrategy[dict[str, Any]]:
    members = st.dictionaries(_names(contract - {"__type"}, aliases), values, max_size=8)
    if hint is None:
        return members
    return members.map(lambda m: {"__type": hint, **m})


lines = st.one_of(_object(LINE_TYPE, LINE_FIELDS, LINE_VARIANT_B), _object(TEXT_LINE_TYPE, {"Designation"}, {}),
                  _object(None, LINE_FIELDS, LINE_VARIANT_B), values)
bodies = st.one_of(
    st.fixed_dictionaries({"doc": _object(DOC_TYPE, DOC_FIELDS, DOC_VARIANT_B), "lignes": st.lists(lines, max_size=4)},
                          optional={"options": values}),
    st.dictionaries(st.sampled_from(["doc", "lignes", "Doc", "extra"]), values, max_size=3),
    values)


def _checker(naming: str) -> Checker:
    return Checker(customers={"WEB000056"}, articles={"MUG-CLASSIC": {}}, special_articles=("PORT",),
                   tax_codes={"S_20": Decimal("20")}, piece_prefixes={0: "DE", 1: "BC", 6: "FA"},
                   remise_types={0: "amount", 1: "percent"}, expedition_modes={1: "Transporteur"}, naming=naming)


@settings(max_examples=300, deadline=None)
@given(body=bodies, naming=st.sampled_from(["pascal", "sage", "both"]))
def test_random_bodies_are_read_without_a_traceback(body: Any, naming: str) -> None:
    checker = _checker(naming)
    doc, read_lines = checker.check_insert(body)
    for problem in checker.problems:
        assert problem.code in CODES and problem.message
    if not checker.problems:
        assert set(doc) <= DOC_FIELDS and is_int(doc["TypeDocument"])
        assert all(set(line) <= LINE_FIELDS for line in read_lines)
        if checker.ignored:   # the simulator took it whole; the engine's contract must have caught the rest
            assert DOCUMENT.problems(body)


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@settings(max_examples=200, deadline=None)
@given(client=st.one_of(st.dictionaries(_names(CLIENT_FIELDS, {}), values, max_size=6), values))
def test_random_clients_are_checked_without_a_traceback(client: Any) -> None:
    for problem in check_client(client, {"WEB000056": {}}) + check_client(client, {}, reject_unknown=True):
        assert problem.message and problem.code


VALID = {"doc": {"__type": DOC_TYPE, "TypeDocument": 1, "Date": "/Date(1715674867000+0200)/", "NumeroTiers": "WEB000056"},
         "lignes": [{"__type": LINE_TYPE, "RefArticle": "MUG-CLASSIC", "Quantite": 2}]}
strangers = st.text(min_size=1, max_size=10).filter(
    lambda n: n not in DOC_FIELDS | LINE_FIELDS | set(DOC_VARIANT_B) | set(LINE_VARIANT_B) | {"doc", "lignes"})


@settings(max_examples=200, deadline=None)
@given(where=st.sampled_from(["", "doc", "line"]), name=strangers, value=values, naming=st.sampled_from(["pascal", "both"]))
def test_a_stranger_member_is_ignored_by_the_simulator_and_refused_by_the_contract(where: str, name: str, value: Any,
                                                                                    naming: str) -> None:
    body = {"doc": dict(VALID["doc"]), "lignes": [dict(VALID["lignes"][0])]}
    target = body if where == "" else body["doc"] if where == "doc" else body["lignes"][0]
    target[name] = value
    checker = _checker(naming)
    checker.check_insert(body)
    assert checker.problems == [] and len(checker.ignored) == 1
    assert DOCUMENT.problems(body)
