"""A consultant's review of issue 10 (typing only the fields a flow reads, generated fast paths,
streaming dry-run): each test is a case where the new behaviour differed from the old one."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from support import run_cli

from engine.plan.usage import used_fields

_HEAD = """\
endpoints:
  shop: { use: prestashop, settings: { base_url: "${env:PS_URL}", key: "${env:PS_KEY}" } }
  sage: { use: sage100-ws, settings: { base_url: "${env:SAGE_URL}", token: "${env:SAGE_TOKEN}" }, override: { operations: { insert_client: { accepts: null } } } }
flows:
  customers_to_sage:
    source: { endpoint: shop, read: customers }
    target: { endpoint: sage, write: insert_client }
"""
_RECORD = {"id": "56", "company": "Bijoux Martin", "active": "1", "newsletter": "0"}


def _dry_run(tmp_path: Path, flow_body: str, records: list) -> tuple[int, str, str]:
    (tmp_path / "spec.yaml").write_text(_HEAD + flow_body, encoding="utf-8")
    (tmp_path / "in.json").write_text(json.dumps(records), encoding="utf-8")
    return run_cli(["dry-run", ".", "--flow", "customers_to_sage", "--input", "in.json", "--format", "json"],
                   tmp_path)


# --- typing only the fields a flow reads -------------------------------------------------------

@pytest.mark.parametrize("expression", ["_parent | values(@)", "_parent.*", "_parent[*]", "_parent | @",
                                        "_parent.to_string(@)", "_parent._parent", "_parent | keys(@)"])
def test_parent_read_whole_through_a_pipe_or_a_wildcard_types_every_field(expression: str) -> None:
    # `_parent` continued by anything but a field name reads the enclosing record whole
    assert used_fields({"map": {"L": [{"each": "x", "map": {"T": {"from": expression}}}]}}) is None


def test_parent_values_in_an_each_are_typed(tmp_path: Path) -> None:
    code, out, err = _dry_run(tmp_path, """\
    map:
      Intitule: { from: company }
      Lignes:
        - each: "[`1`]"
          map:
            Tout: { from: "_parent | values(@)" }
""", [_RECORD])
    assert code == 0, err
    # typed as the connector declares (id int, active and newsletter bool), as before issue 10
    assert json.loads(out) == [{"Intitule": "Bijoux Martin", "Lignes": [{"Tout": [56, "Bijoux Martin", True, False]}]}]


def test_template_placeholder_reading_the_record_whole_types_every_field(tmp_path: Path) -> None:
    assert used_fields({"reject": [{"when": "id", "reason": "client {to_string(@)}"}]}) is None
    code, out, err = _dry_run(tmp_path, """\
    reject:
      - { when: "company == 'Bijoux Martin'", reason: "client {to_string(@)}" }
    map:
      Intitule: { from: company }
""", [_RECORD])
    assert code == 3, err
    assert '{"id":56,"company":"Bijoux Martin","active":true,"newsletter":false}' in out + err


# --- streaming dry-run ---------------------------------------------------------------------------

def test_an_input_error_late_in_a_file_still_reports_the_records_that_failed_before_it(tmp_path: Path) -> None:
    """The payloads mapped before an unreadable part are printed (documented); the records that failed
    before it must be reported too, or one of them looks mapped-and-printed-elsewhere (it is not)."""
    records = [{"id": str(i), "company": "A"} for i in range(1, 300)]
    records[0]["max_payment_days"] = "45"  # text compared with a number: the record fails
    (tmp_path / "spec.yaml").write_text(_HEAD + """\
    map:
      Intitule: { from: company }
      Relance: { value: 1, when: "max_payment_days > `30`", else: 0 }
""", encoding="utf-8")
    (tmp_path / "in.jsonl").write_text("\n".join(json.dumps(r) for r in records) + "\n{bad\n", encoding="utf-8")
    code, out, err = run_cli(["dry-run", ".", "--flow", "customers_to_sage", "--input", "in.jsonl", "--format",
                              "json"], tmp_path)
    assert code == 1 and "error[input] in.jsonl:300:2" in err
    assert len(json.loads(out)) == 199  # two pages of 100 mapped before the error, record 1 failed
    assert "record 1: field Relance" in err
