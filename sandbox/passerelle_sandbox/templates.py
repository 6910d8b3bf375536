"""What the shipped templates expect to find in the client's systems before their first run, for
``passerelle sandbox`` (the simulators a consultant follows a template's README against).

* The generic accounts a consultant creates by hand in Sage before a first run: ``CLIENT-WEB`` in Sage 100
  (the orders of guests and of customers without an account, every Sage 100 template), ``WEBGUEST`` in
  Sage X3 (``magento-sagex3``), the contact ``WEBSHOP`` in Sage Accounting (``shopify-sage-accounting``,
  its id written in that template's ``orders_to_sage.yaml``). :func:`prepare` adds them to every
  simulator it finds running, whatever the template.
* ``--template NAME`` (:data:`TEMPLATES`): the systems of that template and the simulator options its
  lookups are written for (the UK business of ``shopify-sage-accounting``: GBP, nominal codes 4000/4905,
  ``GB_*`` tax rate ids, and the shop's orders at UK VAT rates; the Sage 100 article lines FRAIS and AVOIR).
* :func:`extra_settings`: the settings a connector needs beyond ``credentials()`` (Sage Accounting's
  OAuth2 ``token_url`` and ``business_id``), printed beside them.
* :func:`sage_database`: the seeded Sage 100c SQL database (SQLite) and media share a ``sage100sql-*``
  template reads, made in a temporary folder for the sandbox's lifetime.
"""
from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

__all__ = ["MEDIA_FOLDERS", "TEMPLATES", "SageDatabase", "extra_settings", "options", "prepare", "sage_database",
           "systems"]

GENERIC_SBCA_CONTACT = "5a0fe8d3c7b44d3a9c2f6e1b7a4d0c11"  # shopify-sage-accounting/orders_to_sage.yaml
UK_LEDGERS = ((4000, "Sales Type A", "SALES"), (4905, "Distribution and carriage", "SALES"),
              (1100, "Debtors Control Account", "CURRENT_ASSETS"), (1200, "Bank Current Account", "BANK"),
              (2200, "Sales Tax Control Account", "CURRENT_LIABILITY"))
UK_TAX_IDS = {"S_20": "GB_STANDARD", "S_5": "GB_LOWER", "EXO": "GB_ZERO", "S_10": "GB_UNUSED_10",
              "S_2": "GB_UNUSED_2"}
UK_RATE = {0.2: 0.2, 0.1: 0.2, 0.055: 0.05, 0.021: 0.05, 0.0: 0.0}  # the French sample rates -> UK rates
_SAGE100_LINES = {"sage100": {"special_articles": ("PORT", "REMISE", "FRAIS", "AVOIR")}}
_UK = {"sage-accounting": {"country": "GB", "currency": "GBP", "ledger_accounts": UK_LEDGERS,
                           "tax_rate_ids": UK_TAX_IDS, "timezone_name": "Europe/London"}}

# template -> (systems, simulator options, whether the shop's orders take UK VAT rates)
TEMPLATES: dict[str, tuple[tuple[str, ...], dict[str, dict[str, Any]], bool]] = {
    "prestashop-sage100": (("prestashop", "sage100"), {}, False),
    "prestashop-sage100-b2b": (("prestashop", "sage100"), {}, False),
    "prestashop-sage100sql": (("prestashop",), {}, False),
    "sage100sql-prestashop": (("prestashop",), {}, False),
    "shop-gsauftrag": (("prestashop",), {}, False),
    "woocommerce-sage100": (("woocommerce", "sage100"), _SAGE100_LINES, False),
    "woocommerce-sage100-reserve": (("woocommerce", "sage100"), _SAGE100_LINES, False),
    "sage100-shopify": (("shopify", "sage100"), _SAGE100_LINES, False),
    "magento-sage100": (("magento", "sage100"), _SAGE100_LINES, False),
    "smartstore-sage100": (("smartstore", "sage100"), _SAGE100_LINES, False),
    "magento-sagex3": (("magento", "sagex3"), {}, False),
    "shopify-sage-accounting": (("shopify", "sage-accounting"), _UK, True),
    "sage100sql-woocommerce": (("woocommerce",), {}, False),
    "sage100sql-shopify": (("shopify",), {}, False),
    "sage100sql-smartstore": (("smartstore",), {}, False),
    "sagex3-woocommerce": (("sagex3", "woocommerce"), {}, False),
    "sage-accounting-shopify": (("sage-accounting", "shopify"), {}, False),
    # the MSI sources of lookups.yaml `depots` and the store views endpoints.yaml's shop_en / shop_de write
    "sage100sql-magento": (("magento",), {"magento": {"sources": ("default", "lyon", "saint-etienne", "vieux-lyon"),
                                                      "store_views": ("default", ("en", "English"),
                                                                      ("de", "Deutsch"))}}, False),
}


# sage100sql template -> the project folder its flows read Sage's media share from (the others ship their images)
MEDIA_FOLDERS = {"sage100sql-prestashop": "images", "sage100sql-woocommerce": "images", "sage100sql-smartstore": "media"}
# sage100sql-shopify/lookups.yaml customer_price_lists: the B2B catalogs' price lists made once in the admin
SHOPIFY_CUSTOMER_LISTS = {"CL-DUPONT": 1004, "CL-ETOILE": 1005}


