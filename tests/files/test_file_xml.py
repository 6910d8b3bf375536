"""XML files declared in YAML (`format: {type: xml, root, record, attributes, lists, namespace,
encoding}`), written (one file per record, or a batch file) and read back through the file connector
on real files: golden bytes, exact decimals, declared encoding, record errors, streamed reads."""
from __future__ import annotations

import os
from decimal import Decimal

import pytest

from engine.connectors.base import IncompleteRecord
from engine.connectors.compile import compile_connector, open_connector
from engine.connectors.errors import EncodeError, EndpointError

ORDERS = {"type": "xml", "root": "Orders", "record": "Order", "attributes": ["id"], "lists": {"lines": "Line"},
          "encoding": "cp1252"}
DEFINITION = {
    "name": "erp", "protocol": "file", "settings": {"dir": {"required": True}},
    "resources": {
        "orders": {"path": "in/*.xml", "key": "id", "types": {"total": "decimal", "lines[].qty": "int"},
                   "format": ORDERS},
        "inbox": {"inbox": {"path": "box/*.xml"}, "key": "id", "format": ORDERS},
        "ns": {"path": "ns/*.xml", "key": "id", "format": {**ORDERS, "namespace": "urn:erp:orders"}},
    },
    "operations": {
        "order": {"path": "out/CMD_{id}.xml", "format": ORDERS},
        "batch": {"path": "all/orders.xml", "format": ORDERS, "mode": "batch"},
        "ns_out": {"path": "ns/{id}.xml", "format": {**ORDERS, "namespace": "urn:erp:orders", "encoding": "utf-8"}},
    },
}
ORDER = {"id": "C1", "customer": {"name": "Quincaillerie Dupont", "city": "Orléans"}, "total": Decimal("25.50"),
         "paid": True, "note": None,
         "lines": [{"ref": "CLE-12", "label": "Clé à molette €", "qty": 2, "price": Decimal("12.750")}]}
GOLDEN = ('<?xml version="1.0" encoding="windows-1252"?>\n<Orders>\n'
          '  <Order id="C1">\n'
          '    <customer>\n      <name>Quincaillerie Dupont</name>\n      <city>Orléans</city>\n    </customer>\n'
          '    <total>25.50</total>\n    <paid>1</paid>\n    <note/>\n'
          '    <lines>\n      <Line>\n        <ref>CLE-12</ref>\n        <label>Clé à molette €</label>\n'
          '        <qty>2</qty>\n        <price>12.750</price>\n      </Line>\n    </lines>\n'
          '  </Order>\n</Orders>\n').encode("cp1252")


@pytest.fixture
def erp(tmp_path):
    folder = tmp_path / "exchange"
    folder.mkdir()
    with open_connector("erp", DEFINITION, {"dir": str(folder)}) as endpoint:
        yield endpoint


def records(endpoint, resource):
    return [r for page in endpoint.read(resource) for r in page]


def test_one_file_per_record_golden_bytes(erp):
    assert erp.write("order", ORDER, {"id": "C1"}).result == "out/CMD_C1.xml"
    assert (erp.base / "out" / "CMD_C1.xml").read_bytes() == GOLDEN
    assert [n for n in os.listdir(erp.base / "out")] == ["CMD_C1.xml"]  # no temporary file left


def test_written_then_read_back_exactly(erp):
    erp.write("order", ORDER, {"id": "C1"})
    os.makedirs(erp.base / "in")
    os.replace(erp.base / "out" / "CMD_C1.xml", erp.base / "in" / "a.xml")
    (back,) = records(erp, "orders")
    assert back == {"id": "C1", "customer": {"name": "Quincaillerie Dupont", "city": "Orléans"}, "total": "25.50",
                    "paid": "1", "note": None,
                    "lines": [{"ref": "CLE-12", "label": "Clé à molette €", "qty": "2", "price": "12.750"}]}
    assert Decimal(back["total"]) == ORDER["total"]  # text: the resource's `types` make it an exact Decimal


def test_batch_file_holds_every_record_in_one_document(erp):
    for n in range(3):
        erp.write("batch", {"id": f"C{n}", "total": Decimal(n) / 4, "lines": []}, {})
    erp.close()
    data = (erp.base / "all" / "orders.xml").read_bytes().decode("cp1252")
    assert data.startswith('<?xml version="1.0" encoding="windows-1252"?>\n<Orders>\n  <Order id="C0">')
    assert data.endswith("</Orders>\n") and data.count("<Order ") == 3 and "<total>0.25</total>" in data
    os.makedirs(erp.base / "in")
    os.replace(erp.base / "all" / "orders.xml", erp.base / "in" / "all.xml")
    assert [(r["id"], r["total"], r["lines"]) for r in records(erp, "orders")] == [
        ("C0", "0", []), ("C1", "0.25", []), ("C2", "0.5", [])]


def test_a_control_character_or_a_float_sets_the_record_aside_naming_the_field(erp):
    with pytest.raises(EncodeError, match=r"field 'lines\[0\].label'.*control character"):
        erp.write("order", {"id": "C2", "lines": [{"label": "bad\x01"}]}, {"id": "C2"})
    with pytest.raises(EncodeError, match=r"field 'total' is a binary float"):
        erp.write("order", {"id": "C3", "total": 1.5}, {"id": "C3"})
    with pytest.raises(EncodeError, match=r"field 'tags' is a list: declare its item element"):
        erp.write("order", {"id": "C4", "tags": ["a"]}, {"id": "C4"})
    assert not (erp.base / "out").exists() or os.listdir(erp.base / "out") == []


