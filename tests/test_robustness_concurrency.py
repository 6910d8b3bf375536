"""Robustness of `concurrency: N` (issue 10, item 6), property-based (Hypothesis):

1. random values of an endpoint's ``concurrency`` (on HTTP and ODBC endpoints) never give a traceback nor
   an ``internal-error`` from ``validate``: exit 0 or 1, every line located in the file written; a whole
   number from 1 to 32 validates and the plan carries it;
2. a page of random records (written, rejected by the target, left pending, the same key twice) written
   N at a time ends exactly as one at a time: the same ledger, the same cursor, the same counts, the same
   documents in the target, each written once, never two writes of one reference at once.
"""
from __future__ import annotations

import io
import re
import tempfile
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from concurrency_support import Sage, Shop, plan_for, run
from engine.cli.main import main
from engine.plan.compile import compile_project
from engine.project.load import load_project
from engine.runtime.state import SqliteStore

LOCATED = re.compile(r"^(spec\.yaml|connectors/sql\.yaml):(\d+):(\d+): (error|warning)\[([a-z0-9-]+)\] ")
SETTINGS = settings(max_examples=25, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
SQL = {"connector": {"name": "sql", "summary": "tables", "protocol": "odbc",
                     "settings": {"dsn": {"required": True}}, "odbc": {"connection": "DSN={settings.dsn}"},
                     "resources": {"articles": {"sql": "SELECT AR_Ref FROM F_ARTICLE", "key": "AR_Ref"}}}}
scalars = st.one_of(st.none(), st.booleans(), st.integers(-40, 80), st.floats(allow_nan=False, allow_infinity=False),
                    st.text(max_size=6), st.sampled_from(["4", "1e3", "", "N", 10 ** 30, -(10 ** 30)]))
values = st.one_of(scalars, st.lists(scalars, max_size=2), st.dictionaries(st.text(max_size=4), scalars, max_size=2))


def _validate(project: dict) -> tuple[int, str, object]:
    with tempfile.TemporaryDirectory() as folder:
        text = yaml.safe_dump(project, sort_keys=False, allow_unicode=True)
        (Path(folder) / "spec.yaml").write_text(text, encoding="utf-8")
        (Path(folder) / "connectors").mkdir()
        (Path(folder) / "connectors" / "sql.yaml").write_text(yaml.safe_dump(SQL), encoding="utf-8")
        out, err = io.StringIO(), io.StringIO()
        with redirect_stdout(out), redirect_stderr(err):
            code = main(["validate", folder])
        plan, _ = compile_project(load_project(Path(folder))) if code == 0 else (None, [])
        output = out.getvalue().replace(folder + "/", "")
    assert code in (0, 1), err.getvalue()
    assert "Traceback" not in output + err.getvalue() and "internal-error" not in output, output
    for line in output.splitlines():
        if line.startswith("  hint:") or not line.strip():
            continue
        assert LOCATED.match(line), line
    return code, output, plan


@SETTINGS
@given(value=values, odbc=st.booleans())
def test_random_concurrency_values_give_located_diagnostics(value, odbc):
    endpoint = {"use": "sql", "settings": {"dsn": "SAGE"}} if odbc else \
        {"use": "sage100-ws", "settings": {"base_url": "${env:U}", "token": "${env:T}"}}
    endpoint["concurrency"] = value
    code, output, plan = _validate({"endpoints": {"sage": endpoint}})
    whole = isinstance(value, int) and not isinstance(value, bool)
    if whole and 1 <= value <= 32:
        assert code == 0, output
        assert plan.endpoints["sage"].concurrency == value
        assert ("concurrency-ignored" in output) == (odbc and value > 1)
    else:
        assert code == 1 and "endpoints.sage.concurrency" in output, output


# -- N at a time ends as one at a time ----------------------------------------------------------------

# (two different records sharing one reference are left out: one at a time, the search made ahead of the page
# answers "absent" for both and both are created; N at a time, the later waits and finds the earlier's —
# tests/runtime/test_concurrency.py checks that case on its own)
kinds = st.sampled_from(["ok", "ok", "ok", "reject", "down", "twice"])


@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(plan_kinds=st.lists(kinds, min_size=1, max_size=14), width=st.integers(2, 6))
def test_n_at_a_time_ends_as_one_at_a_time(tmp_path_factory, plan_kinds, width):
    records, reject, down = [], set(), set()
    for i, kind in enumerate(plan_kinds, start=1):
        ref = f"R{i}"
        records.append({"id": i, "ref": ref, "date_modified": f"2026-01-01T00:00:{i:02d}"})
        if kind == "twice":  # the same key again later in the page
            records.append({"id": i, "ref": ref, "date_modified": f"2026-01-01T00:01:{i:02d}"})
        (reject if kind == "reject" else down if kind == "down" else set()).add(ref)
    ends = {}
    for n in (1, width):
        folder = tmp_path_factory.mktemp(f"w{n}")
        plan = plan_for(folder, n, reference=True)
        sage = Sage(reject=reject, down=down, pause=0.001)
        store = SqliteStore(folder / "state.db")
        summary = run(plan, Shop(records), sage, store)
        assert summary.error is None and not sage.overlaps  # never two writes of one reference at once
        assert len(sage.documents) == len(set(sage.documents))  # each document once
        ends[n] = ({e.key: (e.status, e.target_id) for e in store.entries("f")}, store.get_cursor("f"),
                   sorted(sage.documents), sorted(shop_note for shop_note in summary.as_dict().items()
                                                  if shop_note[0] not in ("duration_s",)))
        store.close()
    assert ends[width] == ends[1]
