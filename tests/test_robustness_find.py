"""Robustness of find-or-create and cross-references (issue 9, point 3), property-based (Hypothesis):

1. random and mutated ``target.find`` / ``target.xref`` blocks and ``xref`` transform arguments never give a
   traceback nor an ``internal-error`` from ``validate``: exit 0 or 1, and every error line is located in
   the file written (line and column within it);
2. the search answers one of its four kinds (found, absent, skipped, unknown) or a record error, whatever
   the target's pages hold;
3. the ``xref`` transform, bound to a store or not, returns a value or raises a TransformError, nothing else.
"""
from __future__ import annotations

import io
import re
import tempfile
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.cli.main import main
from engine.errors import RecordError, TransformError
from engine.lang.builtins import default_registry
from engine.lang.context import SimpleContext
from engine.lang.registry import ArgError
from engine.lang.xref import bound
from engine.plan.compile import compile_project
from engine.project.load import load_project
from engine.runtime import finder
from engine.runtime.lookups import Unknown
from engine.runtime.state import ACKED, SqliteStore
from engine.runtime.xref_store import Pair

ENDPOINTS = {
    "shop": {"use": "prestashop", "settings": {"base_url": "${env:PS_URL}", "key": "${env:PS_KEY}"}},
    "sage": {"use": "sage100-ws", "settings": {"base_url": "${env:SAGE_URL}", "token": "${env:SAGE_TOKEN}"}},
}
LOCATED = re.compile(r"^spec\.yaml:(\d+):(\d+): (error|warning)\[([a-z0-9-]+)\] ")
SETTINGS = settings(max_examples=60, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

names = st.sampled_from(["clients", "client", "articles", "documents", "Clients", "", "orders", "nope"])
fields = st.sampled_from(["Email", "email", "Telephone", "NumeroTiers", "", "Email ", "_key", "a.b"])
expressions = st.one_of(
    st.sampled_from(["email", "customer.email", "email ||", "[", "`1`", "lower(email)", "@", "'x'", "a[?b=='c']",
                     "NumeroTiers", "NumeroTiers[", "unknown_fn(x)", ""]),
    st.text(max_size=12))
scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.text(max_size=8))
anything = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                         st.dictionaries(st.text(max_size=6), inner, max_size=3)),
                        max_leaves=6)
find_blocks = st.one_of(
    st.fixed_dictionaries({"read": names, "match": st.dictionaries(fields, expressions, max_size=3)},
                          optional={"id": expressions, "extra": anything}),
    anything)
xref_args = st.one_of(
    st.fixed_dictionaries({"from": st.sampled_from(["shop", "sage", "", "nowhere"]),
                           "type": st.sampled_from(["customers", "", "orders"])},
                          optional={"to": st.sampled_from(["sage", "", 3]), "reverse": anything, "default": anything,
                                    "kind": anything}),
    anything)


def _validate(project: dict) -> tuple[int, str]:
    with tempfile.TemporaryDirectory() as folder:
        text = yaml.safe_dump(project, sort_keys=False, allow_unicode=True)
        (Path(folder) / "spec.yaml").write_text(text, encoding="utf-8")
        out, err = io.StringIO(), io.StringIO()
        with redirect_stdout(out), redirect_stderr(err):
            code = main(["validate", folder])
        output = out.getvalue().replace(folder + "/", "")
        lines = text.count("\n") + 1
    assert code in (0, 1), err.getvalue()
    assert "Traceback" not in output + err.getvalue() and "internal-error" not in output, output
    assert "internal error" not in err.getvalue(), err.getvalue()
    for line in output.splitlines():
        if line.startswith("  hint:") or not line.strip():
            continue
        located = LOCATED.match(line)
        assert located, line
        assert 1 <= int(located.group(1)) <= lines and int(located.group(2)) >= 1, line
    if code == 1:
        assert any(LOCATED.match(line) for line in output.splitlines()), output
    return code, output


def _customers(find, xref) -> dict:
    target: dict = {"endpoint": "sage", "write": "insert_client", "find": find}
    if xref is not None:
        target["xref"] = xref
    return {"endpoints": ENDPOINTS, "flows": {"customers_to_sage": {
        "source": {"endpoint": "shop", "read": "customers"}, "target": target,
        "map": {"NumeroTiers": {"from": "id"}, "Intitule": {"from": "lastname"}}}}}


@SETTINGS
@given(find=find_blocks, xref=st.one_of(st.none(), anything))
def test_random_find_blocks_give_located_diagnostics(find, xref):
    _validate(_customers(find, xref))


@SETTINGS
@given(args=xref_args)
def test_random_xref_arguments_give_located_diagnostics(args):
    project = {"endpoints": ENDPOINTS, "flows": {"orders_to_sage": {
        "source": {"endpoint": "shop", "read": "orders"},
        "target": {"endpoint": "sage", "write": "insert_document"},
        "map": {"doc": {"NumeroTiers": {"from": "id_customer", "transform": {"xref": args}}}}}}}
    _validate(project)


def test_a_well_formed_find_validates():
    code, output = _validate(_customers({"read": "clients", "match": {"Email": "email"}}, "customers"))
    assert code == 0, output


# -- the search, whatever the target answers ---------------------------------------------------------

def _flow():
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "spec.yaml").write_text(yaml.safe_dump(_customers(
            {"read": "clients", "match": {"Email": "email"}}, None)), encoding="utf-8")
        plan, diags = compile_project(load_project(Path(folder)))
    assert plan is not None, diags
    return plan.flows["customers_to_sage"]


FLOW = _flow()


class Pages:
    def __init__(self, pages):
        self.pages = pages

    def read(self, resource, *, where=None, **_):
        yield from self.pages


@SETTINGS
@given(pages=st.lists(st.lists(anything, max_size=4), max_size=3), scope=anything)
def test_the_search_always_answers_one_of_its_kinds(pages, scope):
    answer = finder.search_match(FLOW, FLOW.find, Pages(pages), scope, "k")
    assert answer in (finder.ABSENT, finder.SKIPPED) or isinstance(answer, (finder.Found, Unknown, RecordError))
    if isinstance(answer, RecordError):
        assert answer.flow == "customers_to_sage" and answer.key == "k" and answer.loc is not None


# -- the transform, bound or not ---------------------------------------------------------------------

STORE = SqliteStore(":memory:")
for _key, _code in (("56", "WEB000056"), ("7", "HAND07")):
    STORE.intend("customers_to_sage", _key, "{}")
    STORE.settle("customers_to_sage", _key, _code, ACKED,
                 pair=Pair("shop", "customers", _key, "sage", "customers_to_sage"))


@SETTINGS
@given(args=xref_args, value=anything, with_store=st.booleans())
def test_the_xref_transform_returns_or_raises_a_transform_error(args, value, with_store):
    spec = default_registry().get("transform", "xref")
    try:
        import jsonschema
        jsonschema.validate(args, spec.args_schema)
    except Exception:  # the schema refuses it: validate reports it, the factory is never called
        return
    try:
        fn = spec.factory(args, SimpleContext({}))
    except ArgError:
        return
    with bound(STORE.xref_resolver({("shop", "customers"): ["customers_to_sage"]}) if with_store else None):
        try:
            fn(value)
        except TransformError as exc:
            assert str(exc)
