"""The pieces of the cluster that need no database: a project's environment file, the overlap check
of the kill test, the status table."""
from __future__ import annotations

import pytest

from engine.cli.cluster_farm import overlaps
from engine.errors import OperatorError
from engine.runtime.cluster_status import FlowStatus, table
from engine.runtime.project_env import parse_env_file, project_environ


def test_env_file_lines(tmp_path):
    path = tmp_path / ".env"
    path.write_text("# the shop\nexport SHOP_URL=https://shop.example\n\nKEY = 'a b#c'\nTOKEN=\"x\\ny\\\"z\"\n"
                    "PLAIN=abc  # trailing comment\nEMPTY=\n")
    assert parse_env_file(path) == {"SHOP_URL": "https://shop.example", "KEY": "a b#c", "TOKEN": 'x\ny"z',
                                    "PLAIN": "abc", "EMPTY": ""}


@pytest.mark.parametrize("line, where", [("not a pair s3cret", ":2:1: not a NAME=value line"),
                                         ("KEY='s3cret", ":2:1: the value's ' quote is not closed")])
def test_env_file_errors_are_located_and_never_show_the_value(tmp_path, line, where):
    path = tmp_path / ".env"
    path.write_text(f"A=1\n{line}\n")
    with pytest.raises(OperatorError) as caught:
        parse_env_file(path)
    assert str(caught.value).startswith(f"{path}{where}") and "s3cret" not in str(caught.value)


def test_a_project_with_an_env_file_sees_nothing_of_the_process_environment(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / ".env").write_text("SHOP_URL=https://a.example\n")
    process = {"SHOP_URL": "https://process.example", "SAGE_TOKEN": "t"}
    assert project_environ(tmp_path / "a", process) == {"SHOP_URL": "https://a.example"}
    assert project_environ(tmp_path / "b", process) == process


def test_overlaps_finds_requests_in_flight_together_and_ignores_searches_ahead():
    sequential = [(0.0, 1.0, "GET", "/api/orders", 200), (1.0, 2.0, "POST", "/Documents", 200),
                  (2.5, 3.0, "PUT", "/api/order_histories", 200)]
    assert overlaps(sequential) == []
    two_runs = sequential + [(1.5, 1.7, "GET", "/api/orders", 200)]
    assert overlaps(two_runs) == [((1.0, 2.0, "POST", "/Documents", 200), (1.5, 1.7, "GET", "/api/orders", 200))]
    # inside the longest request so far, even past a shorter one
    nested = [(0.0, 5.0, "GET", "/a", 200), (1.0, 2.0, "GET", "/b", 200), (3.0, 4.0, "GET", "/c", 200)]
    assert len(overlaps(nested)) == 2
    ahead = sequential + [(1.1, 1.3, "GET", "/WebServices100/X/DocumentService/rest/Documents?Reference=PS_1", 200),
                          (1.2, 1.4, "GET", "/WebServices100/X/DocumentService/rest/Documents?Reference=PS_2", 200)]
    assert overlaps(ahead) == []


def test_status_table_aligns_one_line_per_flow():
    rows = [FlowStatus("client001", "orders_to_sage", "every 5m", 0.0, "ok", {"read": 3, "created": 3}, "queued",
                       {"acked": 3}, 0, "worker 4 since 10:00:00"),
            FlowStatus("client002", "stock_to_shop", None)]
    lines = table(rows).splitlines()
    assert lines[0].split()[:2] == ["project", "flow"] and len(lines) == 3
    assert "read 3, created 3" in lines[1] and "queued" in lines[1] and "worker 4 since 10:00:00" in lines[1]
    assert lines[2].split()[2:4] == ["-", "-"]
    assert lines[1].index("orders_to_sage") == lines[2].index("stock_to_shop")


@pytest.mark.parametrize("command", ["worker", "schedule", "status"])
def test_a_jobs_database_out_of_reach_is_one_clear_line_without_the_password(tmp_path, command):
    from cluster_support import cli

    done = cli(command, "--projects", str(tmp_path), "--database", "postgresql://agency:s3cret@127.0.0.1:1/jobs",
               timeout=60)
    assert done.returncode == 1
    assert done.stderr.startswith("error[setup] postgresql://***@127.0.0.1:1/jobs: cannot connect to the jobs database")
    assert "s3cret" not in done.stderr + done.stdout and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_an_error_nobody_awaited_is_one_log_event_without_a_traceback():
    """A worker slowed past --stalled-after sees its job taken over; its "job finished" is then refused in
    a task procrastinate shields, and asyncio printed the traceback when the worker stopped (the cluster
    kill test saw one under load). The loop's handler logs the database's own words instead."""
    import asyncio
    import gc

    from engine.runtime.flow_jobs import loop_errors

    events: list[tuple[str, dict]] = []

    async def finish_refused() -> None:
        try:
            raise RuntimeError('Job was not found or not in "doing" or "todo" status (job id: 13)')
        except RuntimeError as exc:
            raise ConnectionError("\n    Database error.\n    ") from exc

    async def main() -> None:
        asyncio.get_running_loop().set_exception_handler(loop_errors(lambda event, **f: events.append((event, f))))
        task = asyncio.ensure_future(finish_refused())
        await asyncio.sleep(0.01)
        del task  # never awaited: asyncio reports it when the task goes
        gc.collect()

    asyncio.run(main())
    assert events == [("queue_error", {"message": "Task exception was never retrieved",
                                       "error": 'RuntimeError: Job was not found or not in "doing" or "todo" '
                                                "status (job id: 13)"})]
