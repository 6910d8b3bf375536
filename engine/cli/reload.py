"""``passerelle reload PROJECT [--accept]``: what the running ``serve`` has live and holds back; take
the reload it holds back (see ``engine.runtime.reload_control`` for how the two processes talk)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXIT_OK, EXIT_FAIL = 0, 1


def seconds(text: str) -> float:
    """``serve --settle SECONDS``: a number of seconds, 0 to 99."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 99:
        raise argparse.ArgumentTypeError(f"expected a number of seconds from 0 to 99, got {text!r}")
    return value


def add_parser(sub) -> None:
    p = sub.add_parser("reload", help="show the reload a running `serve` holds back; --accept takes it")
    p.add_argument("project", metavar="PROJECT", type=Path)
    p.add_argument("--accept", action="store_true",
                   help="make the reload held back as suspicious (a flow removed, a table emptied) go live")
    p.add_argument("--state", type=Path, metavar="DIR",
                   help="state folder of the serve (default: the project's state_dir, else PROJECT/.passerelle)")
    p.add_argument("--timeout", type=float, default=10.0, metavar="SECONDS",
                   help="how long to wait for the serve's answer (default 10)")


def _state_dir(args) -> Path:
    if args.state is not None:
        return args.state
    from engine.project.load import load_project

    settings = load_project(args.project).settings  # as the files are now; never raises
    folder = settings.get("state_dir")
    return args.project / (folder if isinstance(folder, str) and folder else ".passerelle")


def cmd_reload(args) -> int:
    from engine.runtime.reload_control import request_accept, serve_status

    if not args.project.is_dir():
        print(f"error: no such project folder: {args.project}", file=sys.stderr)
        return EXIT_FAIL
    folder = _state_dir(args)
    status = serve_status(folder)
    if status is None:
        print(f"error: no `passerelle serve` is running for {args.project} (no live serve recorded in {folder}); "
              "a one-shot `run` always builds the files as they are", file=sys.stderr)
        return EXIT_FAIL
    live, held = status.get("live") or {}, status.get("held")
    print(f"serve (pid {status.get('pid')}): plan generation {live.get('generation')} "
          f"({live.get('version')}) is live")
    if not held:
        print("nothing is held back" + (": nothing to accept" if args.accept else ""), file=sys.stderr)
        return EXIT_FAIL if args.accept else EXIT_OK
    print(f"held back: version {held.get('version')}")
    for line in held.get("warnings") or []:
        print(f"  {line}")
    if not args.accept:
        print("run again with --accept to make it live, or save the same content again", file=sys.stderr)
        return EXIT_OK
    answer = request_accept(folder, str(held.get("version")), timeout=args.timeout)
    if answer is None:
        print(f"error: the serve did not answer within {args.timeout:g} s", file=sys.stderr)
        return EXIT_FAIL
    print(("accepted: " if answer.get("accepted") else "not accepted: ") + str(answer.get("message")),
          file=sys.stdout if answer.get("accepted") else sys.stderr)
    return EXIT_OK if answer.get("accepted") else EXIT_FAIL


COMMANDS = {"reload": cmd_reload}
