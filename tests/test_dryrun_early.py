"""A file dry-run reads its large inputs while its plan compiles (engine/runtime/earlyread.py), by the
recipe its last dry-run of the same flow left in the cache: the same bytes, exit code and messages as
without it, a stale recipe never used, no child left behind whatever happens."""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from engine.connectors.codecs.xmlcodec import XmlOptions
from engine.runtime import decodeworker, dryrun, earlyread
from support import ROOT, run_cli

pytestmark = pytest.mark.skipif(not decodeworker.available(), reason="no fork or a single core")

EXAMPLE = ROOT / "specs" / "examples" / "prestashop-sage100"


@pytest.fixture()
def files(tmp_path_factory):
    sys.path.insert(0, str(ROOT / "bench"))
    from gen_orders import write

    found = write(tmp_path_factory.mktemp("orders"), 600)  # orders 2.2 MB, details 1.2 MB: both >= WORKER_BYTES
    assert os.path.getsize(found["order_details"]) >= earlyread.WORKER_BYTES
    return found


@pytest.fixture()
def seen(monkeypatch, tmp_path):
    """The readers started early (paths), the files claimed from them and those read by a child forked
    after the compile; a cache of its own, a free core."""
    monkeypatch.setenv("PASSERELLE_CACHE_DIR", str(tmp_path / "cache"))
    for module in (earlyread, dryrun):
        monkeypatch.setattr(module, "core_free", lambda: True)
    found: dict[str, list] = {"early": [], "claimed": [], "late": [], "typed": [], "pids": []}
    forked, claim, late = earlyread.forked_reader, earlyread.EarlyReaders.claim, dryrun.decoded_elsewhere

    def forked_reader(rows, spare):
        found["early"].append(rows.gi_frame.f_locals["path"].name)
        child = forked(rows, spare)
        found["pids"].append(child[0])
        return child

    def claimed(self, path, *args):
        got = claim(self, path, *args)
        if got is not None:
            found["claimed"].append(path.name)
        found["typed"] = sorted(self.typed)
        return got

    monkeypatch.setattr(earlyread, "forked_reader", forked_reader)
    monkeypatch.setattr(earlyread.EarlyReaders, "claim", claimed)
    monkeypatch.setattr(dryrun, "decoded_elsewhere", lambda rows, spare=False: found["late"].append(1) or late(rows, spare))
    yield found
    for pid in found["pids"]:  # every early reader reaped (other tests' children may live in this process)
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)


def argv(project: Path, files: dict[str, Path], *extra: str) -> list[str]:
    args = ["dry-run", str(project), "--flow", "orders_to_sage", "--format", "json", *extra]
    for path in files.values():
        args += ["--input", str(path)]
    return args


def test_the_second_dry_run_reads_while_compiling_and_prints_the_same(files, seen):
    first = run_cli(argv(EXAMPLE, files), ROOT)
    assert first[0] == 3 and "600 read" in first[2]  # unknown taxes: some orders set aside, named
    assert seen["early"] == [] and len(seen["late"]) == 2  # no recipe yet: children forked after the compile
    seen["late"].clear()
    again = run_cli(argv(EXAMPLE, files), ROOT)
    assert again == first
    assert sorted(seen["early"]) == sorted(seen["claimed"]) == ["order_details.xml", "orders.xml"]
    assert seen["late"] == [] and seen["typed"] == ["order_details"]  # the details come typed
    assert run_cli(argv(EXAMPLE, files, "--no-parallel-read"), ROOT) == first


def test_readers_started_before_the_command_line_is_parsed_are_taken_for_the_same_arguments(files, seen):
    """The console entry points start the readers of a plain command line first (quickargs.py,
    earlyread.prestart); the dry-run takes them when argparse reads the same arguments."""
    from engine.cli.quickargs import start_dry_run_readers

    first = run_cli(argv(EXAMPLE, files), ROOT)
    seen["late"].clear()
    start_dry_run_readers(argv(EXAMPLE, files))
    assert sorted(seen["early"]) == ["order_details.xml", "orders.xml"]  # before main() runs
    assert run_cli(argv(EXAMPLE, files), ROOT) == first
    assert len(seen["early"]) == 2 and sorted(seen["claimed"]) == ["order_details.xml", "orders.xml"]
    assert seen["late"] == [] and earlyread._prestarted == []


