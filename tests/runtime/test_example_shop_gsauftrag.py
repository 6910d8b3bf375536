"""The PrestaShop <-> GS-Auftrag example (specs/examples/shop-gsauftrag/) run end to end with
``passerelle run`` against the PrestaShop simulator and real files in a tmp folder: order import files
byte-checked against reviewed golden files (cp1252, `;`, decimal comma, CRLF), nothing written twice,
the stock export moved to done/ and the shop's quantities changed, a malformed line set aside naming
file and line, an unreadable export in failed/ with its reason; `validate` and `dry-run --input`."""
from __future__ import annotations

import os
import re
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from passerelle_sandbox import Sandbox
from runtime_support import cli
from support import ROOT

EXAMPLE = ROOT / "specs" / "examples" / "shop-gsauftrag"
GOLDEN = Path(__file__).parent / "golden_gsauftrag"
SUMMARY = re.compile(r"^(?P<flow>\w+): (?P<read>\d+) read, (?P<created>\d+) created, (?P<updated>\d+) updated, "
                     r"(?P<skipped>\d+) skipped, (?P<failed>\d+) failed, (?P<acked>\d+) acknowledged", re.M)
DATED = re.compile(r"^AUFTRAG_(PS\d+)_\d{8}\.csv$")


@pytest.fixture()
def running(tmp_path):
    project = tmp_path / "project"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns("samples", ".passerelle"))
    exchange = tmp_path / "gsa"
    exchange.mkdir()
    with Sandbox(systems=("prestashop",), orders=6, seed=1) as sb:
        env = {"ACME_PS_URL": sb.url("prestashop"), "ACME_PS_KEY": sb.credentials("prestashop")["key"],
               "ACME_GSA_DIR": str(exchange)}
        yield sb, project, exchange, str(tmp_path / "state"), env


def _cli(project: Path, state: str | None, env: dict, monkeypatch, *argv: str, code: int = 0) -> tuple[str, str]:
    got, out, err = cli([*argv, str(project), *(["--state", state] if state else [])], env, monkeypatch)
    assert got == code, out + err
    return out, err


def _run(project: Path, state: str, env: dict, monkeypatch, flow: str, code: int = 0) -> dict:
    _, err = _cli(project, state, env, monkeypatch, "run", "--flow", flow, code=code)
    (match,) = [m for m in SUMMARY.finditer(err) if m["flow"] == flow]
    return {k: int(v) for k, v in match.groupdict().items() if k != "flow"}


def _imports(exchange: Path) -> dict[str, bytes]:
    """The order import files GS-Auftrag sees, by order reference (no hidden or temporary file)."""
    folder = exchange / "import"
    found = {}
    for name in sorted(os.listdir(folder)):
        match = DATED.match(name)
        assert match, f"a file GS-Auftrag would see: {name}"
        found[match[1]] = (folder / name).read_bytes()
    return found


def _german_names(shop) -> None:
    """Accents GS-Auftrag's cp1252 holds: a customer and a product name in German."""
    order = shop.orders[1042]
    address = shop.tables["addresses"][order["id_address_delivery"]]
    address.update({"firstname": "Jürgen", "lastname": "Weiß", "address1": "Königstraße 5", "postcode": "70173",
                    "city": "Stuttgart", "company": "Müller & Söhne GmbH"})
    order["associations"]["order_rows"][0]["product_name"] = "T-Shirt „Öko“ blau, Größe M – 5 € Spende"


def test_orders_become_import_files_once_and_are_acknowledged(running, monkeypatch):
    sb, project, exchange, state, env = running
    shop = sb.sim("prestashop")
    _german_names(shop)
    eligible = {oid for oid, o in shop.orders.items() if int(o["current_state"]) in (2, 3)}

    first = _run(project, state, env, monkeypatch, "orders_to_erp")
    assert (first["created"], first["failed"], first["acked"]) == (len(eligible), 0, len(eligible))
    files = _imports(exchange)
    assert set(files) == {f"PS{oid}" for oid in eligible}
    if os.environ.get("PASSERELLE_REGOLD"):  # regenerate, then review the diff by eye before committing
        GOLDEN.mkdir(exist_ok=True)
        for reference, content in files.items():
            (GOLDEN / f"AUFTRAG_{reference}.csv").write_bytes(content)
    golden = {p.name[len("AUFTRAG_"):-len(".csv")]: p.read_bytes() for p in sorted(GOLDEN.glob("AUFTRAG_*.csv"))}
    assert files == golden
    text = files["PS1042"].decode("cp1252")
    assert "Weiß;Königstraße 5" in text and "T-Shirt „Öko“ blau, Größe M – 5 € Spende" in text
    assert all(line.endswith("\r") for line in text.split("\n")[:-1])
    for reference, content in files.items():  # money exact: the positions add up to the order's net total
        rows = [line.split(";") for line in content.decode("cp1252").split("\r\n")[1:] if line]
        total = sum(Decimal(r[15]) * Decimal(r[16].replace(",", ".")) for r in rows)
        assert total == shop.orders[int(reference[2:])]["total_paid_tax_excl"], reference
    acked = {int(h["id_order"]) for h in shop.order_histories if int(h["id_order_state"]) == 14}
    assert acked == eligible

    stamps = {n: (exchange / "import" / n).stat().st_mtime_ns for n in os.listdir(exchange / "import")}
    again = _run(project, state, env, monkeypatch, "orders_to_erp")
    assert (again["created"], again["updated"], again["failed"], again["acked"]) == (0, 0, 0, 0)
    assert {n: (exchange / "import" / n).stat().st_mtime_ns for n in os.listdir(exchange / "import")} == stamps


