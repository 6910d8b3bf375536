"""`dry-run --input FILE --input-format csv --delimiter ';' --encoding cp1252 --decimal ,`: a CSV
export given to a flow whose source reads a shop's API (not a file connector); a clear located error
when the format of the file cannot be known, or the options are wrong."""
from __future__ import annotations

from pathlib import Path

from support import run_cli

PROJECT = """\
project: { name: Boutique }
endpoints:
  shop: { use: prestashop, settings: { base_url: "http://shop.test", key: "${env:PS_KEY}" } }
  sage:
    use: sage100-ws
    settings: { base_url: "http://sage.test", token: "${env:SAGE_TOKEN}" }
    override: { operations: { insert_document: { accepts: null } } }
flows:
  items:
    source: { endpoint: shop, read: products }
    key: id
    target: { endpoint: sage, write: insert_document }
    map:
      ref: { from: reference }
      price: { from: price }
"""
CSV = "id;reference;price\r\n1;CLÉ-12;12,50\r\n2;VIS-3;0,05\r\n3;X;douze\r\n"


def _project(tmp_path: Path) -> tuple[Path, Path]:
    project = tmp_path / "boutique"
    project.mkdir()
    (project / "project.yaml").write_text(PROJECT, encoding="utf-8")
    export = tmp_path / "export.txt"
    export.write_bytes(CSV.encode("cp1252"))
    return project, export


def test_a_csv_export_for_a_flow_reading_a_shop(tmp_path):
    project, export = _project(tmp_path)
    code, out, err = run_cli(["dry-run", str(project), "--flow", "items", "--input", str(export), "--input-format",
                              "csv", "--delimiter", ";", "--encoding", "cp1252", "--decimal", ",", "--format",
                              "json"], tmp_path)
    assert '"ref": "CLÉ-12"' in out and '"price": 12.5' in out and '"price": 0.05' in out  # exact decimals
    assert "export.txt:4: price: 'douze' is not a number" in err
    assert "3 read, 2 mapped" in err and code == 3


def test_the_format_of_a_file_that_is_not_json_or_xml_cannot_be_known(tmp_path):
    project, export = _project(tmp_path)
    code, out, err = run_cli(["dry-run", str(project), "--flow", "items", "--input", str(export)], tmp_path)
    assert code == 1 and f"error[input] {export}:2:5: the file is not valid UTF-8" in err  # located
    assert "hint: the format of this file cannot be known" in err and "--input-format csv" in err


def test_wrong_format_options_are_named(tmp_path):
    project, export = _project(tmp_path)
    code, _, err = run_cli(["dry-run", str(project), "--flow", "items", "--input", str(export), "--input-format",
                            "csv", "--delimiter", ";;", "--encoding", "klingon"], tmp_path)
    assert code == 1 and "--delimiter: `delimiter` must be one character" in err and "--encoding: unknown encoding" in err
    code, _, err = run_cli(["dry-run", str(project), "--flow", "items", "--input", str(export), "--delimiter", ";"],
                           tmp_path)
    assert code == 1 and "--delimiter describe the --input file's format: give --input-format csv" in err


def test_json_files_given_beside_a_csv_source_are_read_as_json(tmp_path):
    """The GS-Auftrag example's stock flow reads a CSV export and joins shop records: the related files,
    JSON list responses that name their resource, are read as JSON, not with the source's CSV format
    (before: `combinations.json:1: the header line lacks the declared columns ...`)."""
    import json

    from support import ROOT

    samples = ROOT / "specs" / "examples" / "shop-gsauftrag" / "samples"
    inputs = ["--input", str(samples / "BESTAND_20261206.csv")]
    for resource in ("combinations", "products", "stock_availables"):
        named = tmp_path / f"{resource}.json"
        named.write_text(json.dumps({resource: json.loads((samples / f"{resource}.json").read_text())}))
        inputs += ["--input", str(named)]
    code, out, err = run_cli(["dry-run", str(ROOT / "specs" / "examples" / "shop-gsauftrag"), "--flow",
                              "stock_to_shop", *inputs], tmp_path)
    assert code == 0, err
    assert "stock_to_shop: 7 read, 4 mapped, 1 skipped by filter, 0 failed (nothing was sent)" in err
    assert '"quantity": -2' in out and "header line" not in err
