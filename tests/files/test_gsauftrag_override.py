"""A client whose GS-Auftrag files differ from the connector's starting layout: the endpoint's
`override` (the example of the head of specs/connectors/gs-auftrag.yaml) changes the stock export's
encoding, delimiter and file names and the order import's name and columns, without touching the
shared connector; validated and run through the CLI on real files."""
from __future__ import annotations

import os
from pathlib import Path

from support import run_cli

PROJECT = """\
project: { name: Kunde mit eigenem Format }
endpoints:
  erp:
    use: gs-auftrag
    settings: { dir: "${env:GSA_DIR}" }
    override:
      resources:
        stock_export:
          inbox: { path: "export/LAGER*.txt" }
          format: { encoding: utf-8-sig, delimiter: "\\t" }
      operations:
        import_order:
          path: "import/BEST_{reference}_{timestamp}.csv"
          format: { columns: [Bestellnummer, Artikelnummer, Menge, Einzelpreis] }
        find_order:
          path: "import/BEST_{reference}_{timestamp}.csv"
flows:
  stock_to_orders:
    description: each stock line written back as a one-position order file (only to exercise both overrides)
    source: { endpoint: erp, read: stock_export }
    target: { endpoint: erp, write: import_order, with: { reference: Artikelnummer }, reference: reference }
    map:
      reference: { from: Artikelnummer }
      positions:
        - each: "[@]"
          map:
            Bestellnummer: { from: _parent.Artikelnummer, transform: [{ prefix: "L" }] }
            Artikelnummer: { from: Artikelnummer }
            Menge: { from: Bestand }
            Einzelpreis: { value: "1,50" }
"""


def test_an_endpoint_override_adapts_the_layout(tmp_path: Path, monkeypatch):
    project = tmp_path / "kunde"
    project.mkdir()
    (project / "project.yaml").write_text(PROJECT, encoding="utf-8")
    exchange = tmp_path / "gsa"
    (exchange / "export").mkdir(parents=True)
    (exchange / "export" / "LAGER_1.txt").write_bytes("Artikelnummer\tLager\tBestand\r\nKÄSE-01\t1\t7\r\n"
                                                      .encode("utf-8-sig"))
    monkeypatch.setenv("GSA_DIR", str(exchange))
    code, out, err = run_cli(["validate", str(project)], tmp_path)
    assert code == 0, out + err
    code, out, err = run_cli(["run", str(project), "--state", str(tmp_path / "state")], tmp_path)
    assert code == 0, out + err
    (name,) = os.listdir(exchange / "import")
    assert name.startswith("BEST_KÄSE-01_") and len(name) == len("BEST_KÄSE-01_YYYYMMDD-HHMMSS.csv")
    assert (exchange / "import" / name).read_bytes() == (
        "Bestellnummer;Artikelnummer;Menge;Einzelpreis\r\nLKÄSE-01;KÄSE-01;7;1,50\r\n".encode("cp1252"))
    assert os.listdir(exchange / "export" / "done") == ["LAGER_1.txt"]
    code, out, err = run_cli(["run", str(project), "--state", str(tmp_path / "state")], tmp_path)
    assert code == 0 and len(os.listdir(exchange / "import")) == 1
