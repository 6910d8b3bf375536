"""A client project with its own ODBC (Sage 100 SQL) and file connectors, end to end through the CLI:
validate, live dry-run, run twice (the second run creates nothing), check, and the validate errors a
consultant meets with these protocols."""
from __future__ import annotations

import builtins
import json
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from odbc_support import make_sage_db, rows, sqlite_driver
from support import run_cli

from engine.util.jsonout import dumps

PASSWORD = "Sage-Pa55word"

SAGE_CONNECTOR = """\
connector:
  name: sage100-sql
  summary: Sage 100c SQL tables through ODBC
  protocol: odbc
  settings:
    database: { required: true, description: the company database }
    driver: { default: SQLite3 }
    password: { secret: true }
  odbc:
    connection: "DRIVER={{{settings.driver}}};Database={settings.database};FKSupport=1;PWD={settings.password}"
    batch: 2
  resources:
    stock:
      description: physical and available stock per article and depot
      sql: >-
        SELECT s.AR_Ref, s.DE_No, s.AS_QteSto, s.AS_QteSto - s.AS_QteRes AS available
        FROM F_ARTSTOCK s JOIN F_ARTICLE a ON a.AR_Ref = s.AR_Ref
        WHERE a.AR_Sommeil = 0 ORDER BY s.AR_Ref, s.DE_No
      key: AR_Ref
  operations:
    insert_order:
      description: a sales order (BC) and its lines, in one transaction
      creates: true
      statements:
        - >-
          INSERT INTO F_DOCENTETE (DO_Domaine, DO_Type, DO_Piece, DO_Date, DO_Ref, DO_Tiers, DO_TotalTTC)
          VALUES (0, 1, {payload.piece}, {payload.date}, {payload.reference}, {payload.customer}, {payload.total})
        - sql: >-
            INSERT INTO F_DOCLIGNE (DO_Domaine, DO_Type, DO_Piece, CT_Num, DL_Ligne, AR_Ref, DL_Qte, DL_PrixUnitaire)
            VALUES (0, 1, {payload.piece}, {payload.customer}, {item.line}, {item.ref}, {item.qty}, {item.price})
          each: lines
      result: "SELECT DO_Piece FROM F_DOCENTETE WHERE DO_Ref = {payload.reference}"
      find: find_order
      find_id: DO_Piece
    find_order:
      sql: "SELECT DO_Piece FROM F_DOCENTETE WHERE DO_Ref = {reference}"
"""

FILE_CONNECTOR = """\
connector:
  name: exchange
  summary: the exchange folder shared with the shop
  protocol: file
  settings:
    dir: { required: true }
  file: { dir: "{settings.dir}" }
  resources:
    orders: { path: "orders/*.json", key: id }
  operations:
    save_stock: { path: "stock/{ref}.json", creates: true, find: find_stock, find_id: path }
    find_stock: { path: "stock/{reference}.json" }
"""

PROJECT = """\
project: { name: Bijouterie Martin }
endpoints:
  sage:
    use: sage100-sql
    settings:
      database: "${env:E2E_SAGE_DB}"
      driver: "${env:E2E_SAGE_DRIVER}"
      password: "${env:E2E_SAGE_PASSWORD}"
  exchange: { use: exchange, settings: { dir: "${env:E2E_EXCHANGE}" } }
flows:
  stock_to_files:
    source: { endpoint: sage, read: stock }
    target: { endpoint: exchange, write: save_stock, with: { ref: AR_Ref }, reference: ref }
    map:
      ref: { from: AR_Ref }
      depot: { from: DE_No }
      quantity: { from: AS_QteSto }
      available: { from: available }
  files_to_sage:
    source: { endpoint: exchange, read: orders }
    key: id
    target: { endpoint: sage, write: insert_order, reference: reference }
    map:
      piece: { from: id, transform: [{ pad: { width: 5, char: "0" } }, { prefix: BC }] }
      reference: { from: id, transform: { prefix: PS_ } }
      date: { from: date }
      customer: { from: customer }
      total: { from: total }
      lines:
        - each: lines
          map:
            line: { from: line }
            ref: { from: sku }
            qty: { from: qty }
            price: { from: price }
"""

