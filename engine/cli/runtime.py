"""``passerelle run | serve | failures | replay | check``: the headless commands."""
from __future__ import annotations

import sys
from pathlib import Path

from engine.errors import Diagnostic, Loc, SpecError
from engine.util.jsonout import dumps

EXIT_OK, EXIT_FAIL, EXIT_RECORDS, EXIT_BUSY = 0, 1, 3, 4


def add_parsers(sub) -> None:
    common = dict(metavar="PROJECT", type=Path)
    p = sub.add_parser("run", help="run the flows once against their endpoints and exit (for cron, CI)")
    p.add_argument("project", **common)
    p.add_argument("--flow", action="append", help="only this flow (repeatable)")
    _runtime_options(p)

    p = sub.add_parser("serve", help="run the flows on their schedules until stopped, hot-reloading the specs")
    p.add_argument("project", **common)
    p.add_argument("--flow", action="append", help="only this flow (repeatable)")
    from engine.cli.reload import seconds
    p.add_argument("--settle", type=seconds, metavar="SECONDS", help="quiet period before a changed file is "
                   "built (default: the project's reload.settle, else 1)")
    p.add_argument("--listen", metavar="HOST:PORT", help="receive the flows' webhooks on HOST:PORT (PORT alone: "
                   "127.0.0.1), at POST /webhooks/<flow> (default: the project's serve.listen, else nothing listens)")
    _runtime_options(p)

    p = sub.add_parser("failures", help="list the records set aside (dead letter) with their reasons")
    p.add_argument("project", **common)
    p.add_argument("--flow")
    p.add_argument("--format", choices=("text", "json"), default="text")
    _state_option(p)

    p = sub.add_parser("replay", help="map failed records again with the current spec and send them")
    p.add_argument("project", **common)
    p.add_argument("--flow")
    p.add_argument("--key", action="append", help="only this record key (repeatable)")
    _runtime_options(p)

    p = sub.add_parser("check", help="test each endpoint's connection and credentials")
    p.add_argument("project", **common)
    _state_option(p, "state folder, where a rotated refresh token is kept (default PROJECT/.passerelle), or a "
                     "postgresql:// URL")
    p.add_argument("--connectors", type=Path, action="append", default=[], metavar="DIR")


def _state_option(p, text: str = "state folder (default: the project's `state`, else PROJECT/.passerelle), or a "
                                  "postgresql:// URL") -> None:
    from engine.util.state_url import state_arg

    p.add_argument("--state", type=state_arg, metavar="DIR|URL", help=text)


def _runtime_options(p) -> None:
    _state_option(p)
    p.add_argument("--log-format", choices=("text", "json"), default="text",
                   help="json: one JSON object per line (for headless runs)")
    p.add_argument("--connectors", type=Path, action="append", default=[], metavar="DIR")
    p.add_argument("--wait", type=float, default=0.0, metavar="SECONDS",
                   help="when another process runs the same flow (or serves the project), wait for it up "
                        "to SECONDS instead of stopping at once (exit 4)")


def _session(args):
    from engine.project.load import ConnectorStore
    from engine.runtime.logs import RunLog
    from engine.runtime.session import Session

    if not args.project.is_dir():
        raise SpecError([Diagnostic("not-found", "no such project folder", Loc(str(args.project), 1, 1))])
    log = RunLog(args.log_format)
    return Session(args.project, state_dir=args.state, log=log, wait=max(0.0, getattr(args, "wait", 0.0)),
                   settle=getattr(args, "settle", None),
                   store=ConnectorStore(extra_dirs=getattr(args, "connectors", []))), log


def _flows(session, names):
    if not names:
        return None
    plan = session.live.current()
    unknown = [n for n in names if n not in plan.flows]
    if unknown:
        from engine.util.suggest import hint_for
        raise SpecError([Diagnostic("unknown-flow", f"no flow named '{unknown[0]}'",
                                    Loc(str(session.project_dir), 1, 1), "", hint_for(unknown[0], plan.flows, "flows"))])
    return names


