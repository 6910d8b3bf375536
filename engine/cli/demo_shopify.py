"""``make demo`` (second part) / ``python -m engine.cli.demo_shopify``: the Sage 100 <-> Shopify example.

Starts the Shopify and Sage 100 simulators in this process, copies ``specs/examples/sage100-shopify``
to a temporary folder, creates in Sage what the consultant creates by hand (the generic client
``CLIENT-WEB``), and runs every flow: customers found in Sage by e-mail or created, orders to Sage with
two acknowledgements (a metafield with the Sage piece number, a tag), each range of articles as one
product with its variants, each quantity tier as one B2B price break. A second run sends nothing.
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

from engine.util.resources import examples_dir

EXAMPLE_NAME = "sage100-shopify"
# the simulated Shopify rate limit is raised so the demo stays fast; the connector follows the real
# one (throttled answers are retried after the wait Shopify asks for)
FAST_SHOPIFY = {"shopify": {"graphql_bucket": 200000.0, "restore_rate": 1000.0}}


def main(argv: list[str] | None = None) -> int:
    from engine.cli.demo import arguments, simulators
    args = arguments(argv, "engine.cli.demo_shopify", __doc__.splitlines()[0], orders=15)
    from engine.runtime.logs import RunLog
    from engine.runtime.session import Session
    sandbox = simulators()
    if sandbox is None:
        return 1
    Sandbox, generate = sandbox.Sandbox, sandbox.generate

    work = Path(tempfile.mkdtemp(prefix="passerelle-demo-"))
    project = work / EXAMPLE_NAME
    shutil.copytree(examples_dir() / EXAMPLE_NAME, project, ignore=shutil.ignore_patterns(".passerelle"))
    say = print
    dataset = generate(seed=args.seed, orders=args.orders, shop_only_customers=3, cases=False)  # plain orders
    try:
        with Sandbox(systems=("shopify", "sage100"), dataset=dataset, options=FAST_SHOPIFY) as sb:
            shop, sage = sb.sim("shopify"), sb.sim("sage100")
            sage.clients["CLIENT-WEB"] = {"TypeTiers": 0, "NumeroTiers": "CLIENT-WEB", "Intitule": "Client web"}
            env = {"ACME_SHOPIFY_URL": sb.url("shopify"),
                   "ACME_SHOPIFY_TOKEN": sb.credentials("shopify")["access_token"],
                   "ACME_SAGE_URL": sb.url("sage100"), "ACME_SAGE_TOKEN": sb.credentials("sage100")["token"]}
            say(f"simulators: Shopify {sb.url('shopify')}   Sage 100 {sb.url('sage100')}")
            say(f"project:    {project} (copy of the shipped example {EXAMPLE_NAME})\n")
            session = Session(project, state_dir=work / "state", environ={**os.environ, **env},
                              log=RunLog(args.log_format))
            try:
                say("== run 1: every flow")
                first = session.run_flows()
                _print(first)
                pairs = session.state.xrefs("customers", "shop")
                say(f"\n  cross-references (passerelle xref --type customers): {len(pairs)} customers, "
                    f"{sum(p.how == 'created' for p in pairs)} created in Sage, "
                    f"{sum(p.how == 'found' for p in pairs)} found by e-mail")
                _show_product(shop)
                say("\n== run 2: the same again (nothing is created or sent twice)")
                second = session.run_flows()
                _print(second)
            finally:
                session.close()
            docs = [d for d in sage.documents if d.get("TypeDocument") == 1]  # sales orders (credit notes aside)
            notes = len(sage.documents) - len(docs)
            tagged = sum("sage-exported" in o["tags"] for o in shop.orders)
            breaks = len(shop.price_breaks())
            say(f"\nSage holds {len(docs)} sales order(s) for {len(shop.orders)} order(s) and {notes} credit "
                f"note(s) for the refunds; {tagged} order(s) "
                f"tagged sage-exported; {len(shop.product_writes)} product(s) set from ranges; {breaks} B2B "
                "price break(s).")
            failed = [s for s in first + second if s.error or s.failed]
            quiet = all(s.created == s.updated == s.found == 0 for s in second)
            ok = not failed and quiet and len(docs) == tagged == len(shop.orders) and breaks > 0
            say("demo: OK" if ok else "demo: FAILED")
            return 0 if ok else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _print(summaries) -> None:
    for summary in summaries:
        print("  " + summary.line())


def _show_product(shop) -> None:
    product = shop.product_by_handle("tshirt")
    if product is not None:
        skus = ", ".join(v["sku"] for v in product["variants"])
        print(f"  Shopify product '{product['title']}' ({product['handle']}): {len(product['variants'])} "
              f"variants {skus}")


if __name__ == "__main__":
    sys.exit(main())