ORDERS = {
    "a.json": {"orders": [
        {"id": "42", "date": "2024-05-14", "customer": "WEB000056", "total": Decimal("42.50"),
         "lines": [{"line": 1000, "sku": "BAAR01", "qty": 2, "price": Decimal("12.50")},
                   {"line": 2000, "sku": "MUG-CLASSIC", "qty": 1, "price": Decimal("17.50")}]},
        {"id": "43", "date": "2024-05-15", "customer": "WEB000056", "total": Decimal("8"),
         "lines": [{"line": 1000, "sku": "MUG-CLASSIC", "qty": 1, "price": Decimal("8")}]}]},
    "b.json": {"id": "44", "date": "2024-05-16", "customer": "WEB000056", "total": Decimal("45"),
               "lines": [{"line": 1000, "sku": "BAAR01", "qty": 1, "price": Decimal("45")}]},
}


@pytest.fixture
def project(tmp_path, monkeypatch):
    root = tmp_path / "martin"
    (root / "connectors").mkdir(parents=True)
    (root / "connectors" / "sage100-sql.yaml").write_text(SAGE_CONNECTOR)
    (root / "connectors" / "exchange.yaml").write_text(FILE_CONNECTOR)
    (root / "project.yaml").write_text(PROJECT)
    exchange = tmp_path / "exchange"
    (exchange / "orders").mkdir(parents=True)
    for name, content in ORDERS.items():
        (exchange / "orders" / name).write_text(dumps(content))  # exact decimals
    db = make_sage_db(tmp_path / "sage100.db")
    monkeypatch.setenv("E2E_SAGE_DB", str(db))
    monkeypatch.setenv("E2E_SAGE_DRIVER", sqlite_driver())
    monkeypatch.setenv("E2E_SAGE_PASSWORD", PASSWORD)
    monkeypatch.setenv("E2E_EXCHANGE", str(exchange))
    monkeypatch.delenv("PASSERELLE_CONNECTORS", raising=False)
    return root, db, exchange


def cli(*argv, cwd: Path):
    code, out, err = run_cli(list(argv), cwd)
    assert PASSWORD not in out + err
    return code, out, err


def test_validate_dry_run_and_run_twice(project, tmp_path):
    root, db, exchange = project
    code, out, err = cli("validate", str(root), cwd=tmp_path)
    assert code == 0, out + err
    assert "0 error(s), 0 warning(s)" in err

    code, out, err = cli("dry-run", str(root), "--flow", "files_to_sage", cwd=tmp_path)
    assert code == 0, out + err
    assert "# files_to_sage record 42" in out and "SQL odbc:DRIVER={SQLite3};Database=" in out
    assert "PWD=***" in out and "INSERT INTO F_DOCENTETE" in out and '-- ? = "BC00042", "2024-05-14"' in out
    assert "files_to_sage: 3 read live, 3 mapped" in err
    code, out, err = cli("dry-run", str(root), "--flow", "stock_to_files", cwd=tmp_path)
    assert code == 0, out + err
    assert "WRITE file:stock/BAAR01.json" in out and '"available": 7' in out
    assert rows(db, "SELECT COUNT(*) FROM F_DOCENTETE") == [(0,)] and not (exchange / "stock").exists()

    state = str(tmp_path / "state")
    code, out, err = cli("run", str(root), "--state", state, cwd=tmp_path)
    assert code == 0, out + err
    assert "stock_to_files: 2 read, 2 created" in err and "files_to_sage: 3 read, 3 created" in err
    assert json.loads((exchange / "stock" / "BAAR01.json").read_text(), parse_float=Decimal) == \
        {"ref": "BAAR01", "depot": 1, "quantity": 10, "available": 7}
    assert sorted(p.name for p in (exchange / "stock").iterdir()) == ["BAAR01.json", "MUG-CLASSIC.json"]
    assert rows(db, "SELECT DO_Piece, DO_Ref, DO_TotalTTC FROM F_DOCENTETE ORDER BY DO_Piece") == \
        [("BC00042", "PS_42", 42.5), ("BC00043", "PS_43", 8), ("BC00044", "PS_44", 45)]
    assert rows(db, "SELECT DO_Piece, DL_Ligne, AR_Ref, DL_Qte FROM F_DOCLIGNE ORDER BY DO_Piece, DL_Ligne") == \
        [("BC00042", 1000, "BAAR01", 2), ("BC00042", 2000, "MUG-CLASSIC", 1), ("BC00043", 1000, "MUG-CLASSIC", 1),
         ("BC00044", 1000, "BAAR01", 1)]
    written = {p.name: p.stat().st_mtime_ns for p in (exchange / "stock").iterdir()}

    code, out, err = cli("run", str(root), "--state", state, cwd=tmp_path)
    assert code == 0, out + err
    assert "stock_to_files: 2 read, 0 created" in err and "files_to_sage: 3 read, 0 created" in err
    assert rows(db, "SELECT COUNT(*) FROM F_DOCENTETE") == [(3,)]
    assert rows(db, "SELECT COUNT(*) FROM F_DOCLIGNE") == [(4,)]
    assert {p.name: p.stat().st_mtime_ns for p in (exchange / "stock").iterdir()} == written

    code, out, err = cli("check", str(root), cwd=tmp_path)
    assert code == 0, out + err
    assert "ok   sage: odbc:DRIVER=" in out and "PWD=***" in out and "ok   exchange: file:" in out