def _finish(summaries, log_format: str = "text") -> int:
    """The summaries on stderr: an aligned table for a person at a terminal; elsewhere the one-line
    summaries scripts parse (``FLOW: N read, N created, ...``); none with JSON logs (their
    ``flow_summary`` events say it)."""
    from engine.util.progress import is_terminal, summary_table

    if log_format == "json" or not summaries:
        pass
    elif is_terminal(sys.stderr):
        print(summary_table(summaries), file=sys.stderr)
    else:
        for summary in summaries:
            print(summary.line(), file=sys.stderr)
    if any(s.error for s in summaries):
        return EXIT_FAIL
    if any(s.failed or s.pending or s.ack_failed for s in summaries):
        return EXIT_RECORDS
    return EXIT_OK


def _with_session(args, action) -> int:
    """Open the session, install the signal handlers, run ``action(session)``, report, close."""
    from engine.runtime.endpoints import ConfigError
    from engine.runtime.lease import Busy

    session, log = _session(args)
    try:
        session.install_signal_handlers()
        result = action(session)
        log.close()
        return result if isinstance(result, int) else _finish(result, args.log_format)
    except ConfigError as exc:
        log.close()
        _error(args, "config", str(exc))
        return EXIT_FAIL
    except Busy as exc:  # never two processes on one flow: nothing was done
        log.close()
        _error(args, "busy", str(exc), "it ends by itself (a run) or on SIGTERM (a serve); pass --wait SECONDS "
               "to wait for it")
        return EXIT_BUSY
    finally:
        log.close()
        session.close()


def _error(args, code: str, message: str, hint: str | None = None) -> None:
    """``error[CODE] message`` (and its hint) on stderr; one JSON object with ``--log-format json``."""
    if getattr(args, "log_format", "text") == "json":
        import time
        line = {"ts": round(time.time(), 3), "event": "error", "code": code, "message": f"error[{code}] {message}"}
        print(dumps(line | ({"hint": hint} if hint else {})), file=sys.stderr)
        return
    print(f"error[{code}] {message}" + (f"\n  hint: {hint}" if hint else ""), file=sys.stderr)


def cmd_run(args) -> int:
    return _with_session(args, lambda session: session.run_flows(_flows(session, args.flow)))


def cmd_serve(args) -> int:
    def action(session):
        names = _flows(session, args.flow)
        listen = args.listen or (session.live.current().settings.get("serve") or {}).get("listen")
        if not listen:
            return session.serve(names)
        from engine.web.server import parse_listen, serving
        try:
            parse_listen(listen)
            return session.serve(names, around=lambda s: serving(s, listen, flows=names))
        except (ValueError, OSError) as exc:
            session.log.close()
            _error(args, "listen", str(exc))
            return EXIT_FAIL

    return _with_session(args, action)


