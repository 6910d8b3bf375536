"""Review of the file protocol (issue 11, item 4) as its users would break it: crashes while a batch
file is published, a disk filling up mid-record, files the ERP is still writing, a consultant's wrong
`encoding`/header, a link in an inbox. Each test was failing before its fix."""
from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from engine.connectors.codecs.records import InputError
from engine.connectors.codecs.textformat import compile_format
from engine.connectors.codecs.textread import text_pages
from engine.connectors.compile import open_connector
from engine.connectors.errors import EndpointError

CSV = {"type": "csv", "delimiter": ";", "columns": ["ref", "qty"]}
OUT = {"name": "out", "protocol": "file", "settings": {"dir": {"required": True}},
       "operations": {"batch": {"path": "b/{group}.csv", "format": CSV, "mode": "batch"}}}
INBOX = {"name": "inbox", "protocol": "file", "settings": {"dir": {"required": True}},
         "resources": {"orders": {"inbox": {"path": "in/*.csv", "done": "done/", "failed": "failed/"}, "key": "ref",
                                  "format": {"type": "csv", "delimiter": ";"}}}}


def records(path: Path, spec: dict, key: str | None = "ref") -> list:
    problems: list = []
    fmt = compile_format(spec, lambda message, where: problems.append(message))
    assert fmt is not None, problems
    return [record for page in text_pages(path, fmt, path.name, key) for record in page]


def _inbox(tmp_path: Path) -> Path:
    folder = tmp_path / "x"
    (folder / "in").mkdir(parents=True)
    return folder


# -- batch files: a crash while publishing, a full disk ----------------------------------------------

def test_a_partial_killed_after_its_link_and_before_its_removal_is_not_published_twice(tmp_path):
    folder = tmp_path / "x"
    (folder / "b").mkdir(parents=True)
    (folder / "b" / "g.csv").write_bytes(b"ref;qty\r\nR0;0\r\n")
    # publish_as: os.link(partial, g.csv) done, then SIGKILL before os.unlink(partial)
    os.link(folder / "b" / "g.csv", folder / "b" / ".g.csv.999999999.partial")
    with open_connector("out", OUT, {"dir": str(folder)}) as ep:
        ep.write("batch", {"ref": "R1", "qty": 1}, {"group": "h"})
    assert sorted(os.listdir(folder / "b")) == ["g.csv", "h.csv"]  # no g-1.csv holding R0 a second time


def test_a_disk_full_in_the_middle_of_a_record_leaves_no_half_line_in_the_batch_file(tmp_path, monkeypatch):
    folder = tmp_path / "x"
    folder.mkdir()
    real_write = os.write

    def full(fd, data):  # the disk fills up: a short write, then ENOSPC (what write(2) does)
        if b"R2" in data:
            if not getattr(full, "short", False):
                full.short = True
                return real_write(fd, data[:3])
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data)

    ep = open_connector("out", OUT, {"dir": str(folder)})
    ep.write("batch", {"ref": "R1", "qty": 1}, {"group": "g"})
    monkeypatch.setattr(os, "write", full)
    with pytest.raises(EndpointError, match="No space left") as failed:
        ep.write("batch", {"ref": "R2", "qty": 2}, {"group": "g"})
    assert failed.value.transient
    monkeypatch.setattr(os, "write", real_write)  # space freed: the record is written again
    ep.write("batch", {"ref": "R2", "qty": 2}, {"group": "g"})
    ep.close()
    assert (folder / "b" / "g.csv").read_bytes() == b"ref;qty\r\nR1;1\r\nR2;2\r\n"


# -- a consultant's mistakes in the format ----------------------------------------------------------