def test_namespaces_written_on_the_document_and_ignored_when_read(erp):
    erp.write("ns_out", {"id": "N1", "total": Decimal("1.10")}, {"id": "N1"})
    data = (erp.base / "ns" / "N1.xml").read_bytes()
    assert data == (b'<?xml version="1.0" encoding="UTF-8"?>\n<Orders xmlns="urn:erp:orders">\n'
                    b'  <Order id="N1">\n    <total>1.10</total>\n  </Order>\n</Orders>\n')
    assert records(erp, "ns") == [{"id": "N1", "total": "1.10"}]


def put(path, data: bytes):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def test_reads_stream_and_set_aside_an_undecodable_record_with_its_line(erp):
    body = "".join(f'<Order id="{n}"><total>{n}.5</total></Order>\n' for n in range(2500))
    put(erp.base / "in" / "big.xml", f'<?xml version="1.0"?>\n<Orders>\n{body}<Order id="X">text<b/></Order>\n'
        '</Orders>\n'.encode())
    pages = list(erp.read("orders"))
    assert [len(p) for p in pages] == [1000, 1000, 501]
    bad = pages[-1][-1]
    assert type(bad) is IncompleteRecord and "in/big.xml:2503: <Order> holds text and elements" in bad.reason
    assert pages[0][0] == {"id": "0", "total": "0.5"}


def test_a_malformed_or_foreign_document_is_refused_with_its_line(erp):
    put(erp.base / "in" / "a.xml", b'<?xml version="1.0"?>\n<Orders>\n<Order id="1"></Order>\n<Order>\n</Orders>')
    with pytest.raises(EndpointError, match=r"in/a.xml:5:\d+: malformed XML"):
        records(erp, "orders")
    put(erp.base / "in" / "a.xml", b'<Invoices><Order id="1"/></Invoices>')
    with pytest.raises(EndpointError, match=r"document element is <Invoices>, expected <Orders>"):
        records(erp, "orders")
    put(erp.base / "in" / "a.xml", b'<!DOCTYPE x [<!ENTITY a "b">]><Orders/>')
    with pytest.raises(EndpointError, match="DOCTYPE"):
        records(erp, "orders")


def test_an_inbox_of_xml_files_moves_a_broken_one_to_failed(erp):
    put(erp.base / "box" / "good.xml", b'<Orders><Order id="1"/><Order id="2"><x>y</x></Order></Orders>')
    put(erp.base / "box" / "bad.xml", b'<Orders><Order id="1">')
    assert [r["id"] for r in records(erp, "inbox")] == ["1", "2"]
    erp.settled("inbox", True)
    assert os.listdir(erp.base / "done") == ["good.xml"] and "bad.xml" in os.listdir(erp.base / "failed")


@pytest.mark.parametrize("fmt,message", [
    ({"type": "xml", "root": "Orders"}, "needs `record`"),
    ({"type": "xml", "root": "Orders", "record": "Order", "encoding": "klingon"}, "unknown encoding"),
    ({"type": "xml", "root": "Orders", "record": "Order", "attributes": ["x"], "lists": {"x": "X"}},
     "both an attribute and a list"),
    ({"type": "xml", "root": "Orders", "record": "Order", "encoding": "utf-16"}, "byte-order mark"),
])
def test_format_errors_are_located(fmt, message):
    definition = {"name": "erp", "protocol": "file", "settings": {"dir": {"required": True}},
                  "operations": {"w": {"path": "o/{id}.xml", "format": fmt}}}
    _, diagnostics = compile_connector(definition, lambda path: None)
    assert any(message in d.message and "operations" in str(d.path) for d in diagnostics), diagnostics


def test_an_xml_operation_without_its_elements_is_refused():
    definition = {"name": "erp", "protocol": "file", "settings": {"dir": {"required": True}},
                  "operations": {"w": {"path": "o/{id}.xml", "format": "xml"}}}
    _, diagnostics = compile_connector(definition, lambda path: None)
    assert any("needs its elements" in d.message for d in diagnostics)


def test_other_encodings_are_declared_and_read_back(tmp_path):
    for encoding, declared in (("utf-8-sig", b'\xef\xbb\xbf<?xml version="1.0" encoding="UTF-8"?>'),
                               ("latin-1", b'<?xml version="1.0" encoding="ISO-8859-1"?>'),
                               ("utf-16-le", '<?xml version="1.0" encoding="UTF-16LE"?>'.encode("utf-16-le"))):
        fmt = {"type": "xml", "root": "R", "record": "E", "encoding": encoding}
        definition = {"name": "e", "protocol": "file", "settings": {"dir": {"required": True}},
                      "resources": {"r": {"path": "o/*.xml", "key": "k", "format": fmt}},
                      "operations": {"w": {"path": "o/{k}.xml", "mode": "batch", "format": fmt}}}
        folder = tmp_path / encoding
        folder.mkdir()
        with open_connector("e", definition, {"dir": str(folder)}) as ep:
            ep.write("w", [{"k": "1", "v": "Ünïcödé €"}, {"k": "2", "v": "x"}], {"k": "all"})
        assert (folder / "o" / "all.xml").read_bytes().startswith(declared)
        with open_connector("e", definition, {"dir": str(folder)}) as ep:
            assert records(ep, "r") == [{"k": "1", "v": "Ünïcödé €"}, {"k": "2", "v": "x"}]
