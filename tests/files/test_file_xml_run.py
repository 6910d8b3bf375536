"""An XML inbox to XML command files through the real CLI (`passerelle run`), on real files: the
resource's `types` make exact Decimals of the XML text, the order lines come through as a declared
list, each order is one XML file in cp1252, the inbox file moves to done/; a second run writes
nothing twice."""
from __future__ import annotations

import os

from files_support import run, summary

CONNECTOR = """\
connector:
  name: erp-xml
  summary: the ERP's XML exchange folder
  protocol: file
  settings:
    dir: { required: true }
  file: { dir: "{settings.dir}" }
  resources:
    orders:
      inbox: { path: "in/*.xml" }
      key: reference
      types: { total: decimal, "lines[].qty": int, "lines[].price": decimal }
      format: { type: xml, root: Orders, record: Order, attributes: [reference], lists: { lines: Line } }
  operations:
    write_order:
      path: "out/CMD_{reference}.xml"
      format: { type: xml, root: Commandes, record: Commande, attributes: [numero], lists: { lignes: Ligne },
                encoding: cp1252 }
      creates: true
"""
PROJECT = """\
project: { name: Quincaillerie Dupont }
endpoints:
  erp: { use: erp-xml, settings: { dir: "${env:FILES_DIR}" } }
flows:
  orders_to_erp:
    source: { endpoint: erp, read: orders }
    target: { endpoint: erp, write: write_order, with: { reference: reference } }
    map:
      numero: { from: reference }
      total_ht: { from: total }
      lignes:
        - each: lines
          map:
            article: { from: ref }
            quantite: { from: qty }
            montant: { from: "price" }
"""
ORDERS = ('<?xml version="1.0" encoding="UTF-8"?>\n<Orders>\n'
          '  <Order reference="C1"><total>25.50</total><lines><Line><ref>CLÉ</ref><qty>2</qty>'
          '<price>12.750</price></Line></lines></Order>\n'
          '  <Order reference="C2"><total>3.10</total><lines/></Order>\n</Orders>\n')


def test_an_xml_inbox_to_xml_command_files(tmp_path):
    project = tmp_path / "dupont"
    (project / "connectors").mkdir(parents=True)
    (project / "connectors" / "erp-xml.yaml").write_text(CONNECTOR, encoding="utf-8")
    (project / "project.yaml").write_text(PROJECT, encoding="utf-8")
    exchange, state = tmp_path / "exchange", tmp_path / "state.db"
    (exchange / "in").mkdir(parents=True)
    (exchange / "in" / "orders.xml").write_text(ORDERS, encoding="utf-8")
    first = summary(run(project, exchange, state))
    assert (first["created"], first["failed"]) == (2, 0), first
    assert (exchange / "out" / "CMD_C1.xml").read_bytes() == (
        '<?xml version="1.0" encoding="windows-1252"?>\n<Commandes>\n  <Commande numero="C1">\n'
        '    <total_ht>25.50</total_ht>\n    <lignes>\n      <Ligne>\n        <article>CLÉ</article>\n'
        '        <quantite>2</quantite>\n        <montant>12.750</montant>\n      </Ligne>\n    </lignes>\n'
        '  </Commande>\n</Commandes>\n').encode("cp1252")
    assert b"<lignes/>" in (exchange / "out" / "CMD_C2.xml").read_bytes()
    assert os.listdir(exchange / "done") == ["orders.xml"] and os.listdir(exchange / "in") == []
    (exchange / "in" / "again.xml").write_text(ORDERS, encoding="utf-8")
    again = summary(run(project, exchange, state))
    assert (again["created"], again["skipped"]) == (0, 2)