def cmd_failures(args) -> int:
    from engine.runtime.removal_store import REMOVING
    from engine.runtime.state import ACKED, DONE, FAILED, REFUSING, update_refused
    from engine.runtime.store_open import locate, reading

    if not args.project.is_dir():
        raise SpecError([Diagnostic("not-found", "no such project folder", Loc(str(args.project), 1, 1))])
    from engine.project.load import load_project

    settings = {} if isinstance(args.state, Path) else load_project(args.project).settings
    entries, refused, unacked, removing, refusing = [], [], [], [], []
    with reading(locate(args.project, settings, args.state)) as state:  # never created, changed, migrated
        if state is not None:
            entries = state.entries(args.flow, FAILED)
            created = state.entries(args.flow, DONE) + state.entries(args.flow, ACKED)
            # created, but the target refused an update: `replay` sends it again
            refused = [e for e in created if update_refused(e)]
            # created, but an acknowledgement failed (its reason names which): retried by the next run
            unacked = [e for e in created if e.status == DONE and e.reason and not update_refused(e)]
            removing = state.entries(args.flow, REMOVING)  # removals refused or not confirmed yet
            refusing = state.entries(args.flow, REFUSING)  # refused, an `on_refused` write still to send
    if args.format == "json":
        print(dumps([{"flow": e.flow, "key": e.key, "reason": e.reason, "spec": e.loc, "attempts": e.attempts,
                      "payload": e.payload} for e in entries]
                    + [{"flow": e.flow, "key": e.key, "status": "update_refused", "target_id": e.target_id,
                        "reason": e.reason, "spec": None} for e in refused]
                    + [{"flow": e.flow, "key": e.key, "status": DONE, "target_id": e.target_id, "reason": e.reason,
                        "spec": None}
                       for e in unacked]
                    + [{"flow": e.flow, "key": e.key, "status": REMOVING, "target_id": e.target_id, "reason": e.reason,
                        "spec": None} for e in removing]
                    + [{"flow": e.flow, "key": e.key, "status": REFUSING, "target_id": None, "reason": e.reason,
                        "spec": None} for e in refusing], indent=2))
    else:
        for e in entries:
            where = f"{e.loc}: " if e.loc else ""
            print(f"{where}error[record] flow {e.flow} record {e.key}: {e.reason}")
        for e in refused:
            print(f"error[update] flow {e.flow} record {e.key} (created as {e.target_id}): {e.reason}")
        for e in unacked:
            print(f"warning[ack] flow {e.flow} record {e.key} (created as {e.target_id}): {e.reason}")
        for e in removing:
            print(f"error[remove] flow {e.flow} record {e.key} (created as {e.target_id}): "
                  f"{e.reason or 'the removal was not confirmed'}")
        for e in refusing:
            print(f"warning[refusal] flow {e.flow} record {e.key} (reservation refused: {e.reason}): a write of "
                  "`on_refused` is still to be sent (next run)")
        print(f"{len(entries)} record(s) set aside" + (f", {len(refused)} update(s) refused (`replay` sends them "
                                                       "again)" if refused else "")
              + (f", {len(unacked)} with an acknowledgement to retry (next run)" if unacked else "")
              + (f", {len(removing)} removal(s) to send again (`replay`)" if removing else "")
              + (f", {len(refusing)} refusal(s) still to write back (next run)" if refusing else ""), file=sys.stderr)
    return EXIT_OK


def cmd_replay(args) -> int:
    from engine.runtime.replay import replay

    def action(session):
        _flows(session, [args.flow] if args.flow else None)
        summaries, unknown = replay(session, args.flow, args.key)
        for key in unknown:
            where = f"flow {args.flow}" if args.flow else "any flow"
            _error(args, "replay", f"no record '{key}' is set aside or pending in {where}: nothing replayed for it",
                   "`passerelle failures` lists the records that can be replayed")
        session.log.close()  # no bar left above the summaries
        code = _finish(summaries, args.log_format)
        return EXIT_FAIL if unknown else code

    return _with_session(args, action)


def cmd_check(args) -> int:
    from engine.plan.load import load_plan
    from engine.project.load import ConnectorStore
    from engine.runtime.probe import check_endpoints, field_warnings

    from engine.runtime.store_open import locate, token_keeper

    plan = load_plan(args.project, ConnectorStore(extra_dirs=args.connectors))
    # a server that rotates refresh tokens spends the kept one: the new one goes to the run state
    tokens = token_keeper(locate(args.project, plan.settings, getattr(args, "state", None)))
    try:
        results = check_endpoints(plan, token_store=tokens)
        warnings = field_warnings(plan, token_store=tokens) if all(ok for _, ok, _ in results) else []
    finally:
        tokens.close()
    for name, ok, message in results:
        print(f"{'ok  ' if ok else 'FAIL'} {name}: {message}")
    for flow, message in warnings:  # a misspelt source field reads null on every record, silently
        print(f"warn {flow}: {message}")
    return EXIT_OK if all(ok for _, ok, _ in results) else EXIT_FAIL


COMMANDS = {"run": cmd_run, "serve": cmd_serve, "failures": cmd_failures, "replay": cmd_replay,
            "check": cmd_check}
