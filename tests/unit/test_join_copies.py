"""Joins copy each record's containers once for all related specs (engine/plan/related.py), with the
same results and the same errors as the former one-copy-per-spec implementation (kept below as the
oracle): on random records, random `at` paths, many/required flags and related rows, including rows
that could not be typed (BadRow)."""
import copy

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.errors import Loc, RecordError, TransformError
from engine.plan.related import BadRow, RelatedData, RelatedSpec, compile_enricher, enrich_step, norm_key


def _old_attach(obj, steps, spec, index):  # the implementation before issue 10 (one copy per spec)
    if not isinstance(obj, dict):
        return obj
    if not steps:
        try:
            ident = tuple(norm_key(get(obj)) for get in spec.getters)
        except TransformError as exc:
            raise RecordError(f"related '{spec.name}': {exc}", field=f"related.{spec.name}", loc=spec.loc) from None
        matches = index.get(ident, [])
        if not matches and spec.required and None not in ident:
            shown = ", ".join(f"{f} = {v}" for f, v in zip(spec.fields, ident))
            raise RecordError(f"no '{spec.resource}' record with {shown} (related '{spec.name}' "
                              "is required)", field=f"related.{spec.name}", loc=spec.loc)
        if not matches and spec.required:
            raise RecordError(f"related '{spec.name}': the join value ({', '.join(spec.texts)}) is "
                              "null", field=f"related.{spec.name}", loc=spec.loc)
        for match in matches:
            if isinstance(match, BadRow):
                shown = ", ".join(f"{f} = {v}" for f, v in zip(spec.fields, ident))
                raise RecordError(f"the '{spec.resource}' record with {shown} could not be read: {match.reason}",
                                  field=f"related.{spec.name}", loc=spec.loc)
        new = dict(obj)
        new[spec.name] = list(matches) if spec.many else (matches[0] if matches else None)
        return new
    head, rest = steps[0], steps[1:]
    value = obj.get(head)
    if isinstance(value, list):
        replaced = [_old_attach(item, rest, spec, index) for item in value]
    elif isinstance(value, dict):
        replaced = _old_attach(value, rest, spec, index)
    else:
        return obj
    new = dict(obj)
    new[head] = replaced
    return new


def _getter(field):
    def get(obj):
        value = obj.get(field)
        if value == "boom":
            raise TransformError("cannot read boom")
        return value
    return get


NAMES = ["a", "b", "rows", "d", "k"]
keys = st.one_of(st.none(), st.integers(0, 3), st.sampled_from(["1", "2", " 3", "boom"]))
leaf = st.one_of(keys, st.text(max_size=2))
records = st.recursive(leaf, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                     st.dictionaries(st.sampled_from(NAMES), inner, max_size=4)),
                       max_leaves=12)
spec_data = st.tuples(st.sampled_from(NAMES[:4]), st.lists(st.sampled_from(NAMES), max_size=3),
                      st.sampled_from(NAMES), st.booleans(), st.booleans(), st.sampled_from(["r1", "r2"]))
rows = st.lists(st.one_of(st.fixed_dictionaries({"id": keys, "v": leaf}),
                          st.builds(lambda k: BadRow({"id": k}, "bad value"), keys)), max_size=5)


def _spec(data):
    name, at, field, many, required, resource = data
    return RelatedSpec(name, resource, "e", tuple(at), ("id",), (_getter(field),), (field,), many, required, False,
                       Loc("f.yaml", 1, 1))


def _run(record, specs, data, enrich):
    """Each spec in turn as the pipeline's Joiner applies them: (result or error text, record after)."""
    owned = {}
    current = record
    for spec in specs:
        try:
            current = enrich(current, spec, data, owned)
        except RecordError as exc:
            return ("error", exc.reason, exc.field), current
    return ("ok",), current


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.dictionaries(st.sampled_from(NAMES), records, max_size=5), st.lists(spec_data, min_size=1, max_size=4),
       rows, rows)
def test_joined_record_equals_the_former_implementation(record, specs_data, rows1, rows2):
    specs = [_spec(d) for d in specs_data]
    data = RelatedData({"r1": rows1, "r2": rows2})
    before = copy.deepcopy(record)
    old = _run(record, specs, data, lambda rec, spec, d, owned: _old_attach(
        rec, spec.at, spec, d.index(spec.resource, spec.fields, spec.theirs)))
    new = _run(record, specs, data, enrich_step)
    assert new == old  # the same record (after a failed spec: as it was before it) and the same error
    assert record == before  # the typed record (stored for replays and acknowledgements) is never changed
    if old[0] == ("ok",):
        assert compile_enricher(specs)(record, data) == old[1]
        assert record == before


