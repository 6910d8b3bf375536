"""Record -> XML request body: the direct writer vs the lxml writer (the reference), µs per call.

Three PrestaShop bodies, written with the shipped connector's XML options
(``specs/connectors/prestashop.yaml``):

* ack      — the acknowledgement ``order_histories`` POST of ``bench/sync.py`` (two integers);
* customer — the customer of ``tests/fixtures/prestashop/customers.xml`` as read by the engine
             (~40 text fields);
* product  — a product-shaped record: translated name/description/link (three languages),
             Decimal prices, booleans, None, ``associations`` lists of categories and images.

Both contenders are timed in one run, round-robin (the starting one alternates), ``gc`` disabled
inside a timing; identical bytes are asserted first. ``direct`` is ``records_to_xml`` (the direct
writer, lxml only for what it leaves aside), ``lxml`` is the lxml path every body took before.

    .venv/bin/python bench/xmlwrite.py [--calls 20000] [--rounds 5]
"""
from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.connectors.codecs import xmlwrite  # noqa: E402
from engine.connectors.codecs.xmlcodec import XmlOptions, xml_to_records  # noqa: E402
from engine.project.load import ConnectorStore  # noqa: E402


def options() -> XmlOptions:
    doc = ConnectorStore().load(ROOT / "specs" / "connectors" / "prestashop.yaml")
    xml = dict(doc.data["connector"]["format"]["xml"])
    return XmlOptions(root=xml.get("root"), list_attribute=xml.get("list_attribute"),
                      list_containers=tuple(xml.get("list_containers") or ()),
                      i18n_element=xml.get("i18n_element"),
                      list_item_names=dict(xml.get("list_item_names") or {}))


def bodies(opts: XmlOptions) -> dict[str, tuple[str, dict]]:
    page = (ROOT / "tests" / "fixtures" / "prestashop" / "customers.xml").read_bytes()
    customer = xml_to_records(page, opts)[1][0]

    def i18n(text: str) -> list[dict]:
        return [{"id": lang, "value": f"{text} ({lang})"} for lang in (1, 2, 3)]

    product = {
        "id_manufacturer": 3, "id_supplier": 2, "id_category_default": 4, "new": None,
        "id_default_combination": 0, "id_tax_rules_group": 1, "reference": "TSHIRT-BLU",
        "ean13": "3760000000012", "price": Decimal("12.500000"), "wholesale_price": Decimal("6.2"),
        "weight": Decimal("0.350"), "active": True, "available_for_order": True,
        "show_price": True, "on_sale": False, "state": 1, "visibility": "both",
        "name": i18n("T-shirt bleu & blanc"), "description": i18n("<p>Coton bio, 180 g/m²</p>"),
        "description_short": i18n("Coton"), "link_rewrite": i18n("t-shirt-bleu"),
        "meta_title": i18n("T-shirt"),
        "associations": {"categories": [{"id": 2}, {"id": 4}, {"id": 7}],
                         "images": [{"id": 11}, {"id": 12}]},
    }
    return {"ack": ("order_history", {"id_order": 1042, "id_order_state": 14}),
            "customer": ("customer", customer), "product": ("product", product)}


def timed(write, item: str, record: dict, opts: XmlOptions, calls: int) -> float:
    gc.disable()
    try:
        start = time.perf_counter()
        for _ in range(calls):
            write(item, record, opts)
        return (time.perf_counter() - start) / calls * 1e6
    finally:
        gc.enable()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    opts = options()
    contenders = {"direct": xmlwrite.records_to_xml, "lxml": xmlwrite._lxml_xml}
    print("target: none, informational (the same bytes from both writers is asserted)")
    print(f"{'body':<9} {'bytes':>6} {'direct µs':>10} {'lxml µs':>8} {'speed-up':>9}")
    for name, (item, record) in bodies(opts).items():
        written = xmlwrite._fast_xml(item, record, opts)  # raises if the direct writer declines it
        assert written == xmlwrite._lxml_xml(item, record, opts), name
        times: dict[str, list[float]] = {key: [] for key in contenders}
        for round_ in range(args.rounds):
            order = list(contenders) if round_ % 2 == 0 else list(reversed(contenders))
            for key in order:
                times[key].append(timed(contenders[key], item, record, opts, args.calls))
        direct, lxml = (statistics.median(times[key]) for key in ("direct", "lxml"))
        print(f"{name:<9} {len(written):>6} {direct:>10.2f} {lxml:>8.2f} {lxml / direct:>8.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
