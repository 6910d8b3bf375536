"""Robustness of the ODBC constructs (property-based): random and mutated SQL texts, filters, fetch steps,
pipes and dialect mappings in a connector definition validate without a traceback or an internal error,
every error located in the connector file; the SQL scanner raises only its own error; key batches bind
every key once and never more markers than allowed; ``next_number`` keeps prefix and width or refuses."""
from __future__ import annotations

import re
import string
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from support import run_cli

from engine.connectors.compile import compile_connector
from engine.connectors.sqlfilters import build
from engine.connectors.sqltext import SqlTextError, parse_sql
from engine.errors import TransformError
from engine.lang.transforms.counters import next_number_of

SETTINGS = settings(max_examples=40, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
LOCATED = re.compile(r"^project/connectors/sage\.yaml:(\d+):(\d+): error\[[a-z-]+\] ")

pieces = st.sampled_from(["SELECT a.AR_Ref FROM F_ARTICLE a", " WHERE ", "{filters}", "{since}", "{keys}", "{value}",
                          "{settings.dsn}", "{settings.nope}", "{payload.ref}", "{piece.DC_Piece}",
                          "{piece.DC_Piece | next_number}", "{x | nope}", "{x |}", "'", "''", '"', "[", "]", "--",
                          "/*", "*/", "{", "}", "{{", "}}", "?", " ORDER BY a.AR_Ref", " AND ", " IN ", "é", "\n"])
sql_texts = st.lists(pieces, max_size=8).map("".join) | st.text(max_size=30)
dialect_names = st.sampled_from(["mssql", "postgresql", "default", "oracle", "x-y", "1bad"])
sql_values = sql_texts | st.dictionaries(dialect_names, sql_texts | st.integers(), max_size=3) | st.none() | \
    st.integers() | st.lists(sql_texts, max_size=2)
filters = st.none() | st.fixed_dictionaries({"column": st.sampled_from(["cbModification", "AR_Ref", "bad col", ""]),
                                             "sql": sql_values}) | sql_texts
steps = st.lists(sql_values | st.fixed_dictionaries({"fetch": sql_values, "as": st.sampled_from(
    ["piece", "payload", "item", "", "x y"]) | st.integers()}) | st.fixed_dictionaries(
    {"sql": sql_values, "each": st.sampled_from(["lines", "a.b", "", "1x"])}), max_size=4)


@st.composite
def connectors(draw) -> dict:
    odbc = {"connection": "DSN={settings.dsn}"}
    odbc.update(draw(st.fixed_dictionaries({}, optional={
        "dialects": st.lists(dialect_names, max_size=3) | st.text(max_size=5),
        "dialect": st.sampled_from(["{settings.dialect}", "mssql", "{nope}"]),
        "timezone": st.sampled_from(["Europe/Paris", "UTC", "Nowhere/City", "{settings.tz}", ""]),
        "max_params": st.integers(-1, 3000)})))
    resource = {"sql": draw(sql_values), "key": draw(st.sampled_from(["AR_Ref", None]))}
    resource.update(draw(st.fixed_dictionaries({}, optional={
        "since": filters, "keys": filters,
        "where": st.dictionaries(st.sampled_from(["DE_No", "bad field", "x"]), sql_values, max_size=2)})))
    operation = draw(st.sampled_from(["sql", "statements"]))
    op = {"sql": draw(sql_values)} if operation == "sql" else {"statements": draw(steps)}
    op["result"] = draw(sql_values | st.sampled_from(["{piece.DC_Piece}", "{later.x}"]))
    return {"connector": {"name": "sage", "protocol": "odbc",
                          "settings": {"dsn": {"default": "SAGE"}, "dialect": {"default": "mssql"},
                                       "tz": {"default": "UTC"}},
                          "odbc": odbc, "resources": {"articles": resource}, "operations": {"write": op}}}


PROJECT = """\
endpoints:
  sage: { use: sage }
flows:
  copy:
    source: { endpoint: sage, read: articles, since: cbModification }
    target: { endpoint: sage, write: write }
    map: { ref: { from: AR_Ref } }
"""


@SETTINGS
@given(connectors())
def test_random_odbc_connectors_validate_with_located_errors(tmp_path_factory, definition):
    root = tmp_path_factory.mktemp("odbc")
    (root / "project" / "connectors").mkdir(parents=True)
    (root / "project" / "connectors" / "sage.yaml").write_text(yaml.safe_dump(definition, allow_unicode=True))
    (root / "project" / "flows.yaml").write_text(PROJECT)
    code, out, err = run_cli(["validate", "project"], root)
    text = out + err
    assert code in (0, 1), text
    assert "Traceback" not in text and "internal error" not in text and "internal-error" not in text, text
    lines = (root / "project" / "connectors" / "sage.yaml").read_text().count("\n") + 1
    for line in out.splitlines():
        if line.startswith("project/connectors/"):
            match = LOCATED.match(line)
            assert match, line
            assert 1 <= int(match.group(1)) <= lines and int(match.group(2)) >= 1, line


@SETTINGS
@given(sql_texts)
def test_the_sql_scanner_raises_only_its_own_error(text):
    try:
        sql = parse_sql(text)
    except SqlTextError as exc:
        assert 0 <= exc.offset <= len(text) and exc.message
        return
    assert sql.text.count("?") >= len(sql.params)
    assert not sql.pipes or len(sql.pipes) == len(sql.params)


KEYS_CONNECTOR = {"name": "k", "protocol": "odbc", "settings": {},
                  "odbc": {"connection": "DSN=x"},
                  "resources": {"r": {"sql": "SELECT AR_Ref FROM F_ARTICLE WHERE {filters}", "key": "AR_Ref",
                                      "keys": {"column": "AR_Ref", "sql": "AR_Ref IN {keys}"}}}}


@SETTINGS
@given(st.lists(st.text(max_size=5), max_size=1200), st.integers(1, 700))
def test_key_batches_bind_every_key_once_within_the_limit(keys, max_params):
    plan, diags = compile_connector(KEYS_CONNECTOR, lambda path: None)
    assert not diags
    statements = build(plan.resources["r"].detail, None, {}, where=None, since=None, keys=keys, max_params=max_params)
    assert [k for _, params in statements for k in params] == keys
    for text, params in statements:
        assert len(params) <= max_params and text.count("?") == len(params)


@SETTINGS
@given(st.text(string.ascii_uppercase + string.digits + "-_ ", max_size=12), st.integers(1, 1000))
def test_next_number_keeps_prefix_and_width_or_refuses(text, step):
    try:
        out = next_number_of(text, step)
    except TransformError as exc:
        assert "next_number" in str(exc)
        return
    assert len(out) == len(text)
    assert re.sub(r"\d", "0", out) == re.sub(r"\d", "0", text)
    assert out != text


