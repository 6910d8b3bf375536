"""Compiling ODBC and file connector definitions: SQL placeholders become bound parameters, and every
mistake is a located diagnostic at validate (no database, no folder needed)."""
from __future__ import annotations

import pytest

from engine.connectors.compile import compile_connector
from engine.connectors.registry import protocols
from engine.connectors.sqltext import SqlTextError, parse_sql


def compiled(data: dict):
    plan, diags = compile_connector(data, lambda path: None)
    return plan, [(d.code, d.path) for d in diags], diags


def odbc(operations=None, resources=None, **block) -> dict:
    return {"name": "sage", "protocol": "odbc",
            "settings": {"connection": {"required": True}, "company": {}},
            "odbc": block or {"connection": "{settings.connection}"},
            "resources": resources or {"articles": {"sql": "SELECT AR_Ref FROM F_ARTICLE"}},
            "operations": operations or {}}


@pytest.mark.parametrize("source, text, params", [
    ("UPDATE F_ARTSTOCK SET AS_QteSto = {payload.quantity} WHERE AR_Ref = {ref}",
     "UPDATE F_ARTSTOCK SET AS_QteSto = ? WHERE AR_Ref = ?", (("payload", "quantity"), ("ref",))),
    ("SELECT 'it''s {{x}}', \"a\"\"b\", [c]]d] FROM t -- a comment {{\nWHERE a = {x} /* ? */",
     "SELECT 'it''s {x}', \"a\"\"b\", [c]]d] FROM t -- a comment {\nWHERE a = ? /* ? */", (("x",),)),
    ("SELECT {{fn NOW()}}", "SELECT {fn NOW()}", ()),
    ("SELECT 'What?' AS q", "SELECT 'What?' AS q", ()),
])
def test_placeholders_become_parameters(source, text, params):
    sql = parse_sql(source)
    assert (sql.text, sql.params) == (text, params)


@pytest.mark.parametrize("source, message", [
    ("SELECT * FROM F_ARTICLE WHERE AR_Ref = '{ref}'", "placeholder {ref} inside a quoted SQL string literal"),
    ("SELECT * FROM t WHERE a = \"{ref}\"", "inside a quoted identifier"),
    ("SELECT * FROM t -- {ref}", "inside an SQL comment"),
    ("SELECT * FROM t WHERE a = {ref", "unbalanced brace at character 27"),
    ("SELECT * FROM t WHERE a = ref}", "unbalanced brace"),
    ("SELECT * FROM t WHERE a = ?", "a raw `?` parameter"),
    ("SELECT 'abc FROM t", "unterminated quoted SQL string literal"),
    ("SELECT 1 /* never closed", "unterminated comment"),
    ("SELECT * FROM t; DELETE FROM t", "a second statement after `;`"),
    ("SET NOCOUNT ON; INSERT INTO t VALUES ({x})", "a second statement after `;`"),
])
def test_sql_text_mistakes(source, message):
    with pytest.raises(SqlTextError, match=message.replace("?", r"\?").replace("{", r"\{").replace("}", r"\}")):
        parse_sql(source)


@pytest.mark.parametrize("source", ["SELECT 1;", "SELECT ';' AS s; -- done", "SELECT 1; /* end */ \n"])
def test_a_trailing_semicolon_is_one_statement(source):
    assert parse_sql(source).params == ()


def test_a_resource_that_writes_is_refused():
    _, found, diags = compiled(odbc({}, resources={
        "purge": {"sql": "/* tidy */ DELETE FROM F_ARTICLE WHERE AR_Sommeil = 1", "key": "AR_Ref"}}))
    assert found == [("bad-sql", "connector.resources.purge.sql")]
    assert "a resource reads: its SQL is a SELECT, not DELETE" in diags[0].message


