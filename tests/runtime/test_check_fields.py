"""`passerelle check` names a source field a flow misspells: `validate` cannot know a source's columns, and
a misspelt field reads null on every record (an EAN or a weight silently emptied in the whole catalogue,
issue 14's trial), so check reads one record of each flow's source and says which field is one slip
from a field the flow reads, at the place the flow reads it."""
from __future__ import annotations

from runtime_support import cli, copy_project, simulators


def test_check_names_a_misspelt_source_field_where_the_flow_reads_it(tmp_path, monkeypatch):
    project = copy_project(tmp_path)
    prices = project / "prices_to_shop.yaml"
    text = prices.read_text(encoding="utf-8")
    with simulators(orders=3) as (_, env):
        code, out, err = cli(["check", str(project)], env, monkeypatch)
        assert code == 0 and "warn" not in out, out + err  # the template as shipped: nothing to say
        prices.write_text(text.replace("from: PrixVente", "from: PrixVent"), encoding="utf-8")
        code, out, err = cli(["check", str(project)], env, monkeypatch)
    assert code == 0, out + err
    (line,) = [line for line in out.splitlines() if line.startswith("warn ")]
    assert line.startswith("warn prices_to_shop: ") and "prices_to_shop.yaml:" in line
    assert "reads `PrixVent`" in line and "did you mean `PrixVente`?" in line