class SageDatabase(NamedTuple):
    connection: str  # the sage100-sql connector's `connection` setting
    media: Path  # the media share (\\SAGE-SRV\Medias\) the seeded paths name


def _sqlite_driver() -> str:
    try:
        import pyodbc
    except ImportError:  # only the connection string is printed: Debian's libsqliteodbc name
        return "SQLite3"
    return next((d for d in ("SQLite3", "SQLite3 ODBC Driver") if d in pyodbc.drivers()), "SQLite3")


@contextmanager
def sage_database(template: str | None) -> Iterator[SageDatabase | None]:
    """For a ``sage100sql-*`` template, a seeded Sage 100c database (SQLite) and its media share in a
    temporary folder removed when the sandbox stops; None for the others."""
    if not (template or "").startswith("sage100sql-"):
        yield None
        return
    from passerelle_sandbox.sage100sql_cli import create_sqlite
    from passerelle_sandbox.sage100sql_media import write_media

    with tempfile.TemporaryDirectory(prefix="passerelle-sage100sql-") as folder:
        database, media = Path(folder) / "sage100.db", Path(folder) / "media"
        create_sqlite(database)
        write_media(media)
        yield SageDatabase(f"DRIVER={{{_sqlite_driver()}}};Database={database};FKSupport=1", media)


def systems(template: str) -> tuple[str, ...]:
    return TEMPLATES[template][0]


def options(template: str | None) -> dict[str, dict[str, Any]]:
    return {k: dict(v) for k, v in TEMPLATES[template][1].items()} if template else {}


def prepare(sandbox: Any, template: str | None = None) -> list[str]:
    """Add the generic accounts to the running simulators (and UK rates to the shop's orders when the
    template is written for a UK business); one line per thing made, for the CLI to print."""
    made = []
    running = set(sandbox.systems)
    if "sage100" in running:
        sage = sandbox.sim("sage100")
        sage.clients.setdefault("CLIENT-WEB", {"TypeTiers": 0, "NumeroTiers": "CLIENT-WEB",
                                               "Intitule": "Client web", "Email": ""})
        made.append("sage100: generic client CLIENT-WEB")
    if "sagex3" in running:
        sandbox.sim("sagex3").customers.setdefault("WEBGUEST", {
            "BPCNUM": "WEBGUEST", "BPCNAM": "Web guest", "BPCSHO": "WEBGUEST", "CUR": "EUR", "CRY": "FR",
            "CTY": "", "POSCOD": "", "BPCSTA": 2})
        made.append("sagex3: generic customer WEBGUEST")
    if "sage-accounting" in running:
        contacts = sandbox.sim("sage-accounting").tables["contacts"]
        if GENERIC_SBCA_CONTACT not in contacts.by_id:
            contacts.add({"id": GENERIC_SBCA_CONTACT, "displayed_as": "Web shop customers (WEBSHOP)",
                          "name": "Web shop customers", "reference": "WEBSHOP",
                          "contact_types": [{"id": "CUSTOMER", "displayed_as": "Customer"}], "email": "",
                          "created_at": "2023-01-01T00:00:00Z", "updated_at": "2023-01-01T00:00:00Z"})
        made.append(f"sage-accounting: generic contact WEBSHOP (id {GENERIC_SBCA_CONTACT})")
    if template == "sagex3-woocommerce" and "woocommerce" in running:
        shop = sandbox.sim("woocommerce")
        shop.products.clear()  # the simulator's own catalogue sells the X3 item codes as variations
        shop.variations.clear()
        made.append("woocommerce: an empty catalogue (a new shop the X3 products are created in)")
    if template == "sage100sql-shopify" and "shopify" in running:
        shop = sandbox.sim("shopify")
        for customer, number in SHOPIFY_CUSTOMER_LISTS.items():
            gid = f"gid://shopify/PriceList/{number}"
            if not shop.price_list_by_gid(gid):
                shop.price_lists.append({"id": number, "gid": gid, "name": f"{customer} EUR", "currency": "EUR",
                                         "breaks": []})
        made.append("shopify: the B2B price lists of customer_price_lists (CL-DUPONT 1004, CL-ETOILE 1005)")
    if template and TEMPLATES[template][2] and "shopify" in running:
        for order in sandbox.sim("shopify").orders:
            for line in order["line_items"] + order["shipping_lines"]:
                for tax in line["tax_lines"]:
                    tax["rate"] = UK_RATE.get(tax["rate"], tax["rate"])
        made.append("shopify: orders at UK VAT rates (20 %, 5 %, 0 %)")
    return made


def extra_settings(sandbox: Any, system: str) -> dict[str, str]:
    """Connector settings beyond the credentials, printed with them."""
    if system == "sage-accounting":
        sim = sandbox.sim(system)
        return {"token_url": sim.token_url(sandbox.base_url(system)), "business_id": sim.business_id}
    return {}