def test_operation_placeholders_are_payload_fields_settings_or_with_values():
    plan, diags, _ = compiled(odbc({
        "set_stock": {"sql": "UPDATE F_ARTSTOCK SET AS_QteSto = {payload.quantity} WHERE AR_Ref = {ref} "
                             "AND DE_No = {settings.company}"},
        "insert": {"statements": ["INSERT INTO F_DOCENTETE (DO_Piece) VALUES ({payload.piece})",
                                  {"sql": "INSERT INTO F_DOCLIGNE (DO_Piece, AR_Ref, DL_Ligne) VALUES "
                                          "({payload.piece}, {item.ref}, {line})", "each": "lines"}],
                   "result": "SELECT @@IDENTITY"},
    }))
    assert diags == []
    assert plan.operations["set_stock"].needs == {"ref"}
    assert plan.operations["insert"].needs == {"line"}
    detail = plan.operations["insert"].detail
    assert [s.each for s in detail.statements] == [None, ("lines",)] and detail.result.pick(None).text == "SELECT @@IDENTITY"
    resource = plan.resources["articles"]
    assert (resource.where, resource.since, resource.keys) == (None, None, None)  # validate refuses filters


def test_connector_mistakes_are_located():
    _, diags, found = compiled(odbc({
        "quoted": {"sql": "UPDATE F_ARTICLE SET AR_Design = '{payload.name}' WHERE AR_Ref = {ref}"},
        "brace": {"sql": "UPDATE F_ARTICLE SET AR_Design = {payload.name WHERE 1 = 1"},
        "http_key": {"sql": "DELETE FROM F_ARTICLE WHERE AR_Ref = {ref}", "graphql": "mutation { x }"},
        "both": {"sql": "SELECT 1", "statements": ["SELECT 2"]},
        "neither": {"description": "nothing to run"},
        "whole": {"sql": "INSERT INTO t VALUES ({payload})"},
        "setting": {"sql": "SELECT {settings.compagny}"},
        "item_without_each": {"statements": ["INSERT INTO t VALUES ({item.ref})"]},
    }, {"articles": {"sql": "SELECT * FROM F_ARTICLE WHERE AR_Ref = {ref}"}, "nosql": {"key": "AR_Ref"}}))
    assert sorted(diags) == sorted([
        ("bad-sql", "connector.operations.quoted.sql"),
        ("bad-sql", "connector.operations.brace.sql"),
        ("foreign-key", "connector.operations.http_key.graphql"),
        ("conflicting-keys", "connector.operations.both.statements"),
        ("missing-key", "connector.operations.neither"),
        ("unknown-placeholder", "connector.operations.whole.sql"),
        ("unknown-placeholder", "connector.operations.setting.sql"),
        ("unknown-placeholder", "connector.resources.articles.sql"),
        ("missing-key", "connector.resources.nosql"),
    ])
    quoted = next(d for d in found if d.path.endswith("quoted.sql"))
    assert "bound as a parameter" in quoted.message
    setting = next(d for d in found if d.path.endswith("setting.sql"))
    assert setting.hint and "company" in setting.hint
    # {item.ref} outside `each` is a value the flow must give (the flow's validate says which is missing)


def test_protocols_declare_their_keys():
    specs = protocols()
    assert set(specs) == {"http", "odbc", "file"}
    assert specs["odbc"].operation_keys == {"sql", "statements", "result"}
    assert specs["file"].resource_keys == {"path", "format", "inbox"}
    assert specs["file"].operation_keys == {"path", "format", "mode", "timezone", "rows"}


def test_an_http_operation_still_needs_method_and_path():
    _, diags, _ = compiled({"name": "x", "protocol": "http", "settings": {"base_url": {}},
                            "operations": {"send": {"body": "json"}}})
    assert diags == [("missing-key", "connector.operations.send"), ("missing-key", "connector.operations.send")]


def file_def(operations=None, resources=None) -> dict:
    return {"name": "drop", "protocol": "file", "settings": {"dir": {"required": True}},
            "file": {"dir": "{settings.dir}"}, "resources": resources or {}, "operations": operations or {}}


def test_file_paths_stay_inside_dir():
    plan, diags, _ = compiled(file_def(
        {"ok": {"path": "out/{key}.json"}, "up": {"path": "../x/{key}.json"}, "abs": {"path": "/etc/{key}"},
         "sql": {"path": "x.json", "sql": "SELECT 1"}, "none": {"format": "json"}},
        {"orders": {"path": "orders/*.json"}, "escape": {"path": "orders/../../*.json"}}))
    assert sorted(diags) == sorted([
        ("bad-path", "connector.operations.up.path"), ("bad-path", "connector.operations.abs.path"),
        ("foreign-key", "connector.operations.sql.sql"), ("missing-key", "connector.operations.none"),
        ("bad-path", "connector.resources.escape.path"),
    ])
    assert plan.operations["ok"].needs == {"key"}
