"""Everything shipped under specs/ validates clean, and the generated schema is current."""
from support import ROOT
from engine.schema.generate import check_schemas
from engine.plan.validate import validate_paths


def test_shipped_specs_validate_clean():
    report = validate_paths([ROOT / "specs"])
    assert report.projects >= 1 and report.connectors >= 2
    assert report.diagnostics == [], "\n".join(d.format_text() for d in report.diagnostics)


def test_transforms_schema_is_current():
    assert check_schemas() == []
