"""A replay asked for from the dashboard: :func:`engine.runtime.replay.replay`, exactly as ``passerelle
replay`` runs it (under the flow's lease, kept in the run history), its result in words for the page."""
from __future__ import annotations

from dataclasses import dataclass, field

from engine.connectors.errors import EndpointError
from engine.errors import OperatorError
from engine.runtime.lease import Busy
from engine.runtime.replay import replay
from engine.spec.env import scrub


@dataclass
class ReplayOutcome:
    flow: str
    key: str | None
    lines: list[str] = field(default_factory=list)  # a summary line per flow replayed
    problems: list[str] = field(default_factory=list)
    created: int = 0
    failed: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def replay_from_page(session, flow: str, key: str | None) -> ReplayOutcome:
    """Replay record ``key`` of ``flow`` (all of the flow's when None); never raises: the page says why."""
    outcome = ReplayOutcome(flow, key)
    try:
        summaries, unknown = replay(session, flow, [key] if key is not None else None)
    except Busy as exc:
        outcome.problems.append(scrub(f"{exc} — it lets go at the end of its run: replay again in a moment"))
        return outcome
    except (OperatorError, EndpointError) as exc:  # an endpoint that cannot be opened, the state
        outcome.problems.append(scrub(str(exc)))
        return outcome
    for summary in summaries:
        outcome.lines.append(scrub(summary.line()))
        outcome.created += summary.created
        outcome.failed += summary.failed
        if summary.error:
            outcome.problems.append(scrub(f"flow {summary.flow} stopped: {summary.error}"))
        outcome.problems += [scrub(f"record {k} of flow {summary.flow}: the source no longer gives it (deleted, or "
                                   "not read by the flow's source.where any more): it stays set aside")
                             for k in summary.not_found]
    outcome.problems += [f"no record '{k}' is set aside or pending in flow {flow}: nothing replayed for it"
                         for k in unknown]
    if not summaries and not unknown:
        outcome.problems.append(f"nothing to replay in flow {flow}")
    session.log("dashboard_replay", flow=flow, key=key, created=outcome.created, failed=outcome.failed,
                problems=len(outcome.problems))
    return outcome


__all__ = ["ReplayOutcome", "replay_from_page"]
