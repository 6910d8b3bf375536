"""A live dry-run of a flow with `target.remove` on a PostgreSQL state: the removals a run would send are
told from a private copy of the flow's rows (ledger and items), the shared state left as it was."""
from __future__ import annotations

import psycopg

from pg_support import pg_state_cluster  # noqa: F401 (fixture)
from runtime.runtime_support import cli, run_flow
from runtime.test_removals_prestashop import _articles, setup  # noqa: F401 (fixture)
from test_dry_run_removals import _writes


def _rows(url: str) -> list:
    with psycopg.connect(url) as connection:
        return connection.execute("SELECT * FROM passerelle.ledger ORDER BY flow, key").fetchall() + \
            connection.execute("SELECT * FROM passerelle.items ORDER BY flow, key").fetchall()


def test_a_live_dry_run_on_a_postgresql_state_shows_the_removals(setup, pg_state_cluster, monkeypatch):  # noqa: F811
    project, _, env, sb, sim, ids, tiers, data = setup
    url = pg_state_cluster.create_database("dry_run_removals")
    assert cli(["db", "upgrade", "--state", url], env, monkeypatch)[0] == 0
    run_flow(project, url, env, monkeypatch, "tiers_to_shop")
    gone = next(i for i, r in sim.tables["specific_prices"].items() if int(r["from_quantity"]) == 50)
    tiers["A1"] = [(10, "9.50"), (100, "8.00")]  # the tier from 50 removed in the ERP
    _articles(data, ids, tiers)
    before = _rows(url)
    sim.requests.clear()
    code, out, err = cli(["dry-run", str(project), "--flow", "tiers_to_shop", "--state", url], env, monkeypatch)
    assert code == 0, err
    assert f"# tiers_to_shop REMOVE A1/50: no longer in the source\nDELETE {sb.url('prestashop')}/api/specific_prices/{gone}\n" in out
    assert "1 of the flow's 4 created records would be removed" in out and out.count(" REMOVE ") == 1
    assert _writes(sim) == [] and _rows(url) == before  # nothing sent, the shared state only read
    run_flow(project, url, env, monkeypatch, "tiers_to_shop")
    assert _writes(sim) == [("DELETE", f"/api/specific_prices/{gone}")]
