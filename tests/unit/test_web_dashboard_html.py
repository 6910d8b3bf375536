"""The dashboard's HTML parts: whatever a record, a target or a spec put in a key, a reason or a name is
escaped (no markup of theirs reaches the page), replay forms carry the CSRF token, counts read as words."""
from __future__ import annotations

from html.parser import HTMLParser

from engine.runtime.run_store import RunRecord
from engine.web.dashboard_data import DeadEntry, FlowRow, PlanStatus
from engine.web.dashboard_html import dead_letter_table, flows_table, layout, plan_card, queue_card, runs_table, when
from engine.web.dashboard_pages import login_page

HOSTILE = '<script>alert("x")</script>&\'"'


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def _parsed(html: str) -> _Tags:
    tags = _Tags()
    tags.feed(html)
    return tags


def test_hostile_text_is_escaped_everywhere():
    run = RunRecord(HOSTILE, "run", 10.0, 12.0, HOSTILE, "error", HOSTILE, {"read": 1})
    row = FlowRow(HOSTILE, HOSTILE, HOSTILE, HOSTILE, run, None, {"failed": 2}, 2)
    dead = DeadEntry(HOSTILE, HOSTILE, "failed", HOSTILE, HOSTILE, 1, 10.0, HOSTILE)
    page = layout(HOSTILE, flows_table([row]) + runs_table([run]) + dead_letter_table([dead], {HOSTILE: 1}, "c0ffee"),
                  project=HOSTILE, csrf="c0ffee")
    parsed = _parsed(page)
    assert [t for t, _ in parsed.tags].count("script") == 1  # only the dashboard's own script element
    assert ("script", {"src": "/static/dashboard.js", "defer": None}) in parsed.tags
    assert HOSTILE in "".join(parsed.text)  # shown as text, intact
    keys = [a["value"] for t, a in parsed.tags if t == "input" and a.get("name") == "key"]
    assert keys == [HOSTILE]  # the replay form sends the key back exactly


def test_replay_forms_post_with_the_csrf_token():
    dead = [DeadEntry("orders", "7", "failed", "refused", "orders.yaml:3:1", 1, 10.0),
            DeadEntry("orders", "8", "update refused", "update failed: no", None, 2, 11.0, "BC00002")]
    parsed = _parsed(dead_letter_table(dead, {"orders": 2, "stock": 0}, "c0ffee"))
    forms = [a for t, a in parsed.tags if t == "form"]
    assert len(forms) == 3 and all(f == {"method": "post", "action": "/replay", "class": "inline replay"} for f in forms)
    csrf = [a["value"] for t, a in parsed.tags if t == "input" and a.get("name") == "csrf"]
    assert csrf == ["c0ffee"] * 3
    text = " ".join(parsed.text)
    assert "Replay all 2 of orders" in text and "(as BC00002)" in text and "stock" not in text
    assert "Nothing is set aside" in dead_letter_table([], {"orders": 0}, "c")


def test_counts_outcomes_plan_and_queue_read_as_words():
    run = RunRecord("orders", "replay", 100.0, 100.25, "abcdef0123456789", "records", None,
                    {"read": 3, "created": 2, "failed": 1, "acked": 2})
    text = " ".join(_parsed(runs_table([run]) + flows_table([FlowRow("orders", None, "shop.orders", "sage.doc", None,
                                                                      None, {"acked": 5, "done": 1})])).text)
    assert "3 read, 2 created, 1 failed, 2 acknowledged" in text and "250 ms" in text
    assert "records set aside" in text and "never ran" in text and "on demand" in text and "abcdef012345" in text
    assert ">6</td>" in flows_table([FlowRow("orders", None, "a", "b", None, None, {"acked": 5, "done": 1})])
    held = plan_card(PlanStatus("v2", 4, 0.0, {"version": "v3", "warnings": ["flow x removed"]}))
    assert "held back" in held and "flow x removed" in held and "1970-01-01 00:00:00 UTC" in held
    assert "2 events waiting" in queue_card(2, 75.0) and "75.0 s" in queue_card(2, 75.0)
    assert "empty" in queue_card(0, None)
    assert when(None) == "—" and 'title="in 1.0 h"' in when(3600.0 + 1000.0, now=1000.0)


def test_the_login_page_never_carries_a_token_and_keeps_only_local_targets():
    page = login_page('/flows/x"><b>?a=1&b=2', "wrong")
    parsed = _parsed(page)
    (form,) = [a for t, a in parsed.tags if t == "form"]
    assert form["action"] == "/login?next=/flows/x%22%3E%3Cb%3E%3Fa%3D1%26b%3D2" and ("b", {}) not in parsed.tags
    assert [a.get("type") for t, a in parsed.tags if t == "input"] == ["password"]


def test_the_refused_reservations_of_a_run_are_shown():
    run = RunRecord("orders", "run", 100.0, 101.0, "v1", "ok", None, {"read": 5, "created": 3, "refused": 2})
    assert "5 read, 3 created, 2 refused (reservation)" in " ".join(_parsed(runs_table([run])).text)
    quiet = RunRecord("orders", "run", 100.0, 101.0, "v1", "ok", None, {"read": 1, "created": 1})
    assert "refused" not in " ".join(_parsed(runs_table([quiet])).text)
