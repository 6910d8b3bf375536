"""``passerelle sandbox``: run the simulators until Ctrl-C and print where they listen.

    python -m passerelle_sandbox.cli --systems prestashop,sage100 --orders 50 --seed 1 --port-base 8100

``python -m passerelle_sandbox sage100-sql --sqlite PATH`` (or ``--postgresql DSN``) creates and seeds
a Sage 100c SQL database instead (:mod:`passerelle_sandbox.sage100sql_cli`).

``--port-base P`` gives the i-th system port P+i (0 = ephemeral ports). ``--write-dataset DIR`` also
writes the data set as JSON fixtures. Output lines are ``<system> url=<base_url> <name>=<secret>
api=<api root>`` (``url`` is the connector's ``base_url`` setting) so a script can grep them; a shop's
line carries ``webhook_secret``, and ``--webhook TOPIC=URL`` subscribes URL to that shop's topic
(:mod:`passerelle_sandbox.cli_webhooks`).
"""
from __future__ import annotations

import argparse
import signal
import sys
import threading

from passerelle_sandbox import SIMULATORS, SYSTEMS, Sandbox, cli_webhooks, templates
from passerelle_sandbox.dataset import generate

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="passerelle sandbox", description=__doc__.split("\n\n")[0])
    parser.add_argument("--systems", help="comma-separated, among: " + ",".join(SIMULATORS)
                        + f" (default: the template's, else {','.join(SYSTEMS)})")
    parser.add_argument("--template", choices=sorted(templates.TEMPLATES), metavar="NAME",
                        help="set the simulators up as that shipped template expects them (its systems, its "
                             "business's tax rates and accounts): " + ", ".join(sorted(templates.TEMPLATES)))
    parser.add_argument("--orders", type=int, default=20, help="number of shop orders (order 1042 is always one)")
    parser.add_argument("--seed", type=int, default=1, help="data set seed")
    parser.add_argument("--port-base", type=int, default=0, help="first port (0 = ephemeral)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--write-dataset", metavar="DIR", help="also write the data set as JSON files")
    parser.add_argument("--webhook", action="append", default=[], metavar="TOPIC=URL",
                        help="subscribe URL to the shop simulator's webhook TOPIC (repeatable; e.g. order.created="
                             "http://127.0.0.1:8080/webhooks/orders_to_sage), signed with the webhook_secret printed")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["sage100-sql"]:  # a database, not a simulator: passerelle_sandbox.sage100sql_cli
        from passerelle_sandbox.sage100sql_cli import main as sage100sql

        return sage100sql(argv[1:])
    args = _parser().parse_args(argv)
    chosen = args.systems if args.systems is not None else \
        ",".join(templates.systems(args.template) if args.template else SYSTEMS)
    systems = tuple(s.strip() for s in chosen.split(",") if s.strip())
    unknown = [s for s in systems if s not in SIMULATORS]
    if unknown or not systems:
        print(f"error: unknown system(s) {', '.join(unknown) or '(none)'}; known: {', '.join(SIMULATORS)}",
              file=sys.stderr)
        return 2
    if args.orders < 1:
        print("error: --orders must be at least 1", file=sys.stderr)
        return 2
    try:
        hooks = cli_webhooks.parse(args.webhook)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    dataset = generate(seed=args.seed, orders=args.orders)
    if args.write_dataset:
        for path in dataset.write(args.write_dataset):
            print(f"wrote {path}")
    ports = {s: (args.port_base + i if args.port_base else 0) for i, s in enumerate(systems)}
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set()) if threading.current_thread() is \
        threading.main_thread() else None
    try:
        with Sandbox(systems, dataset=dataset, host=args.host, ports=ports,
                     options=templates.options(args.template)) as sandbox, \
                templates.sage_database(args.template) as database:
            made = templates.prepare(sandbox, args.template)  # what the consultant makes by hand in Sage
            made += cli_webhooks.subscribe(sandbox, systems, hooks, args.seed)  # ... and in the shop's admin
            for system in systems:
                settings = {**sandbox.credentials(system), **templates.extra_settings(sandbox, system)}
                if system in cli_webhooks.TOPICS:
                    settings["webhook_secret"] = cli_webhooks.secret(sandbox, system, args.seed)
                secrets = " ".join(f"{k}={v}" for k, v in settings.items())
                print(f"{system} url={sandbox.url(system)} {secrets} api={sandbox.api_url(system)}", flush=True)
            if database is not None:  # a sage100sql template reads Sage's SQL database, not a simulator
                print(f"sage100-sql connection={database.connection} dialect=sqlite media={database.media}", flush=True)
                folder = templates.MEDIA_FOLDERS.get(str(args.template))
                made.append(f"sage100-sql: a seeded Sage 100c database (SQLite ODBC driver, quote the connection in "
                            f".env: it holds ';')" + (f"; copy its media share into the project: cp -r "
                                                       f"{database.media}/. PROJECT/{folder}/" if folder else ""))
            for line in made:
                print(f"made {line}", flush=True)
            print(f"{len(dataset.orders)} orders, seed {args.seed}. Ctrl-C to stop.", flush=True)
            try:
                while not stop.wait(0.2):
                    pass
            except KeyboardInterrupt:
                pass
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    print("stopped", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


def run() -> None:  # pragma: no cover - console entry point
    raise SystemExit(main())
