"""specs/connectors/gs-auftrag.yaml on real files: the order import file (one line per position,
`rows: positions`, cp1252, `;`, decimal comma, CRLF), the article and stock exports read from the
inbox (CSV and fixed width), and the file protocol's `rows` option itself."""
from __future__ import annotations

import os
from decimal import Decimal

import pytest
import yaml

from engine.connectors.base import IncompleteRecord
from engine.connectors.compile import compile_connector, open_connector
from engine.connectors.errors import EncodeError
from support import ROOT

DEFINITION = yaml.safe_load((ROOT / "specs" / "connectors" / "gs-auftrag.yaml").read_text(encoding="utf-8"))["connector"]


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "gsa").mkdir()
    return tmp_path / "gsa"


@pytest.fixture
def erp(folder):
    with open_connector("erp", DEFINITION, {"dir": str(folder)}) as endpoint:
        yield endpoint


def put(path, data: bytes):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def records(erp, resource):
    return [r for page in erp.read(resource) for r in page]


def position(number: int, article: str, name: str, qty: int, price: str) -> dict:
    return {"Bestellnummer": "PS7", "Bestelldatum": "14.05.2024", "Kundennummer": "WEB000056", "Firma": "",
            "Vorname": "Jürgen", "Nachname": "Weiß", "Strasse": "Hauptstraße 1", "PLZ": "80331", "Ort": "München",
            "EMail": "j@example.test", "Zahlungsart": "VORKASSE", "Versandart": "DHL", "Position": number,
            "Artikelnummer": article, "Bezeichnung": name, "Menge": qty, "Einzelpreis": Decimal(price),
            "Steuersatz": Decimal("19.00")}


def test_the_order_import_is_one_line_per_position_in_cp1252_with_decimal_comma(erp, folder):
    payload = {"reference": "PS7", "positions": [position(1, "TEE-1", "Grüner Tee „Öko“ 100 g", 2, "4.95"),
                                                 position(2, "RABATT", "Gutschein 5 €", 1, "-5.00")]}
    name = erp.write("import_order", payload, {"reference": "PS7"}).result
    assert name.startswith("import/AUFTRAG_PS7_2") and name.endswith(".csv")
    head = ("Bestellnummer;Bestelldatum;Kundennummer;Firma;Vorname;Nachname;Strasse;PLZ;Ort;EMail;Zahlungsart;"
            "Versandart;Position;Artikelnummer;Bezeichnung;Menge;Einzelpreis;Steuersatz\r\n")
    kopf = "PS7;14.05.2024;WEB000056;;Jürgen;Weiß;Hauptstraße 1;80331;München;j@example.test;VORKASSE;DHL;"
    assert (folder / name).read_bytes() == (head + kopf + "1;TEE-1;Grüner Tee „Öko“ 100 g;2;4,95;19,00\r\n"
                                            + kopf + "2;RABATT;Gutschein 5 €;1;-5,00;19,00\r\n").encode("cp1252")
    assert erp.find("find_order", {"reference": "PS7"}) == [{"path": name}]
    assert erp.find("find_order", {"reference": "PS70"}) == []
    assert os.listdir(folder / "import") == [name.split("/")[1]]  # no temporary file left


def test_rows_must_be_a_list_and_a_character_cp1252_lacks_is_a_record_error(erp, folder):
    with pytest.raises(EncodeError, match=r"the payload's `positions` \(rows\) is not a list"):
        erp.write("import_order", {"reference": "PS8"}, {"reference": "PS8"})
    with pytest.raises(EncodeError, match=r"field 'Nachname': character 'Ł' \(U\+0141\) cannot be written in cp1252"):
        erp.write("import_order", {"reference": "PS8", "positions": [{**position(1, "A", "a", 1, "1"),
                                                                      "Nachname": "Łukasz"}]}, {"reference": "PS8"})
    assert not (folder / "import").exists() or not os.listdir(folder / "import")


def test_rows_is_only_for_csv_and_fixed_width():
    definition = {"name": "x", "protocol": "file", "settings": {"dir": {}},
                  "operations": {"w": {"path": "o/{ref}.json", "rows": "lines"}}}
    _, diags = compile_connector(definition, lambda path: None)
    assert [d.code for d in diags] == ["bad-format"] and "operations.w.rows" in diags[0].path, diags
    assert "`rows` picks the lines of a csv or fixed-width file" in diags[0].message


def test_article_export_read_exact_with_umlauts_and_moved_to_done(erp, folder):
    put(folder / "export" / "ARTIKEL_1.csv", (ROOT / "specs" / "examples" / "shop-gsauftrag" / "samples" /
                                              "ARTIKEL_20261206.csv").read_bytes())
    found = records(erp, "article_export")
    assert [r["Artikelnummer"] for r in found] == ["TSHIRT-BLU-M", "THE-004", "CAFE-005", "LIVRE-003"]
    assert found[0] == {"Artikelnummer": "TSHIRT-BLU-M", "Bezeichnung": "T-Shirt blau, Größe M",
                        "Preis": Decimal("12.50"), "Steuersatz": Decimal("19.00"), "Einheit": "Stück", "Aktiv": 1}
    assert found[1]["Bezeichnung"] == 'Grüner Tee "Bio" 100 g'
    assert found[3]["Bezeichnung"] == "Kochbuch Süßspeisen (Geschenk-Edition €)" and found[3]["Aktiv"] == 0
    erp.settled("article_export", all_final=True)
    assert os.listdir(folder / "export" / "done") == ["ARTIKEL_1.csv"]


def test_stock_export_csv_bad_line_and_fixed_width_variant(erp, folder):
    put(folder / "export" / "BESTAND_1.csv", b"Artikelnummer;Lager;Bestand\r\nA-1;1;5\r\nA-2;1;5,5\r\nA-3;2;-3\r\n")
    found = records(erp, "stock_export")
    assert [(r["Artikelnummer"], r["Bestand"]) for r in found[::2]] == [("A-1", 5), ("A-3", -3)]
    assert isinstance(found[1], IncompleteRecord)
    assert "export/BESTAND_1.csv:3: Bestand: '5,5' is not a whole number" in str(found[1].reason)
    lines = [f"{ref:<20}{depot:<4}{qty:>11}\r\n" for ref, depot, qty in (("TSHIRT-BLU-M", 1, 42), ("KÄSE-01", 2, -7))]
    put(folder / "export" / "BESTAND_1.txt", "".join(lines).encode("cp1252"))
    fixed = records(erp, "stock_export_fixed")
    assert [(r["Artikelnummer"], r["Lager"], r["Bestand"]) for r in fixed] == [("TSHIRT-BLU-M", "1", 42),
                                                                             ("KÄSE-01", "2", -7)]
