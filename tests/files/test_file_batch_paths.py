"""`mode: batch` resolves a target once per file and run (the partial's descriptor stays open), and
still never writes outside `dir`: a folder swapped for a link during the run is refused when the
batch is published; a per-record write checks its path at every write."""
from __future__ import annotations

import os

import pytest

from engine.connectors.compile import open_connector
from engine.connectors.errors import EncodeError, EndpointError

CSV = {"type": "csv", "delimiter": ";", "columns": ["ref", "qty"]}
DEFINITION = {"name": "out", "protocol": "file", "settings": {"dir": {"required": True}},
              "operations": {"batch": {"path": "b/{group}.csv", "format": CSV, "mode": "batch"},
                             "one": {"path": "o/{ref}.csv", "format": CSV}}}


def test_batch_writes_many_records_to_one_file_per_name(tmp_path):
    folder = tmp_path / "x"
    folder.mkdir()
    with open_connector("out", DEFINITION, {"dir": str(folder)}) as ep:
        for n in range(5):
            ep.write("batch", {"ref": f"R{n}", "qty": n}, {"group": "even" if n % 2 == 0 else "odd"})
    assert (folder / "b" / "even.csv").read_bytes() == b"ref;qty\r\nR0;0\r\nR2;2\r\nR4;4\r\n"
    assert (folder / "b" / "odd.csv").read_bytes() == b"ref;qty\r\nR1;1\r\nR3;3\r\n"
    assert sorted(os.listdir(folder / "b")) == ["even.csv", "odd.csv"]


def test_a_batch_folder_swapped_for_a_link_during_the_run_is_not_published_through_it(tmp_path):
    folder, outside = tmp_path / "x", tmp_path / "outside"
    (folder / "b").mkdir(parents=True)
    outside.mkdir()
    ep = open_connector("out", DEFINITION, {"dir": str(folder)})
    ep.write("batch", {"ref": "R1", "qty": 1}, {"group": "g"})
    os.rename(folder / "b", folder / "b-old")
    os.symlink(outside, folder / "b")  # the folder is now a link leading outside `dir`
    ep.write("batch", {"ref": "R2", "qty": 2}, {"group": "g"})  # to the descriptor opened inside
    with pytest.raises(EndpointError, match="replaced .by a link.. during the run: not published"):
        ep.close()
    assert os.listdir(outside) == []  # nothing written or renamed outside
    partial = [n for n in os.listdir(folder / "b-old") if n.endswith(".partial")]
    assert len(partial) == 1 and (folder / "b-old" / partial[0]).read_bytes() == b"ref;qty\r\nR1;1\r\nR2;2\r\n"


def test_a_per_record_folder_swapped_for_a_link_between_writes_is_refused(tmp_path):
    folder, outside = tmp_path / "x", tmp_path / "outside"
    (folder / "o").mkdir(parents=True)
    outside.mkdir()
    with open_connector("out", DEFINITION, {"dir": str(folder)}) as ep:
        ep.write("one", {"ref": "R1", "qty": 1}, {"ref": "R1"})
        os.rename(folder / "o", folder / "o-old")
        os.symlink(outside, folder / "o")
        with pytest.raises(EncodeError, match="outside"):
            ep.write("one", {"ref": "R2", "qty": 2}, {"ref": "R2"})
    assert os.listdir(outside) == []


def test_publishing_never_replaces_a_file_of_the_same_name(tmp_path):
    folder = tmp_path / "x"
    folder.mkdir()
    for run in range(3):  # three runs, the ERP has not taken the earlier files yet
        with open_connector("out", DEFINITION, {"dir": str(folder)}) as ep:
            ep.write("batch", {"ref": f"R{run}", "qty": run}, {"group": "g"})
    assert sorted(os.listdir(folder / "b")) == ["g-1.csv", "g-2.csv", "g.csv"]
    assert (folder / "b" / "g.csv").read_bytes() == b"ref;qty\r\nR0;0\r\n"
    assert (folder / "b" / "g-2.csv").read_bytes() == b"ref;qty\r\nR2;2\r\n"


def test_an_xml_batch_left_by_a_crashed_run_is_completed_with_its_closing_tag(tmp_path):
    folder = tmp_path / "x"
    (folder / "b").mkdir(parents=True)
    definition = {**DEFINITION, "operations": {"x": {"path": "b/{group}.xml", "mode": "batch", "format": {
        "type": "xml", "root": "Orders", "record": "Order"}}}}
    (folder / "b" / ".old.xml.999999999.partial").write_bytes(
        b'<?xml version="1.0" encoding="UTF-8"?>\n<Orders>\n  <Order>\n    <ref>R0</ref>\n  </Order>\n')
    with open_connector("out", definition, {"dir": str(folder)}) as ep:
        ep.write("x", {"ref": "R1"}, {"group": "new"})
    assert (folder / "b" / "old.xml").read_bytes().endswith(b"</Order>\n</Orders>\n")
    assert (folder / "b" / "new.xml").read_bytes().endswith(b"<ref>R1</ref>\n  </Order>\n</Orders>\n")
