"""The complete example of docs/runtime.md, "Files": it compiles, and it reads and writes what the
section says."""
from __future__ import annotations

import os
import re
from decimal import Decimal

import yaml

from engine.connectors.compile import open_connector
from support import ROOT


def example() -> dict:
    text = (ROOT / "docs" / "runtime.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- files-example -->\n```yaml\n(.*?)```", text, re.S)
    assert block, "docs/runtime.md lost its Files example"
    return yaml.safe_load(block.group(1))["connector"]


def test_the_runtime_doc_example_runs(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "stock").mkdir()
    (tmp_path / "in" / "a.csv").write_bytes("reference;article;qty;price\nC1;Clé;2;12,50\n".encode("cp1252"))
    (tmp_path / "stock" / "s.txt").write_text("BAAR01             00000012\n")
    with open_connector("erp-files", example(), {"dir": str(tmp_path)}) as erp:
        assert [r for p in erp.read("orders") for r in p] == [
            {"reference": "C1", "article": "Clé", "qty": 2, "price": Decimal("12.50")}]
        assert [r for p in erp.read("stock") for r in p] == [{"ref": "BAAR01", "qty": 12}]
        written = erp.write("write_order", {"reference": "C1", "article": "Clé", "qty": 2,
                                            "price": Decimal("12.50")}, {"reference": "C1"}).result
        assert erp.find("find_order", {"reference": "C1"}) == [{"path": written}]
        erp.write("export_stock", {"ref": "BAAR01", "qty": 12}, {})
        erp.write("write_invoice", {"number": "F1", "total": Decimal("25.00"), "lines": [{"ref": "C1", "qty": 2}]},
                  {"number": "F1"})
        assert [r for p in erp.read("invoices") for r in p] == [
            {"number": "F1", "total": "25.00", "lines": [{"ref": "C1", "qty": "2"}]}]
        erp.settled("orders", True)
    assert (tmp_path / written).read_bytes() == "reference;article;qty;price\r\nC1;Clé;2;12,50\r\n".encode("cp1252")
    (export,) = os.listdir(tmp_path / "export")
    assert (tmp_path / "export" / export).read_bytes() == b"BAAR01             00000012\r\n"
    assert os.listdir(tmp_path / "done") == ["a.csv"]
    assert (tmp_path / "xml" / "INV_F1.xml").read_bytes().startswith(
        b'<?xml version="1.0" encoding="windows-1252"?>\n<Invoices>\n  <Invoice number="F1">\n')
