"""``make demo`` / ``python -m engine.cli.demo``: the main job, end to end, on the built-in simulators.

Starts the PrestaShop and Sage 100 simulators in this process (one seeded data set, so articles and
customers agree on both sides), copies the reference project to a temporary folder (its run state
goes there), points the endpoints at the simulators through the environment — exactly as a client
deployment would, with ``${env:...}`` — and runs every flow: orders to Sage with acknowledgement back
to the shop, prices and stock to the shop. A second run shows that nothing is created twice; a stock change
in Sage then travels to the shop alone.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

from engine.util.resources import examples_dir

EXAMPLE_NAME = "prestashop-sage100"


def arguments(argv: list[str] | None, module: str, description: str, orders: int) -> argparse.Namespace:
    """The options every demo takes: how many orders the simulated shop holds, its seed, the log format."""
    parser = argparse.ArgumentParser(prog=f"python -m {module}", description=description)
    parser.add_argument("--orders", type=int, default=orders, help="orders in the simulated shop")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--log-format", choices=("text", "json"), default="text")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv, "engine.cli.demo", __doc__.splitlines()[0], orders=25)

    from engine.runtime.logs import RunLog
    from engine.runtime.session import Session
    sandbox = simulators()
    if sandbox is None:
        return 1
    Sandbox = sandbox.Sandbox

    work = Path(tempfile.mkdtemp(prefix="passerelle-demo-"))
    project = work / "prestashop-sage100"
    example = examples_dir() / EXAMPLE_NAME
    shutil.copytree(example, project, ignore=shutil.ignore_patterns("samples", ".passerelle"))
    say = print
    try:
        # the plain orders (no guests, other currency or long SKU: `passerelle sandbox` serves those)
        dataset = sandbox.generate(seed=args.seed, orders=args.orders, cases=False)
        with Sandbox(systems=("prestashop", "sage100"), dataset=dataset) as sb:
            env = {"ACME_PS_URL": sb.url("prestashop"), "ACME_PS_KEY": sb.credentials("prestashop")["key"],
                   "ACME_SAGE_URL": sb.url("sage100"), "ACME_SAGE_TOKEN": sb.credentials("sage100")["token"]}
            say(f"simulators: PrestaShop {sb.url('prestashop')}/api   Sage 100 {sb.url('sage100')}")
            say(f"project:    {project} (copy of the shipped example {EXAMPLE_NAME})\n")
            session = Session(project, state_dir=work / "state", environ={**os.environ, **env},
                              log=RunLog(args.log_format))
            try:
                say("== run 1: every flow")
                first = session.run_flows()
                _print(first)
                _show_document(sb)
                say("\n== run 2: the same again (nothing new: no order is created twice)")
                second = session.run_flows()
                _print(second)
                reference = _change_one_stock(sb)
                say(f"\n== run 3: Sage stock of {reference} changed to 7 -> only that article travels")
                third = session.run_flows(["stock_to_shop"])
                _print(third)
                shop_qty = sb.sim("prestashop").stock_for(reference)["quantity"]
                say(f"   shop quantity of {reference} is now {shop_qty}")
            finally:
                session.close()
            docs = sb.sim("sage100").documents
            refs = {d["Reference"] for d in docs}
            exported = {h["id_order"] for h in sb.sim("prestashop").order_histories if int(h["id_order_state"]) == 14}
            say(f"\nSage holds {len(docs)} sales document(s) for {len(refs)} order reference(s); "
                f"{len(exported)} order(s) marked 'Exported to ERP' in the shop.")
            prices = _prices_in_line(sb)
            say(f"{prices} simple product price(s) in the shop equal Sage's tax-excluded sale price.")
            failed = [s for s in first + second + third if s.error]
            ok = not failed and len(docs) == len(refs) and second[0].created == 0 and shop_qty == 7 and prices
            say("demo: OK" if ok else "demo: FAILED")
            return 0 if ok else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


def simulators():
    """The simulators' package (``Sandbox``, ``generate``…), or None after saying how to install it."""
    try:
        import passerelle_sandbox
    except ImportError:
        print("error: the demo runs on the simulators, which are not installed: `pip install "
              "passerelle[sandbox]` (from a checkout: `pip install ./sandbox`, or `make demo`)", file=sys.stderr)
        return None
    return passerelle_sandbox


def _print(summaries) -> None:
    for summary in summaries:
        print("  " + summary.line())


def _show_document(sb) -> None:
    docs = sb.sim("sage100").documents
    if not docs:
        return
    doc = docs[0]
    print(f"\n  first Sage document: {doc['NumeroDocument']} ref {doc['Reference']} customer "
          f"{doc['NumeroTiers']} total TTC {doc.get('TotalTTC')}")
    for line in doc.get("Lignes", [])[:6]:
        print(f"    {line.get('RefArticle', ''):<16} x{line.get('Quantite')}  PU {line.get('PrixUnitaire')}  "
              f"{line.get('CodeTaxe') or ''}")


def _prices_in_line(sb) -> int:
    """Simple products whose shop price equals the Sage article's price (0 if any differs)."""
    from decimal import Decimal

    articles = sb.sim("sage100").articles
    combos = {c.get("reference") for c in sb.sim("prestashop").tables["combinations"].values()}
    equal = 0
    for product in sb.sim("prestashop").tables["products"].values():
        ref = product.get("reference")
        if ref in articles and ref not in combos:
            if Decimal(str(product["price"])) != Decimal(str(articles[ref]["PrixVente"])):
                return 0
            equal += 1
    return equal


def _change_one_stock(sb) -> str:
    sim = sb.sim("prestashop")
    for reference in sorted(sb.sim("sage100").articles):
        try:
            sim.stock_for(reference)
        except Exception:  # Sage-only articles (PORT, REMISE) have no shop stock
            continue
        sb.sim("sage100").set_stock(reference, 7)
        return reference
    raise RuntimeError("no article with shop stock")


if __name__ == "__main__":
    sys.exit(main())