def test_a_rejected_document_is_set_aside_and_nothing_of_it_is_written(project, tmp_path):
    root, db, exchange = project
    bad = {"id": "45", "date": "2024-05-17", "customer": "NO-SUCH-CUSTOMER", "total": 1,
           "lines": [{"line": 1000, "sku": "BAAR01", "qty": 1, "price": 1}]}
    (exchange / "orders" / "c.json").write_text(json.dumps(bad))
    state = str(tmp_path / "state")
    code, out, err = cli("run", str(root), "--flow", "files_to_sage", "--state", state, cwd=tmp_path)
    assert code == 3, out + err  # one record set aside, the others created
    assert "files_to_sage: 4 read, 3 created, 0 updated, 0 skipped, 1 failed" in err
    code, out, err = cli("failures", str(root), "--state", state, cwd=tmp_path)
    assert "record 45: rejected by the target: operation 'insert_order'" in out
    assert "FOREIGN KEY constraint failed" in out
    assert rows(db, "SELECT COUNT(*) FROM F_DOCENTETE WHERE DO_Ref = 'PS_45'") == [(0,)]


def test_a_missing_odbc_library_is_a_clear_error_line(project, tmp_path, monkeypatch):
    root, db, exchange = project
    real_import = builtins.__import__

    def no_libodbc(name, *args, **kwargs):
        if name == "pyodbc":
            raise ImportError("libodbc.so.2: cannot open shared object file: No such file or directory")
        return real_import(name, *args, **kwargs)

    monkeypatch.delitem(sys.modules, "pyodbc", raising=False)
    monkeypatch.setattr(builtins, "__import__", no_libodbc)
    code, out, err = cli("run", str(root), "--flow", "stock_to_files", "--state", str(tmp_path / "s"), cwd=tmp_path)
    assert code == 1 and "internal error" not in err
    assert "error[config]" in err and "endpoint 'sage' cannot be opened" in err and "apt-get install unixodbc" in err
    code, out, err = cli("dry-run", str(root), "--flow", "stock_to_files", cwd=tmp_path)
    assert code == 1 and "error[live]" in err and "system ODBC library is missing" in err
    code, out, err = cli("check", str(root), cwd=tmp_path)
    assert code == 1 and "FAIL sage:" in out and "system ODBC library is missing" in out
    assert "ok   exchange" in out


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_validate_refuses_a_filter_odbc_cannot_apply(project, tmp_path):
    root, _, _ = project
    replace_in(root / "project.yaml", "source: { endpoint: sage, read: stock }",
               "source: { endpoint: sage, read: stock, where: { DE_No: 1 } }")
    code, out, err = cli("validate", str(root), cwd=tmp_path)
    assert code == 1
    assert "martin/project.yaml:12:53: error[unsupported-filter] flows.stock_to_files.source.where.DE_No: resource " \
           "'stock' of endpoint 'sage' cannot be filtered" in out


def test_validate_locates_a_quoted_placeholder_in_sql(project, tmp_path):
    root, _, _ = project
    replace_in(root / "connectors" / "sage100-sql.yaml", "WHERE DO_Ref = {reference}", "WHERE DO_Ref = '{reference}'")
    code, out, err = cli("validate", str(root), cwd=tmp_path)
    assert code == 1
    assert "martin/connectors/sage100-sql.yaml:36:12: error[bad-sql] connector.operations.find_order.sql: " \
           "placeholder {reference} inside a quoted SQL string literal" in out
    assert "error[broken-connector] endpoints.sage.use" in out


def test_validate_refuses_a_key_of_another_protocol(project, tmp_path):
    root, _, _ = project
    replace_in(root / "connectors" / "sage100-sql.yaml", "    find_order:\n",
               "    find_order:\n      graphql: \"query { order }\"\n")
    code, out, err = cli("validate", str(root), cwd=tmp_path)
    assert code == 1
    assert "martin/connectors/sage100-sql.yaml:36:16: error[foreign-key] connector.operations.find_order.graphql: " \
           "`graphql` is not used by odbc connectors" in out
