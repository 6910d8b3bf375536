"""`let` (named values added to the scope) and `reject` (rules that set a record aside with a reason),
through the one per-record path (`pipeline.evaluate`): let -> filter -> reject -> map."""
from __future__ import annotations

import pytest

from engine.runtime.pipeline import Outcome, evaluate
from helpers import ENDPOINTS, compile_text

FLOW = """
flows:
  f:
    source: { endpoint: shop, read: orders }
BLOCKS
    target: { endpoint: sage, write: insert_document, with: { ref: short } }
    map:
MAP
"""


def _text(blocks: str, mapping: str) -> str:
    return ENDPOINTS + FLOW.replace("BLOCKS\n", blocks).replace("MAP\n", mapping.rstrip("\n") + "\n")

B2B = """    let:
      b2b: "(meta[?key=='b2b'].value | [0]) == 'yes' || role == 'b2b'"
      account: "b2b && customer_code || 'CLIENT-WEB'"
      short: "account"
    filter: "!(test)"
    reject:
      - when: "length(account) > `17`"
        reason: "account {account} is {length(account)} characters, Sage accepts 17"
      - when: "b2b && !customer_code"
        reason: "B2B order {id} has no customer code"
"""
MAP = """      NumeroTiers: { from: account }
      Tarif: { value: PRO, when: b2b, else: PUBLIC }
      lignes:
        - each: rows
          map: { Ref: { from: sku }, Pro: { from: _parent.b2b } }
"""


def _flow(tmp_path, blocks=B2B, mapping=MAP):
    plan, diags = compile_text(tmp_path, _text(blocks, mapping))
    assert plan is not None, "\n".join(d.format_text() for d in diags)
    return plan.flows["f"], diags


def _run(flow, record):
    outcome = Outcome(str(record.get("id")), record, record, record)
    return evaluate(flow, outcome)


def test_a_let_is_one_name_used_in_four_places(tmp_path):
    flow, _ = _flow(tmp_path)
    pro = _run(flow, {"id": 1, "role": "customer", "meta": [{"key": "b2b", "value": "yes"}],
                      "customer_code": "BIJOU01", "rows": [{"sku": "A"}]})
    assert pro.ok and pro.payload == {"NumeroTiers": "BIJOU01", "Tarif": "PRO", "lignes": [{"Ref": "A", "Pro": True}]}
    assert pro.values == {"ref": "BIJOU01"}  # target.with reads a let (which reads a let)
    public = _run(flow, {"id": 2, "role": "customer", "meta": [], "rows": []})
    assert public.payload == {"NumeroTiers": "CLIENT-WEB", "Tarif": "PUBLIC", "lignes": []}
    assert public.values == {"ref": "CLIENT-WEB"}


def test_the_pipe_inside_parentheses_keeps_its_meaning(tmp_path):
    flow, _ = _flow(tmp_path)
    by_role = _run(flow, {"id": 3, "role": "b2b", "meta": [{"key": "b2b", "value": "no"}], "customer_code": "PRO2"})
    assert by_role.payload["Tarif"] == "PRO"


def test_filter_reads_lets_and_runs_before_reject(tmp_path):
    flow, _ = _flow(tmp_path, B2B.replace('filter: "!(test)"', 'filter: "!b2b"'))
    skipped = _run(flow, {"id": 4, "role": "b2b"})  # would be rejected (no code) but is filtered out first
    assert skipped.skipped and skipped.error is None


def test_first_true_rule_rejects_with_its_rendered_reason(tmp_path):
    flow, _ = _flow(tmp_path)
    long = _run(flow, {"id": 5, "role": "b2b", "customer_code": "BIJOUTERIE-MARTIN-LYON"})
    assert long.error is not None and long.payload is None and long.payload_json is None
    assert long.error.reason == "rejected: account BIJOUTERIE-MARTIN-LYON is 22 characters, Sage accepts 17"
    assert long.error.field == "reject[0]" and long.error.flow == "f" and long.error.key == "5"
    assert long.error.loc.line == _text(B2B, MAP).splitlines().index(
        '      - when: "length(account) > `17`"') + 1
    missing = _run(flow, {"id": 6, "role": "b2b"})
    assert missing.error.field == "reject[1]"
    assert missing.error.reason == "rejected: B2B order 6 has no customer code"


def test_reject_runs_before_the_map(tmp_path):
    # the map would fail on this record (text compared with a number): the rejection wins
    flow, _ = _flow(tmp_path, mapping="      X: { value: 1, when: \"total > `3`\" }\n")
    outcome = _run(flow, {"id": 7, "role": "b2b", "total": "12"})
    assert outcome.error.field == "reject[1]"