def test_readers_started_for_other_arguments_are_stopped(files, seen):
    from engine.cli.quickargs import start_dry_run_readers

    first = run_cli(argv(EXAMPLE, files), ROOT)
    start_dry_run_readers(argv(EXAMPLE, files))
    assert len(seen["early"]) == 2
    assert run_cli(argv(EXAMPLE, files, "--max-input-bytes", "1GB"), ROOT) == first  # read with a limit
    assert len(seen["early"]) == 4 and len(seen["claimed"]) == 2  # stopped (reaped: the fixture), started again
    start_dry_run_readers(argv(EXAMPLE, files))
    code, _, err = run_cli(argv(EXAMPLE, files) + ["--flow", "nope"], ROOT)
    assert code == 1 and "no flow named 'nope'" in err and earlyread._prestarted == []


def test_a_recipe_that_is_not_the_plans_is_never_used(files, seen, tmp_path):
    first = run_cli(argv(EXAMPLE, files), ROOT)
    [entry] = (tmp_path / "cache" / earlyread.FOLDER).iterdir()
    stale = earlyread.read_entry(entry)
    stale["fields"] = {name: frozenset({"id"}) for name in stale["fields"]}  # a reader keeping only ids
    earlyread.write_entry(entry, stale)
    seen["late"].clear()
    assert run_cli(argv(EXAMPLE, files), ROOT) == first
    assert len(seen["early"]) == 2 and seen["claimed"] == [] and len(seen["late"]) == 2
    assert earlyread.read_entry(entry)["fields"]["order_details"] != frozenset({"id"})  # the plan's, kept


def test_a_changed_flow_is_read_by_its_own_recipe(files, seen, tmp_path):
    project = tmp_path / "project"
    shutil.copytree(EXAMPLE, project)
    run_cli(argv(project, files), ROOT)
    flows = project / "orders_to_sage.yaml"
    text = flows.read_text(encoding="utf-8")
    flows.write_text(text.replace("    let:\n", "    let:\n      ean: associations.order_rows[0].detail.product_ean13\n", 1),
                     encoding="utf-8")  # one more field of the details read
    changed = run_cli(argv(project, files), ROOT)
    assert seen["claimed"] == []  # the children read by the recipe of the flow before the change
    assert changed[0] == 3 and changed == run_cli(argv(project, files, "--no-cache"), ROOT)
    assert run_cli(argv(project, files), ROOT) == changed and len(seen["claimed"]) == 2  # the new recipe


def test_a_file_broken_late_gives_the_same_error_after_the_same_payloads(files, seen):
    text = files["orders"].read_text(encoding="utf-8")
    files["orders"].write_text(text.replace("</orders>", "<order><id>9</id></orders>"), encoding="utf-8")
    single = run_cli(argv(EXAMPLE, files, "--no-parallel-read"), ROOT)
    assert single[0] == 1 and "malformed XML" in single[2]
    run_cli(argv(EXAMPLE, files), ROOT)
    assert run_cli(argv(EXAMPLE, files), ROOT) == single and "orders.xml" in seen["claimed"]


def test_readers_started_for_a_project_that_no_longer_compiles_are_stopped(files, seen, tmp_path):
    project = tmp_path / "project"
    shutil.copytree(EXAMPLE, project)
    run_cli(argv(project, files), ROOT)
    flows = project / "orders_to_sage.yaml"
    flows.write_text(flows.read_text(encoding="utf-8").replace("key: id", "key: [id"), encoding="utf-8")
    code, out, err = run_cli(argv(project, files), ROOT)
    assert code == 1 and "orders_to_sage.yaml:" in err and out == ""
    assert len(seen["early"]) == 2 and seen["claimed"] == []  # started, then stopped and reaped (the fixture)


def test_no_cache_and_no_parallel_read_start_no_reader(files, seen, tmp_path):
    expected = run_cli(argv(EXAMPLE, files, "--no-cache"), ROOT)
    assert not (tmp_path / "cache" / earlyread.FOLDER).exists()  # nothing kept
    run_cli(argv(EXAMPLE, files), ROOT)
    assert run_cli(argv(EXAMPLE, files, "--no-cache"), ROOT) == expected
    assert run_cli(argv(EXAMPLE, files, "--no-parallel-read"), ROOT) == expected
    assert seen["early"] == []