def test_each_container_is_copied_once_per_record():
    spec_a = RelatedSpec("x", "r1", "e", ("rows",), ("id",), (_getter("id"),), ("id",), False, False, False,
                         Loc("f.yaml", 1, 1))
    spec_b = RelatedSpec("y", "r1", "e", ("rows",), ("id",), (_getter("id"),), ("id",), False, False, False,
                         Loc("f.yaml", 1, 1))
    data = RelatedData({"r1": [{"id": 1}]})
    record = {"rows": [{"id": 1}, {"id": 2}]}
    owned: dict = {}
    first = enrich_step(record, spec_a, data, owned)
    second = enrich_step(first, spec_b, data, owned)
    assert second is first and second["rows"] is first["rows"]  # filled in place the second time
    assert len(owned) == 4  # the record, its list and its two rows: copied once
    assert record == {"rows": [{"id": 1}, {"id": 2}]}
    assert second == {"rows": [{"id": 1, "x": {"id": 1}, "y": {"id": 1}}, {"id": 2, "x": None, "y": None}]}


def test_a_failed_spec_leaves_the_record_as_before_it():
    """The rows joined before the failing one are taken back: what a group key or an error path may
    read is the record after the specs that succeeded, as before."""
    top = RelatedSpec("x", "r1", "e", (), ("id",), (_getter("id"),), ("id",), False, False, False, Loc("f.yaml", 1, 1))
    first = RelatedSpec("w", "r1", "e", ("rows",), ("id",), (_getter("id"),), ("id",), False, False, False,
                        Loc("f.yaml", 1, 1))  # the list and its rows are copied (owned) here...
    rows = RelatedSpec("y", "r1", "e", ("rows",), ("id",), (_getter("id"),), ("id",), False, True, False,
                       Loc("f.yaml", 1, 1))  # ...and filled in place here until the second row fails
    data = RelatedData({"r1": [{"id": 1}]})
    record = {"id": 1, "rows": [{"id": 1}, {"id": 9}]}
    old = _run(record, [top, first, rows], data, lambda rec, spec, d, owned: _old_attach(
        rec, spec.at, spec, d.index(spec.resource, spec.fields, spec.theirs)))
    new = _run(record, [top, first, rows], data, enrich_step)
    assert new == old
    assert new[0][0] == "error" and new[1] == {"id": 1, "x": {"id": 1},
                                               "rows": [{"id": 1, "w": {"id": 1}}, {"id": 9, "w": None}]}


def test_the_pipeline_keeps_the_typed_record_unjoined():
    """`outcome.record` (stored in the ledger for replays and acknowledgements) never gets the joined
    fields; `outcome.enriched` has them all."""
    from pathlib import Path

    from engine.plan.load import load_plan
    from engine.runtime.pipeline import Joiner, prepare

    flow = load_plan(Path(__file__).resolve().parents[2] / "specs" / "examples" / "prestashop-sage100"
                     ).flows["orders_to_sage"]
    data = RelatedData({"customers": [{"id": "5", "firstname": "A"}], "carriers": [{"id": "2", "name": "DHL"}],
                        "order_details": [{"id": "7", "associations": {"taxes": [{"id": "1"}]}}],
                        "taxes": [{"id": "1", "rate": "20.000"}]})
    raw = {"id": "1", "id_customer": "5", "id_carrier": "2",
           "associations": {"order_rows": [{"id": "7", "product_quantity": "2"}]}}
    (outcome,) = prepare(flow, [raw], Joiner(preloaded=data), lambda spec: False)
    assert outcome.error is None
    assert set(outcome.record) == {"id", "id_customer", "id_carrier", "associations"}
    assert outcome.record["associations"]["order_rows"] == [{"id": 7, "product_quantity": 2}]
    row = outcome.enriched["associations"]["order_rows"][0]
    assert outcome.enriched["customer"]["firstname"] == "A" and row["detail"]["tax"]["rate"] == "20.000"
    assert outcome.enriched["carrier"]["name"] == "DHL"
