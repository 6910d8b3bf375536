"""Dry-run against live endpoints: reads only, shows the full requests, masks every credential."""
from runtime_support import copy_project, simulators
from support import ROOT, run_cli


def test_live_dry_run_shows_requests_and_writes_nothing(tmp_path, monkeypatch):
    project = copy_project(tmp_path)
    with simulators(orders=6) as (sb, env):
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        before = len(sb.sim("prestashop").order_histories)
        code, out, err = run_cli(["dry-run", str(project), "--flow", "orders_to_sage", "--limit", "3"], ROOT)
        assert code == 0, err
        assert "3 read live, 3 mapped" in err and "nothing was written" in err
        assert out.count("POST " + sb.url("sage100") + "/DocumentService/rest/InsertDocumentEtLignes") == 3
        assert out.count("POST " + sb.url("prestashop") + "/api/order_histories") == 3
        assert "Authorization: ***" in out and "Authorization: Basic ***" in out
        assert '"__type":"DocumentVente:http://www.proconsult.lu/WebServices100"' in out
        for secret in (env["ACME_PS_KEY"], env["ACME_SAGE_TOKEN"]):
            assert secret not in out + err
        assert not sb.sim("sage100").documents and len(sb.sim("prestashop").order_histories) == before
        assert not (project / ".passerelle").exists()