def test_inputs_whose_related_files_go_to_disk_are_not_read_early(files, seen, monkeypatch):
    monkeypatch.setattr(earlyread, "RELATED_MEMORY", 1_000_000)  # all but the largest file: 1.3 MB
    expected = run_cli(argv(EXAMPLE, files), ROOT)
    assert run_cli(argv(EXAMPLE, files), ROOT) == expected and seen["early"] == []


def test_a_related_file_larger_than_the_source_read_early_is_not_taken_for_the_disk(files, seen):
    """The readers are started when all files but the largest fit the related budget, the largest taken
    as the source. Where a related file is the largest and the related rows go to disk after all, its
    reader (typing rows the disk takes raw) is not taken: only the source's is."""
    details = files["order_details"].read_text(encoding="utf-8")
    at = details.rindex("</order_details>")
    files["order_details"].write_text(details[:at] + " " * 1_500_000 + details[at:], encoding="utf-8")  # 2.7 MB
    assert os.path.getsize(files["order_details"]) > os.path.getsize(files["orders"])
    expected = run_cli(argv(EXAMPLE, files, "--no-parallel-read"), ROOT)
    budget = ["--related-memory", "2500KB"]  # guessed related: orders (2.2 MB) + small ones; really: 2.7 MB + ...
    assert run_cli(argv(EXAMPLE, files, *budget), ROOT) == expected  # (leaves the recipe)
    seen["early"].clear(), seen["claimed"].clear()
    assert run_cli(argv(EXAMPLE, files, *budget), ROOT) == expected
    assert sorted(seen["early"]) == ["order_details.xml", "orders.xml"] and seen["claimed"] == ["orders.xml"]


def test_related_rows_indexed_on_disk_are_not_read_early(files, seen):
    """On disk (relspill.py) related rows are kept raw: no reader types them before the plan."""
    expected = run_cli(argv(EXAMPLE, files), ROOT)
    on_disk = run_cli(argv(EXAMPLE, files, "--related-memory", "0"), ROOT)
    assert on_disk == expected and run_cli(argv(EXAMPLE, files, "--related-memory", "0"), ROOT) == expected
    assert seen["early"] == []
    assert run_cli(argv(EXAMPLE, files, "--related-memory", "4MB"), ROOT) == expected  # 3.7 MB of inputs
    assert len(seen["claimed"]) == 2


def test_a_recipe_reads_as_the_plan_reads():
    from engine.plan.load import load_plan, select_flow

    plan = load_plan(EXAMPLE)
    flow = select_flow(plan, "orders_to_sage")
    connector = plan.connectors[flow.source_endpoint]
    singular = {r.item: name for name, r in connector.resources.items() if r.item}
    options = dryrun.record_options(connector)
    found = earlyread.recipe(flow, options, singular)
    assert XmlOptions(**found["xml"]) == options and found["source"] == "orders"
    assert found["fields"]["order_details"] == dryrun.fields_read(flow, "order_details")
    assert found == earlyread.recipe(flow, options, singular)  # the same plan, the same recipe


def test_a_start_that_cannot_fork_leaves_no_reader_and_the_dry_run_runs(files, seen, monkeypatch):
    """No process left (EAGAIN) when the second reader is forked at the start: the first is stopped, nothing is
    printed, and the dry-run reads as without early readers."""
    from engine.cli.quickargs import start_dry_run_readers

    first = run_cli(argv(EXAMPLE, files), ROOT)
    forked, calls = earlyread.forked_reader, []

    def failing(rows, spare):
        calls.append(1)
        if len(calls) == 2:
            rows.close()
            raise BlockingIOError(11, "Resource temporarily unavailable")
        return forked(rows, spare)

    monkeypatch.setattr(earlyread, "forked_reader", failing)
    start_dry_run_readers(argv(EXAMPLE, files))
    assert len(seen["pids"]) == 1 and earlyread._prestarted == []  # the one forked is stopped (reaped: the fixture)
    monkeypatch.setattr(earlyread, "forked_reader", forked)
    assert run_cli(argv(EXAMPLE, files), ROOT) == first
