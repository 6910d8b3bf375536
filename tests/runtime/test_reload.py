"""Hot reload: only a clean build replaces the live plan; a broken edit keeps the last good one."""
from __future__ import annotations

import threading
import time

from engine.plan.load import load_plan
from engine.runtime.session import Session
from engine.runtime.watch import LivePlan
from runtime_support import copy_project, simulators


class Events(list):
    def __call__(self, event, **fields):
        self.append((event, fields))

    def named(self, name):
        return [f for e, f in self if e == name]


def carriers_default(plan) -> str:
    return plan.lookups["carriers"].default


def set_default(project, value: str) -> None:
    path = project / "lookups.yaml"
    text = path.read_text()
    current = text.split("    default: ", 1)[1].split("\n", 1)[0]
    path.write_text(text.replace(f"    default: {current}\n", f"    default: {value}\n", 1))


def wait_for(condition, timeout=5.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.01)
    return False


def test_broken_edit_keeps_the_last_good_plan_and_a_fix_goes_live(tmp_path):
    project = copy_project(tmp_path)
    events = Events()
    live = LivePlan(project, lambda: load_plan(project), events)
    assert live.generation == 1 and carriers_default(live.current()) == "DIVERS"
    flow = project / "orders_to_sage.yaml"
    good = flow.read_text()
    flow.write_text(good.replace("write: insert_document", "write: insert_documnt"))
    assert live.check() is False
    rejected = events.named("plan_rejected")[-1]
    assert rejected["live_generation"] == 1 and "unknown-operation" in rejected["details"]
    assert "orders_to_sage.yaml:" in rejected["details"] and "did you mean 'insert_document'?" in rejected["details"]
    assert live.current().flows["orders_to_sage"].target_operation == "insert_document"
    flow.write_text(good)
    set_default(project, "AUTRE_TRANSPORT")
    assert live.check() is True and live.generation == 2
    assert carriers_default(live.current()) == "AUTRE_TRANSPORT"
    assert [f["generation"] for f in events.named("plan_live")] == [1, 2]


def test_rapid_successive_saves_end_with_the_last_save_live(tmp_path):
    project = copy_project(tmp_path)
    events = Events()
    live = LivePlan(project, lambda: load_plan(project), events, rescan_s=0.2)
    live.start()
    try:
        for i in range(10):
            set_default(project, f"V{i}")
            time.sleep(0.01)
        assert wait_for(lambda: carriers_default(live.current()) == "V9"), events
    finally:
        live.stop()


def test_serve_keeps_running_through_a_broken_edit(tmp_path):
    project = copy_project(tmp_path)
    flow = project / "orders_to_sage.yaml"
    flow.write_text(flow.read_text().replace("schedule: every 5m", "schedule: every 1s"))
    events = Events()
    with simulators(orders=10) as (sb, env):
        session = Session(project, state_dir=tmp_path / "state", environ=env, log=events,
                          runner_options={"backoff": 0.001})
        thread = threading.Thread(target=session.serve, kwargs={"tick": 0.05}, daemon=True)
        thread.start()
        try:
            assert wait_for(lambda: len(events.named("flow_summary")) >= 1)
            flow.write_text(flow.read_text().replace("map:\n", "mapp:\n", 1))  # broken
            assert wait_for(lambda: events.named("plan_rejected"))
            runs = len(events.named("flow_summary"))
            assert wait_for(lambda: len(events.named("flow_summary")) > runs + 1, timeout=6)  # still running
            flow.write_text(flow.read_text().replace("mapp:\n", "map:\n", 1))
            assert wait_for(lambda: session.live.generation == 2, timeout=6)
        finally:
            session.stop.set()
            thread.join(timeout=10)
            session.close()
        assert not thread.is_alive()
        assert len(sb.sim("sage100").documents) == len({d["Reference"] for d in sb.sim("sage100").documents})