def test_a_failing_let_names_it_and_is_located(tmp_path):
    blocks = '    let:\n      n: "qty > `1`"\n'
    flow, _ = _flow(tmp_path, blocks, "      N: { from: n }\n")
    outcome = _run(flow, {"id": 8, "qty": "2"})
    assert outcome.error.field == "let.n" and outcome.error.flow == "f" and outcome.error.key == "8"
    assert "failed" in outcome.error.reason and outcome.error.loc.line == 10


def test_a_reason_that_cannot_be_written_still_rejects(tmp_path):
    blocks = '    reject:\n      - { when: "bad", reason: "list {rows}" }\n'
    flow, _ = _flow(tmp_path, blocks, "      N: { from: id }\n")
    outcome = _run(flow, {"id": 9, "bad": True, "rows": [1, 2]})
    assert outcome.error.field == "reject[0]" and "could not be written" in outcome.error.reason


def test_lets_never_reach_the_payload_unless_mapped(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    plain, _ = _flow(tmp_path / "a", "", "      Ref: { from: ref }\n      Id: { from: id }\n")
    with_let, _ = _flow(tmp_path / "b", '    let:\n      other: "ref"\n      more: "id"\n',
                        "      Ref: { from: ref }\n      Id: { from: id }\n")
    record = {"id": 10, "ref": "A"}
    assert _run(plain, dict(record)).payload_json == _run(with_let, dict(record)).payload_json
    assert record == {"id": 10, "ref": "A"}  # the scope is a copy: the record is never changed


def test_a_flow_without_let_or_reject_has_no_step(tmp_path):
    flow, _ = _flow(tmp_path, "", "      Id: { from: id }\n")
    assert flow.lets is None and flow.reject is None


@pytest.mark.parametrize("blocks, code, text", [
    ('    let:\n      a: "b"\n      b: "id"\n', "bad-let", "let 'a' uses 'b', which is defined after it"),
    ('    let:\n      _mine: "id"\n', "bad-let", "names starting with '_' are the engine's"),
    ('    let:\n      short-ref: "id"\n', "bad-let", "is not a name an expression can read unquoted"),
    ('    let:\n      a: "_index"\n', "unknown-name", "`_index` is not available here"),
    ('    let:\n      a: "id ||"\n', "bad-expression", "invalid let"),
    ('    reject:\n      - { when: "x", reason: "oops {x" }\n', "bad-template", "unclosed '{'"),
    ('    reject:\n      - { when: "x", reason: "{length(}" }\n', "bad-expression", "in placeholder {length(}"),
    ('    reject:\n      - { when: "x ==", reason: "r" }\n', "bad-expression", "invalid condition"),
    # was: a reason's placeholders were never checked for names (`{_index}` was written as "")
    ('    reject:\n      - { when: "x", reason: "line {_index}" }\n', "unknown-name", "`_index` is not available"),
    ('    reject:\n      - { when: "x", reason: "{_keyy}" }\n', "unknown-name", "unknown name `_keyy`"),
])
def test_errors_are_located(tmp_path, blocks, code, text):
    plan, diags = compile_text(tmp_path, _text(blocks, "      Id: { from: id }"))
    assert plan is None
    found = [d for d in diags if d.code == code]
    assert found and text in found[0].message and found[0].loc.line >= 6, [d.format_text() for d in diags]


def test_a_reason_placeholder_problem_is_at_the_placeholder_with_the_path_as_elsewhere(tmp_path):
    blocks = '    reject:\n      - when: "_idx"\n        reason: "order {id} line {_index}"\n'
    _, diags = compile_text(tmp_path, _text(blocks, "      Id: { from: id }"))
    when, reason = [d for d in diags if d.code == "unknown-name"]
    assert when.path == "flows.f.reject[0].when"  # was: flows.f.reject.0.when
    line = _text(blocks, "").splitlines()[reason.loc.line - 1]
    assert reason.path == "flows.f.reject[0].reason" and line[reason.loc.col - 1:].startswith("_index}")


def test_a_let_may_use_itself_to_normalise_a_source_field(tmp_path):
    flow, _ = _flow(tmp_path, '    let:\n      ref: "ref || \'NONE\'"\n', "      Ref: { from: ref }\n")
    assert _run(flow, {"id": 11}).payload == {"Ref": "NONE"}


def test_shadowing_a_declared_field_warns(tmp_path):
    _, diags = _flow(tmp_path, '    let:\n      valid: "id"\n', "      Id: { from: valid }\n")
    warned = [d for d in diags if d.code == "let-shadows"]
    assert warned and not warned[0].is_error and "resource 'orders'" in warned[0].message