def test_a_utf8_file_with_a_byte_order_mark_declared_cp1252_is_refused_saying_so(tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes(b"\xef\xbb\xbfref;qty\r\nA;1\r\nB;Cl\xc3\xa9\r\n")
    with pytest.raises(InputError, match="UTF-8 byte-order mark.*encoding: utf-8"):
        records(path, {"type": "csv", "delimiter": ";", "encoding": "cp1252"})
    fixed = {"type": "fixed", "encoding": "latin-1", "columns": [{"name": "ref", "start": 1, "width": 4}]}
    with pytest.raises(InputError, match="UTF-8 byte-order mark"):
        records(path, fixed)


def test_a_header_naming_a_column_twice_is_refused(tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes(b"ref;qty;qty\r\nA;1;2\r\n")
    with pytest.raises(InputError, match="'qty' twice") as refused:
        records(path, {"type": "csv", "delimiter": ";"})
    assert refused.value.line == 1
    with pytest.raises(InputError, match="'qty' twice"):
        records(path, {"type": "csv", "delimiter": ";", "columns": ["ref", "qty"]})


def test_a_header_without_the_key_column_is_refused_with_the_delimiter_it_seems_to_use(tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes(b"ref;qty\r\nA;1\r\n")  # a `;` file declared with the default `,`
    with pytest.raises(InputError, match="no column 'ref' .the resource's key.*delimiter: \";\""):
        records(path, {"type": "csv"})


# -- inboxes --------------------------------------------------------------------------------------------

def test_an_inbox_file_still_being_written_during_the_run_is_not_moved_to_done(tmp_path):
    folder = _inbox(tmp_path)
    path = folder / "in" / "a.csv"
    path.write_bytes(b"ref;qty\r\nA;1\r\nB;")  # the ERP is half-way through it
    with open_connector("inbox", INBOX, {"dir": str(folder)}) as ep:
        read = [r for page in ep.read("orders") for r in page]
        assert len(read) == 2
        with open(path, "ab") as erp:
            erp.write(b"2\r\nC;3\r\n")  # ... and finishes it while the run writes the records
        assert ep.settled("orders", True) == []
    assert os.listdir(folder / "in") == ["a.csv"] and not (folder / "done").exists()  # read again next run
    with open_connector("inbox", INBOX, {"dir": str(folder)}) as ep:
        assert [r["ref"] for page in ep.read("orders") for r in page] == ["A", "B", "C"]
        assert ep.settled("orders", True) == ["a.csv -> done/"]


def test_a_link_in_the_inbox_leading_outside_goes_to_failed_and_the_other_files_are_read(tmp_path):
    folder = _inbox(tmp_path)
    outside = tmp_path / "secret.csv"
    outside.write_bytes(b"ref;qty\r\nS;1\r\n")
    (folder / "in" / "a.csv").write_bytes(b"ref;qty\r\nA;1\r\n")
    os.symlink(outside, folder / "in" / "b.csv")
    with open_connector("inbox", INBOX, {"dir": str(folder)}) as ep:
        assert [r["ref"] for page in ep.read("orders") for r in page] == ["A"]
        assert sorted(ep.settled("orders", True)) == ["a.csv -> done/", "b.csv -> failed/"]
    assert outside.read_bytes() == b"ref;qty\r\nS;1\r\n"  # the target is untouched: the link moved
    assert os.path.islink(folder / "failed" / "b.csv")
    assert "outside" in (folder / "failed" / "b.csv.reason").read_text()


def test_an_inbox_file_that_cannot_be_moved_is_named_with_where_it_was_going(tmp_path):
    folder = _inbox(tmp_path)
    (folder / "in" / "a.csv").write_bytes(b"ref;qty\r\nA;1\r\n")
    (folder / "done").write_bytes(b"")  # `done` is a file, not a folder: nothing can move into it
    with open_connector("inbox", INBOX, {"dir": str(folder)}) as ep:
        list(ep.read("orders"))
        with pytest.raises(EndpointError, match=r"cannot move an inbox file: in/a.csv -> done/: File exists"):
            ep.settled("orders", True)
    assert os.listdir(folder / "in") == ["a.csv"]


def test_an_xml_batch_killed_after_its_closing_tag_is_not_closed_twice(tmp_path):
    folder = tmp_path / "x"
    (folder / "b").mkdir(parents=True)
    definition = {**OUT, "operations": {"x": {"path": "b/{group}.xml", "mode": "batch", "format": {
        "type": "xml", "root": "Orders", "record": "Order"}}}}
    whole = b'<?xml version="1.0" encoding="UTF-8"?>\n<Orders>\n  <Order>\n    <ref>R0</ref>\n  </Order>\n</Orders>\n'
    (folder / "b" / ".old.xml.999999999.partial").write_bytes(whole)  # killed between the tag and the link
    with open_connector("out", definition, {"dir": str(folder)}) as ep:
        ep.write("x", {"ref": "R1"}, {"group": "new"})
    assert (folder / "b" / "old.xml").read_bytes() == whole


def test_a_fixed_width_line_cut_inside_a_right_aligned_value_is_set_aside(tmp_path):
    """`AB   00` for `AB   0012`: padding the short line read 0 (a wrong number, silently). Trailing blanks
    trimmed from a line stay fine, a right-aligned column left out whole reads blank."""
    spec = {"type": "fixed", "columns": [{"name": "ref", "start": 1, "width": 5},
                                         {"name": "qty", "start": 6, "width": 4, "align": "right", "pad": "0"},
                                         {"name": "note", "start": 10, "width": 6}]}
    path = tmp_path / "stock.txt"
    path.write_text("AB   0012hello \nCD   00\nEF   0007\nGH\n", encoding="utf-8")
    got = records(path, spec)
    assert (got[0]["ref"], got[0]["qty"], got[0]["note"]) == ("AB", "12", "hello")
    cut = [r for r in got if getattr(r, "reason", None)]
    assert len(cut) == 1 and "stock.txt:2" in cut[0].reason and "inside column qty (6-9)" in cut[0].reason
    assert {r["ref"]: r["qty"] for r in got if not getattr(r, "reason", None)} == {"AB": "12", "EF": "7", "GH": ""}


@pytest.mark.parametrize("spec", [{"type": "csv", "delimiter": ";"},
                                  {"type": "fixed", "columns": [{"name": "ref", "start": 1, "width": 4},
                                                                {"name": "qty", "start": 5, "width": 3}]}])
def test_lines_holding_nul_bytes_are_set_aside_and_the_others_read(tmp_path, spec):
    """A file cut short by a crash often ends in zeros: those lines were read as data (`'AB\\x00'`)."""
    path = tmp_path / "stock.txt"
    good = "ref;qty\r\nAB;1\r\n" if spec["type"] == "csv" else "AB    1\r\n"
    path.write_bytes(good.encode() + (b"CD;\x00\x00\r\n" if spec["type"] == "csv" else b"CD  \x00\x00\x00\r\n")
                     + (b"EF;3\r\n" if spec["type"] == "csv" else b"EF    3\r\n"))
    got = records(path, spec)
    aside = [r for r in got if getattr(r, "reason", None)]
    assert [r["ref"] for r in got if not getattr(r, "reason", None)] == ["AB", "EF"]
    assert len(aside) == 1 and "NUL byte" in aside[0].reason and "stock.txt:" in aside[0].reason