def _export(exchange: Path, name: str, data: bytes) -> None:
    (exchange / "export").mkdir(exist_ok=True)
    (exchange / "export" / name).write_bytes(data)


def test_stock_export_updates_the_shop_moves_to_done_and_sets_a_bad_line_aside(running, monkeypatch):
    sb, project, exchange, state, env = running
    shop = sb.sim("prestashop")
    _export(exchange, "BESTAND_20261206.csv",
            b"Artikelnummer;Lager;Bestand\r\n"
            b"TSHIRT-BLU-M;1;40\r\nTSHIRT-BLU-M;2;12\r\n"   # two warehouses: summed
            b"LIVRE-003;1;7\r\n"
            b"THE-004;1;zw\xf6lf\r\n"                      # not a number (cp1252 'zwoelf'): set aside
            b"CAFE-005;1;3\r\n"
            b"VERSAND;1;0\r\n")                            # not in the shop: skipped
    _export(exchange, "BESTAND_20261207.csv", "Artikelnummer;Lager;Bestand\r\n".encode("cp1252")
            + "Käse;1;1\r\n".encode("utf-16"))          # no line readable: the wrong encoding throughout
    before_tea = shop.stock_for("THE-004")["quantity"]

    first = _run(project, state, env, monkeypatch, "stock_to_shop", code=3)
    assert (first["read"], first["updated"] + first["created"], first["failed"]) == (5, 3, 1)
    assert shop.stock_for("TSHIRT-BLU-M")["quantity"] == 52
    assert shop.stock_for("LIVRE-003")["quantity"] == 7 and shop.stock_for("CAFE-005")["quantity"] == 3
    assert shop.stock_for("THE-004")["quantity"] == before_tea
    out, _ = _cli(project, state, env, monkeypatch, "failures")
    assert "export/BESTAND_20261206.csv:5: Bestand: 'zwölf' is not a whole number" in out
    assert os.listdir(exchange / "export" / "done") == ["BESTAND_20261206.csv"]
    assert sorted(os.listdir(exchange / "export" / "failed")) == ["BESTAND_20261207.csv", "BESTAND_20261207.csv.reason"]
    reason = (exchange / "export" / "failed" / "BESTAND_20261207.csv.reason").read_text(encoding="utf-8")
    assert reason.startswith("export/BESTAND_20261207.csv")
    assert [n for n in os.listdir(exchange / "export") if n not in ("done", "failed")] == []


def test_validate_and_dry_run_of_the_sample_export(running, monkeypatch):
    _, project, _, _, env = running
    _cli(EXAMPLE, None, env, monkeypatch, "validate")
    samples = EXAMPLE / "samples"
    out, err = _cli(EXAMPLE, None, env, monkeypatch, "dry-run", "--flow", "stock_to_shop",
                    "--input", str(samples / "BESTAND_20261206.csv"),
                    *[arg for name in ("combinations", "products", "stock_availables")
                      for arg in ("--input", f"{name}={samples / (name + '.json')}")])
    assert "# stock_to_shop record TSHIRT-BLU-M -> shop.update_stock" in out
    assert '"quantity": 52' in out and "7 read, 4 mapped, 1 skipped by filter, 0 failed" in out + err


def test_a_name_cp1252_lacks_sets_the_order_aside_unwritten_and_unacknowledged(running, monkeypatch):
    sb, project, exchange, state, env = running
    shop = sb.sim("prestashop")
    order = shop.orders[1042]
    shop.tables["addresses"][order["id_address_delivery"]]["city"] = "Łódź"
    first = _run(project, state, env, monkeypatch, "orders_to_erp", code=3)
    assert first["failed"] == 1 and first["created"] == first["acked"] == first["read"] - 1
    assert "PS1042" not in _imports(exchange)
    assert [n for n in os.listdir(exchange / "import") if n.startswith(".")] == []  # no temporary file left
    assert 1042 not in {int(h["id_order"]) for h in shop.order_histories if int(h["id_order_state"]) == 14}
    out, _ = _cli(project, state, env, monkeypatch, "failures")
    assert "field 'Ort': character 'Ł' (U+0141) cannot be written in cp1252" in out
