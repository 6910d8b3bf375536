"""dry-run from files at any size: no fixed input limit (a configurable one), payloads written as they
are mapped, related files joined from disk with the same matches as in memory."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from engine.runtime import dryrun, earlyread
from support import ROOT, run_cli

EXAMPLE = ROOT / "specs" / "examples" / "prestashop-sage100"
SAMPLES = {n: EXAMPLE / "samples" / f"{n}.xml" for n in ("orders", "order_details", "carriers", "customers", "taxes")}
GOLDEN = ROOT / "tests" / "cases" / "dry_run" / "reference_example" / "expected"


def argv(orders: Path, *extra: str) -> list[str]:
    args = ["dry-run", str(EXAMPLE), "--flow", "orders_to_sage", "--format", "json", *extra]
    for name, path in SAMPLES.items():
        args += ["--input", str(orders if name == "orders" else path)]
    return args


def test_an_orders_file_above_50_mb_is_accepted_by_default(tmp_path):
    text = SAMPLES["orders"].read_text(encoding="utf-8")
    padding = ("<!-- " + "x" * 1_000_000 + " -->\n") * 52  # comments between records: 52 MB
    big = tmp_path / "orders.xml"
    big.write_text(text.replace("  </order>\n", "  </order>\n" + padding, 1), encoding="utf-8")
    assert big.stat().st_size > 52_000_000
    code, out, err = run_cli(argv(big), ROOT)
    assert code == 3, err  # order 1047 is set aside, as in the golden case
    assert out == (GOLDEN / "stdout.json").read_text(encoding="utf-8")
    assert err == (GOLDEN / "stderr.txt").read_text(encoding="utf-8")


def test_the_limit_is_configurable_and_refuses_with_a_clear_message():
    size = SAMPLES["orders"].stat().st_size
    code, out, err = run_cli(argv(SAMPLES["orders"], "--max-input-bytes", str(size - 1)), ROOT)
    assert code == 1 and out == ""
    assert err == (f"error[input] {SAMPLES['orders']}: the file is {size} bytes, above the limit of {size - 1} "
                   "bytes (--max-input-bytes)\n")
    code, _, err = run_cli(argv(SAMPLES["orders"], "--max-input-bytes", "1MB"), ROOT)
    assert code == 3, err


@pytest.mark.parametrize("value", ["abc", "0", "-5", "12XB"])
def test_a_wrong_limit_is_a_usage_error(value, capsys):
    from engine.cli.main import main

    with pytest.raises(SystemExit) as info:
        main(argv(SAMPLES["orders"], "--max-input-bytes", value))
    assert info.value.code == 2 and "--max-input-bytes: expected a positive number of bytes" in capsys.readouterr().err


def test_an_input_broken_late_leaves_the_payloads_before_it_as_one_json_array(tmp_path):
    sys.path.insert(0, str(ROOT / "bench"))
    from gen_orders import write

    files = write(tmp_path, 400)
    text = files["orders"].read_text(encoding="utf-8")
    files["orders"].write_text(text.replace("</orders>", "<order><id>9</id></orders>"), encoding="utf-8")
    args = ["dry-run", str(EXAMPLE), "--flow", "orders_to_sage", "--format", "json"]
    for path in files.values():
        args += ["--input", str(path)]
    code, out, err = run_cli(args, ROOT)
    last = err.splitlines()[-1]  # after the errors of the records that failed before the broken part
    assert code == 1 and last.startswith(f"error[input] {files['orders']}:") and "malformed XML" in last, err
    payloads = json.loads(out)  # the payloads mapped before the error, then the array is closed
    assert 100 <= len(payloads) < 400 and payloads[0]["doc"]["Reference"] == "PS_10000"


def both_ways(monkeypatch, inputs):
    from engine.plan.load import load_plan, select_flow
    from engine.project.load import ConnectorStore

    plan = load_plan(EXAMPLE, ConnectorStore(extra_dirs=[]))
    flow = select_flow(plan, "orders_to_sage")
    spilled = dryrun.dry_run(plan, flow, inputs, related_memory=0)  # on disk whatever their size
    from engine.runtime import relspill

    with monkeypatch.context() as patch:
        patch.setattr(relspill, "spillable", lambda flow: False)
        in_memory = dryrun.dry_run(plan, flow, inputs)
    assert spilled.payloads == in_memory.payloads
    assert [f.line() for f in spilled.failures] == [f.line() for f in in_memory.failures]
    assert spilled.read == in_memory.read
    return spilled


def test_related_records_joined_from_disk_match_those_joined_in_memory(monkeypatch):
    result = both_ways(monkeypatch, [(None, path) for path in SAMPLES.values()])
    assert len(result.payloads) == 5 and result.read == 6


CUSTOMERS = [  # keys that type differently from their text, rows that cannot be typed, null keys
    {"id": "056", "firstname": "Zero", "lastname": "Padded"}, {"id": " 57 ", "firstname": "Spaced", "lastname": "X"},
    {"id": 58.0, "firstname": "Float", "lastname": "Y"}, {"id": "+59", "firstname": "Plus", "lastname": "Z"},
    {"id": "", "firstname": "Empty", "lastname": "E"}, {"id": None, "firstname": "Null", "lastname": "N"},
    {"id": "60", "id_default_group": "not a number", "firstname": "Bad", "lastname": "Row"},
    {"id": "+63", "id_default_group": "not a number", "firstname": "Bad", "lastname": "Signed"},
    {"id": True, "firstname": "Bool", "lastname": "B"}, {"id": "61", "firstname": "Twice", "lastname": "1"},
    {"id": 61, "firstname": "Twice", "lastname": "2"}, {"id": "1e5000", "firstname": "Huge", "lastname": "H"},
]


def test_tricky_join_keys_join_the_same_from_disk_and_in_memory(tmp_path, monkeypatch):
    customers = tmp_path / "customers.json"
    customers.write_text(json.dumps({"customers": CUSTOMERS}), encoding="utf-8")
    ids = ["56", "57", "58", "59", "", "60", "61", "1", "62", "1e5000", None, "0056", "+63", "63"]
    orders = [{"id": 1000 + n, "id_customer": ident, "id_carrier": "1", "module": "paypal", "date_add": "2024-05-14 10:21:07",
               "total_paid_tax_incl": "10.00", "total_shipping_tax_excl": "5", "total_discounts_tax_excl": "0",
               "carrier_tax_rate": "20", "associations": {"order_rows": []}} for n, ident in enumerate(ids)]
    source = tmp_path / "orders.json"
    source.write_text(json.dumps(orders), encoding="utf-8")
    inputs = [(None, source), (None, customers)] + [(None, SAMPLES[n]) for n in ("order_details", "carriers", "taxes")]
    result = both_ways(monkeypatch, inputs)
    assert result.read == len(ids)
    contacts = {key: payload["doc"]["Contact"] for key, payload in result.payloads}
    reasons = " | ".join(f.line() for f in result.failures)
    assert contacts["1000"] == "Zero Padded" and contacts["1001"] == "Spaced X", (contacts, reasons)
    assert "could not be read" in reasons and "no 'customers' record" in reasons, reasons


@pytest.mark.parametrize("budget, on_disk", [(None, False), (10**9, False), (0, True), (1000, True)])
def test_related_files_within_the_memory_budget_are_indexed_in_memory(monkeypatch, budget, on_disk):
    from engine.plan.load import load_plan, select_flow
    from engine.project.load import ConnectorStore

    plan = load_plan(EXAMPLE, ConnectorStore(extra_dirs=[]))
    flow = select_flow(plan, "orders_to_sage")
    inputs = [(None, path) for path in SAMPLES.values()]
    expected = dryrun.dry_run(plan, flow, inputs, related_memory=0)
    opened: list = []
    from engine.runtime import relspill

    real = relspill.RelatedSpill
    monkeypatch.setattr(relspill, "RelatedSpill", lambda flow: opened.append(flow) or real(flow))
    result = dryrun.dry_run(plan, flow, inputs, **({} if budget is None else {"related_memory": budget}))
    assert bool(opened) is on_disk  # the sample's related files total ~6 kB
    assert result.payloads == expected.payloads and result.read == expected.read
    assert [f.line() for f in result.failures] == [f.line() for f in expected.failures]


def test_related_memory_option_gives_the_same_output_on_disk_and_in_memory():
    outputs = [run_cli(argv(SAMPLES["orders"], *extra), ROOT) for extra in ([], ["--related-memory", "0"],
                                                                           ["--related-memory", "1KB"])]
    assert outputs[0][0] == 3 and outputs[0][1] == (GOLDEN / "stdout.json").read_text(encoding="utf-8")
    assert outputs[1] == outputs[0] and outputs[2] == outputs[0]


@pytest.mark.parametrize("value", ["abc", "-5", "12XB"])
def test_a_wrong_related_memory_is_a_usage_error(value, capsys):
    from engine.cli.main import main

    with pytest.raises(SystemExit) as info:
        main(argv(SAMPLES["orders"], "--related-memory", value))
    assert info.value.code == 2 and "--related-memory: expected a positive number of bytes" in capsys.readouterr().err


@pytest.mark.parametrize("memory", [0, 10**9])
def test_files_read_in_a_second_process_give_the_same_dry_run(tmp_path, monkeypatch, memory):
    from engine.plan.load import load_plan, select_flow
    from engine.project.load import ConnectorStore

    sys.path.insert(0, str(ROOT / "bench"))
    from gen_orders import write

    files = write(tmp_path, 300)  # unknown taxes and carriers: records set aside among the mapped ones
    plan = load_plan(EXAMPLE, ConnectorStore(extra_dirs=[]))
    flow = select_flow(plan, "orders_to_sage")
    inputs = [(None, path) for path in files.values()]
    monkeypatch.setattr(dryrun, "WORKER_BYTES", 0)  # every file, however small
    here = dryrun.dry_run(plan, flow, inputs, related_memory=memory, workers=False)
    there = dryrun.dry_run(plan, flow, inputs, related_memory=memory, workers=True)
    assert there.payloads == here.payloads and there.read == here.read == 300
    assert [f.line() for f in there.failures] == [f.line() for f in here.failures] and here.failures


def test_parallel_read_option_gives_the_same_output(tmp_path):
    sys.path.insert(0, str(ROOT / "bench"))
    from gen_orders import write

    files = write(tmp_path, 400)  # 1.5 MB of orders: above the size read in a second process
    text = files["orders"].read_text(encoding="utf-8")
    files["orders"].write_text(text.replace("</orders>", "<order><id>9</id></orders>"), encoding="utf-8")
    args = ["dry-run", str(EXAMPLE), "--flow", "orders_to_sage", "--format", "json"]
    for path in files.values():
        args += ["--input", str(path)]
    forked, single = run_cli([*args, "--parallel-read"], ROOT), run_cli([*args, "--no-parallel-read"], ROOT)
    assert forked == single and forked[0] == 1 and "malformed XML" in forked[2]
    assert run_cli(args, ROOT) == single  # the default (a core free: read by children, else here)


@pytest.mark.parametrize(("mode", "memory"), [("split", "0"), ("fed", "0"), ("fed", "32MB")])
@pytest.mark.parametrize("broken", ["none", "repeated", "malformed"])
def test_pages_mapped_in_two_processes_give_the_output_of_one(tmp_path, monkeypatch, mode, memory, broken):
    """--parallel-read maps every other page of the source in a child: same bytes, same errors. Split
    (splitmap.py: related records on disk, from SPLIT_BYTES): a record the child cannot read (a repeated
    field, malformed XML) in one of its pages is met by this process itself, after the same payloads.
    Fed (fedmap.py): the source read by a reader child, its pages handed to the mapper child from here
    (with the related records in memory; on disk, below SPLIT_BYTES, one mapper)."""
    sys.path.insert(0, str(ROOT / "bench"))
    from gen_orders import write

    if mode == "split":
        monkeypatch.setattr(earlyread, "SPLIT_BYTES", dryrun.WORKER_BYTES)  # split below SPLIT_BYTES too
    files = write(tmp_path, 450)  # 1.7 MB of orders: above WORKER_BYTES; pages 1 and 3 are the child's
    text = files["orders"].read_text(encoding="utf-8")
    at = text.index("<order>", text.index("<id><![CDATA[10150]]>") - 20)  # the 151st order: page 1
    if broken == "repeated":
        text = text[:at] + "<order><module>x</module>" + text[at + len("<order>"):]
    elif broken == "malformed":
        text = text[:at] + "<order><oops>" + text[at + len("<order>"):]
    files["orders"].write_text(text, encoding="utf-8")
    args = ["dry-run", str(EXAMPLE), "--flow", "orders_to_sage", "--format", "json", "--related-memory", memory]
    for path in files.values():
        args += ["--input", str(path)]
    forked, single = run_cli([*args, "--parallel-read"], ROOT), run_cli([*args, "--no-parallel-read"], ROOT)
    assert forked == single
    if broken == "none":
        assert forked[0] == 3 and "450 read" in forked[2] and len(json.loads(forked[1])) > 400
    else:
        assert forked[0] == 1 and "error[input]" in forked[2] and 100 <= len(json.loads(forked[1])) <= 150


def test_by_default_large_files_are_read_in_child_processes_when_a_core_is_free(monkeypatch):
    """The default forks for files of WORKER_BYTES or more only, and only when a core is free;
    --parallel-read forks whatever the load, --no-parallel-read never. The related files are read in
    children; with the related records in memory the source is read ahead by a child at a lower
    priority, its pages then mapped in two processes (fedmap.py); with them on disk, a source file of
    SPLIT_BYTES or more has its pages mapped by two processes each parsing it (splitmap.py), a smaller
    one is read ahead and mapped in one."""
    started: list = []
    real, real_split, real_fed = dryrun.decoded_elsewhere, dryrun.split_pages, dryrun.fed_pages
    monkeypatch.setattr(dryrun, "decoded_elsewhere", lambda rows, spare=False: started.append(spare) or real(rows, spare))
    monkeypatch.setattr(dryrun, "split_pages", lambda *a, **k: started.append("split") or real_split(*a, **k))
    monkeypatch.setattr(dryrun, "fed_pages", lambda *a, **k: started.append("fed") or real_fed(*a, **k))
    monkeypatch.setattr(dryrun, "core_free", lambda: True)
    monkeypatch.setattr(dryrun, "available", lambda: True)
    monkeypatch.setattr(earlyread, "core_free", lambda: False)  # no reader before the compile: the dry-run's own
    args = argv(SAMPLES["orders"])
    expected = run_cli(args, ROOT)
    assert not started  # the samples are small
    for module in (dryrun, earlyread):
        monkeypatch.setattr(module, "WORKER_BYTES", 0)
    assert run_cli(args, ROOT) == expected  # a small source: read ahead (first, "spare"), not split,
    assert len(started) > 3 and started == [True] + [False] * (len(started) - 2) + ["fed"]  # mapped in two
    started.clear()
    assert run_cli([*args, "--related-memory", "0"], ROOT) == expected  # related rows on disk: one mapper
    assert len(started) > 2 and started == [True] + [False] * (len(started) - 1)
    started.clear()
    monkeypatch.setattr(earlyread, "SPLIT_BYTES", 0)
    assert run_cli(args, ROOT) == expected  # related rows in memory, read by children: fed pages whatever the
    assert len(started) > 3 and started == [True] + [False] * (len(started) - 2) + ["fed"]  # source's size
    started.clear()
    assert run_cli([*args, "--related-memory", "0"], ROOT) == expected  # on disk, from SPLIT_BYTES: split
    assert len(started) > 2 and started == [False] * (len(started) - 1) + ["split"]  # related files, then the source
    started.clear()
    monkeypatch.setattr(earlyread, "WORKER_BYTES", 10**9)  # related files too small to be worth a child: split
    assert run_cli(args, ROOT) == expected
    assert len(started) > 2 and started == [False] * (len(started) - 1) + ["split"]
    monkeypatch.setattr(earlyread, "WORKER_BYTES", 0)
    started.clear()
    assert run_cli([*args, "--no-parallel-read"], ROOT) == expected and not started
    monkeypatch.setattr(dryrun, "core_free", lambda: False)  # a busy machine: one process by default
    assert run_cli(args, ROOT) == expected and not started
    assert run_cli([*args, "--parallel-read"], ROOT) == expected and started


def test_a_busy_machine_has_no_free_core(monkeypatch):
    from engine.runtime import decodeworker

    monkeypatch.setattr(decodeworker.os, "getloadavg", lambda: (64.0, 64.0, 64.0))
    assert not decodeworker.core_free()
