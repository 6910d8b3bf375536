"""The complete example of the "ODBC" section of docs/runtime.md runs as written: its connector files and
project (the ```yaml blocks marked ``<!-- odbc-example: PATH -->``) against a Sage-shaped SQLite database
through the SQLite ODBC driver, run twice."""
from __future__ import annotations

import json
import re
import sqlite3
from decimal import Decimal
from pathlib import Path

from odbc_support import make_sage_db, rows, sqlite_driver
from support import ROOT, run_cli

BLOCK = re.compile(r"<!-- odbc-example: (\S+) -->\n```yaml\n(.*?)```", re.S)
ORDERS = [{"id": "42", "date": "2024-05-14", "customer": "WEB000056", "total": "42.50",
           "lines": [{"line": 1000, "sku": "BAAR01", "qty": 2, "price": "12.50"},
                     {"line": 2000, "sku": "MUG-CLASSIC", "qty": 1, "price": "17.50"}]},
          {"id": "43", "date": "2024-05-15", "customer": "WEB000056", "total": "8",
           "lines": [{"line": 1000, "sku": "MUG-CLASSIC", "qty": 1, "price": "8"}]}]


def test_the_runtime_odbc_example_runs_twice(tmp_path, monkeypatch):
    blocks = BLOCK.findall((ROOT / "docs" / "runtime.md").read_text(encoding="utf-8"))
    assert sorted(path for path, _ in blocks) == ["connectors/exchange.yaml", "connectors/sage100-sql.yaml",
                                                  "project.yaml"]
    root = tmp_path / "martin"
    for path, text in blocks:
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    db = make_sage_db(tmp_path / "sage.db")
    with sqlite3.connect(db) as con:
        con.executescript("""
            CREATE TABLE F_DOCCURRENTPIECE (DC_Domaine SMALLINT, DC_IdCol SMALLINT, DC_Souche SMALLINT,
              DC_Piece VARCHAR(13));
            INSERT INTO F_DOCCURRENTPIECE VALUES (0, 1, 0, 'BC00042');
            UPDATE F_ARTICLE SET cbModification = '2024-07-15 10:00:00';""")
    exchange = tmp_path / "exchange"
    (exchange / "orders").mkdir(parents=True)
    (exchange / "orders" / "a.json").write_text(json.dumps({"orders": ORDERS}))
    monkeypatch.setenv("SAGE_DB", str(db))
    monkeypatch.setenv("SAGE_DRIVER", sqlite_driver())
    monkeypatch.setenv("EXCHANGE_DIR", str(exchange))
    monkeypatch.delenv("PASSERELLE_CONNECTORS", raising=False)
    state = str(tmp_path / "state")

    code, out, err = run_cli(["validate", str(root)], tmp_path)
    assert code == 0, out + err
    code, out, err = run_cli(["run", str(root), "--state", state], tmp_path)
    assert code == 0, out + err
    assert "articles_out: 2 read, 2 created" in err and "orders_in: 2 read, 2 created" in err
    assert json.loads((exchange / "articles" / "BAAR01.json").read_text(), parse_float=Decimal) == \
        {"ref": "BAAR01", "name": "Bague argent 925", "price": 45, "changed": "2024-07-15T10:00:00+02:00"}
    assert rows(db, "SELECT DO_Piece, DO_Ref FROM F_DOCENTETE ORDER BY DO_Piece") == \
        [("BC00042", "PS_42"), ("BC00043", "PS_43")]
    assert rows(db, "SELECT DO_Piece, DL_Ligne, AR_Ref FROM F_DOCLIGNE ORDER BY DO_Piece, DL_Ligne") == \
        [("BC00042", 1000, "BAAR01"), ("BC00042", 2000, "MUG-CLASSIC"), ("BC00043", 1000, "MUG-CLASSIC")]
    assert rows(db, "SELECT DC_Piece FROM F_DOCCURRENTPIECE") == [("BC00044",)]

    with sqlite3.connect(db) as con:  # one article changes after the first run
        con.execute("UPDATE F_ARTICLE SET AR_PrixVen = 46, cbModification = '2024-07-16 08:00:00' "
                    "WHERE AR_Ref = 'BAAR01'")
    code, out, err = run_cli(["run", str(root), "--state", state], tmp_path)
    assert code == 0, out + err
    assert "orders_in: 2 read, 0 created" in err  # exactly once: no second document
    assert "articles_out: 2 read" in err  # >= the cursor: the changed article, and MUG-CLASSIC at the old stamp
    assert rows(db, "SELECT COUNT(*) FROM F_DOCENTETE") == [(2,)]
    assert rows(db, "SELECT DC_Piece FROM F_DOCCURRENTPIECE") == [("BC00044",)]
