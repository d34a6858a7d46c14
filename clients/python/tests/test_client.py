"""The Python client against a real `selfheal serve`.

Run from `npm test` (test/client/python.test.ts), which starts the service and sets SELFHEAL_URL (and
SELFHEAL_TOKEN, the operator token). The service's platform stays healthy for the whole run, so the
served policy is allow_all unless a test imposes a stricter one through the operator override.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import unittest
import urllib.error
import urllib.request
from dataclasses import FrozenInstanceError, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from selfheal_client import (  # noqa: E402
    SAFETY_POLICIES,
    Directives,
    PolicyClient,
    PolicyView,
    SelfhealUnavailable,
    directives_for,
    fail_closed,
)

URL = os.environ.get("SELFHEAL_URL", "")
TOKEN = os.environ.get("SELFHEAL_TOKEN", "")
#: A second selfheal this suite starts, kills and restarts itself: {"argv": [...], "url": "..."}.
KILLABLE = os.environ.get("SELFHEAL_KILLABLE", "")
WAIT = 30.0  # generous: a loaded 2-core machine

# Issue 17's table: policy -> (open, increase, reduce, adjust_stops, close_positions)
TABLE: Dict[str, Tuple[bool, bool, bool, bool, str]] = {
    "allow_all": (True, True, True, True, "none"),
    "safe_risk_profile": (True, True, True, True, "none"),
    "no_new_trades": (False, False, True, True, "none"),
    "defensive_exit": (False, False, True, True, "high_risk"),
    "emergency_shutdown": (False, False, True, True, "all"),
}


def setUpModule() -> None:
    if not URL or not KILLABLE:
        raise RuntimeError("SELFHEAL_URL or SELFHEAL_KILLABLE is not set: these tests run against a live selfheal (npm test starts one)")


def ready(url: str) -> None:
    """Waits (generously: a loaded machine) until a selfheal answers /-/ready."""
    deadline = time.time() + 60
    while True:
        try:
            with urllib.request.urlopen(url + "/-/ready", timeout=5) as res:
                if res.status == 200:
                    return
        except OSError:
            pass
        if time.time() > deadline:
            raise RuntimeError(f"{url} not ready within 60 s")
        time.sleep(0.1)


def operator(method: str, path: str, body: Optional[Dict[str, Any]] = None) -> Tuple[int, Dict[str, Any]]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(URL + path, data=data, method=method)
    req.add_header("Authorization", f"Bearer {TOKEN}")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=WAIT) as res:
            return res.status, json.loads(res.read() or b"{}")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")


def impose(policy: str) -> Dict[str, Any]:
    status, body = operator("POST", "/policy/override", {"policy": policy, "duration_sec": 600, "reason": "python tests"})
    assert status == 200, (status, body)
    return body


def restore() -> None:
    """Back to allow_all: lift the override, release a latch (409 when there is none)."""
    operator("DELETE", "/policy/override")
    operator("POST", "/policy/reset", {"reason": "python tests: restore"})
    _, view = operator("GET", "/policy")
    assert view["policy"] == "allow_all", view


def row(view: PolicyView) -> Tuple[bool, bool, bool, bool, str]:
    d = view.directives
    return (d.open_positions, d.increase_positions, d.reduce_positions, d.adjust_stops, d.close_positions)


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


class ServedTable(unittest.TestCase):
    def setUp(self) -> None:
        restore()
        self.addCleanup(restore)

    def test_every_policy_served_matches_the_table_and_the_helpers(self) -> None:
        clock = Clock()
        client = PolicyClient(URL, clock=clock)
        for policy in SAFETY_POLICIES:
            if policy != "allow_all":
                impose(policy)
            clock.now = time.time()
            view = client.refresh()
            self.assertEqual(view.policy, policy)
            self.assertEqual(row(view), TABLE[policy], policy)
            # the client's own table agrees with the service's, limits included
            self.assertEqual(view.directives, directives_for(policy, view.max_leverage, view.position_size_multiplier), policy)
            self.assertEqual(
                (client.can_open_position(), client.can_increase(), client.can_reduce(), client.must_close()),
                (TABLE[policy][0], TABLE[policy][1], True, TABLE[policy][4]),
            )
            self.assertEqual(view.manual_intervention_required, policy == "emergency_shutdown")
            if policy == "safe_risk_profile":
                self.assertEqual((client.limits().max_leverage, client.limits().position_size_multiplier), (5, 0.5))
                self.assertTrue(view.directives.tighten_stops)
            # stale: fail closed, exits allowed
            clock.now = view.valid_until_ts + 1
            stale = client.current()
            self.assertEqual(stale.policy, policy if policy in ("defensive_exit", "emergency_shutdown") else "no_new_trades")
            self.assertEqual((client.can_open_position(), client.can_increase(), client.can_reduce()), (False, False, True))
            self.assertEqual((stale.max_leverage, stale.position_size_multiplier), (0, 0))
            self.assertIn("expired", stale.reasons[0])
        self.assertEqual(client.must_close(), "all")
        self.assertTrue(client.current().manual_intervention_required, "a latched shutdown stays manual when stale")

    def test_high_risk_is_echoed_and_matches_positions(self) -> None:
        impose("defensive_exit")
        client = PolicyClient(URL)
        client.refresh()
        self.assertEqual(client.must_close(), "high_risk")
        hr = client.high_risk()
        self.assertEqual((hr.max_leverage, hr.tags), (5, ("high_risk",)))
        self.assertTrue(hr.matches(leverage=10))
        self.assertFalse(hr.matches(leverage=3))
        self.assertTrue(hr.matches(leverage=1, tags=["high_risk"]))


class Following(unittest.TestCase):
    def setUp(self) -> None:
        restore()
        self.addCleanup(restore)

    def test_the_stream_delivers_changes(self) -> None:
        seen: List[str] = []
        # A poll interval far beyond the test: only the stream can deliver the change in time.
        client = PolicyClient(URL, poll_interval=3600, on_change=lambda v: seen.append(v.policy))
        with client:
            threads = list(client._threads)
            self.assertIsNotNone(client.wait_for(lambda v: v.policy == "allow_all", WAIT))
            impose("no_new_trades")
            got = client.wait_for(lambda v: v.policy == "no_new_trades", WAIT)
            self.assertIsNotNone(got)
            assert got is not None
            self.assertEqual(row(got), TABLE["no_new_trades"])
            self.assertFalse(client.can_open_position())
            self.assertTrue(client.can_reduce())
        self.assertEqual(seen[-2:], ["allow_all", "no_new_trades"])
        # stop() unblocks the stream's read at once (the service's keep-alive would come only after 15 s)
        self.assertEqual([t.name for t in threads if t.is_alive()], [])

    def test_polls_while_the_stream_is_down(self) -> None:
        with Proxy() as proxy:
            errors: List[Exception] = []
            client = PolicyClient(proxy.url, poll_interval=0.1, reconnect_delay=0.1, on_error=errors.append)
            with client:
                self.assertIsNotNone(client.wait_for(lambda v: v.policy == "allow_all", WAIT))
                impose("defensive_exit")
                self.assertIsNotNone(client.wait_for(lambda v: v.policy == "defensive_exit", WAIT))
                self.assertEqual(client.must_close(), "high_risk")
            self.assertTrue(any("/policy/stream" in str(e) for e in errors), errors)
            self.assertGreater(proxy.policy_gets, 1)


    def test_a_refused_stream_while_polls_answer_is_no_lost_contact(self) -> None:
        # The service's stream cap answers 503: selfheal is there, so the bot keeps its policy (no flapping
        # to the fail-closed row at every reconnect).
        with Proxy() as proxy:
            errors: List[Exception] = []
            seen: List[str] = []
            client = PolicyClient(
                proxy.url, poll_interval=0.1, reconnect_delay=0.05, on_change=lambda v: seen.append(v.policy), on_error=errors.append
            )
            with client:
                self.assertIsNotNone(client.wait_for(lambda v: v.policy == "allow_all", WAIT))
                first, refused = seen.index("allow_all"), len(errors)
                deadline = time.time() + WAIT
                while len(errors) < refused + 5 and time.time() < deadline:
                    time.sleep(0.02)
                self.assertGreaterEqual(len(errors), refused + 5, "five more refused reconnects")
                self.assertTrue(client.live())
            self.assertEqual(seen[first:], ["allow_all"])


class Structure(unittest.TestCase):
    def test_reduce_positions_cannot_be_set_false(self) -> None:
        d = directives_for("emergency_shutdown")
        self.assertIs(d.reduce_positions, True)
        with self.assertRaises(ValueError):
            replace(d, reduce_positions=False)  # type: ignore[call-arg]
        with self.assertRaises(TypeError):
            Directives(False, False, True, "all", False, 0, 0, False)  # type: ignore[call-arg]
        with self.assertRaises(FrozenInstanceError):
            d.reduce_positions = False  # type: ignore[misc]
        for policy in SAFETY_POLICIES:
            self.assertIs(directives_for(policy).reduce_positions, True)
            self.assertIs(fail_closed(None, time.time()).directives.reduce_positions, True)


class Ordering(unittest.TestCase):
    def test_a_poll_answer_older_than_a_stream_event_is_dropped(self) -> None:
        _, real = operator("GET", "/policy")
        requested, answered, done = threading.Event(), threading.Event(), threading.Event()
        client = PolicyClient("http://127.0.0.1:9")  # replaced below, once the fixture has its port
        seen: List[str] = []

        def handle(h: BaseHTTPRequestHandler) -> None:
            if h.path == "/policy":
                requested.set()
                # Answer only once the client has taken the stream's newer event.
                client.wait_for(lambda v: v.policy == "no_new_trades" and "stream" in v.reasons, WAIT)
                _send_json(h, 200, {**real, "policy": "allow_all", "reasons": ["poll"]})
                answered.set()
                return
            h.send_response(200)
            h.send_header("Content-Type", "text/event-stream")
            h.end_headers()
            requested.wait(WAIT)
            view = {**real, "policy": "no_new_trades", "reasons": ["stream"]}
            h.wfile.write(f"event: policy\ndata: {json.dumps(view)}\n\n".encode())
            h.wfile.flush()
            done.wait(WAIT)

        with _Server(handle) as srv:
            client = PolicyClient(srv.url, poll_interval=3600, on_change=lambda v: seen.append(v.policy))
            with client:
                self.assertTrue(requested.wait(WAIT))
                self.assertIsNotNone(client.wait_for(lambda v: "stream" in v.reasons, WAIT))
                self.assertTrue(answered.wait(WAIT))
                # The poll's answer (asked before the stream's event, answered after it) must not win; taken,
                # it would show within milliseconds.
                self.assertIsNone(client.wait_for(lambda v: v.policy == "allow_all", 1.0))
                self.assertEqual(client.current().reasons, ("stream",))
                done.set()
        self.assertNotIn("allow_all", seen)


class FailClosed(unittest.TestCase):
    def test_unreachable_from_the_start(self) -> None:
        client = PolicyClient("http://127.0.0.1:9", timeout=2, poll_interval=0.05, reconnect_delay=0.05)
        with self.assertRaises(SelfhealUnavailable):
            client.refresh()
        errors: List[Exception] = []
        client.add_error_listener(errors.append)
        with client:
            view = client.current()
            self.assertEqual(view.policy, "no_new_trades")
            self.assertEqual(
                (client.can_open_position(), client.can_increase(), client.can_reduce(), client.must_close()),
                (False, False, True, "none"),
            )
            self.assertRegex(view.reasons[0], r"^selfheal unreachable since \S+ \(GET /policy(/stream)?: .*\): failing closed until it answers$")
            self.assertFalse(client.live())
            self.assertIsNone(client.wait_for_policy(0.2), "no first policy: the bot does not trade")
        self.assertTrue(errors)

    def test_a_killed_server_fails_closed_at_once_and_is_followed_again_once_back(self) -> None:
        # A selfheal of this test's own (KILLABLE: its command line and URL, valid_for_sec 60), killed with
        # SIGKILL: no goodbye on the stream, connection refused from then on.
        spec = json.loads(KILLABLE)
        serve = lambda: subprocess.Popen(spec["argv"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: E731
        proc = serve()
        self.addCleanup(lambda: (proc.kill(), proc.wait()))
        ready(spec["url"])
        with PolicyClient(spec["url"], poll_interval=0.2, reconnect_delay=0.2) as client:
            first = client.wait_for_policy(WAIT)
            self.assertIsNotNone(first, "selfheal's first policy, before the first order")
            served = client.wait_for(lambda p: p.policy == "allow_all", WAIT)
            assert served is not None
            killed = time.time()
            proc.kill()
            proc.wait()
            closed = client.wait_for(lambda p: p.policy == "no_new_trades", WAIT)
            at = time.time()
            print(f"fail closed {1000 * (at - killed):.0f} ms after SIGKILL (valid_until was {served.valid_until_ts - killed:.0f} s away)")
            assert closed is not None
            self.assertLess(at, served.valid_until_ts - 30, "at once: not by the expiry of the last policy")
            self.assertRegex(closed.reasons[0], r"^selfheal unreachable since \S+ \(GET /policy(/stream)?: .*\): failing closed until it answers$")
            self.assertEqual(
                (client.can_open_position(), client.can_increase(), client.can_reduce(), client.live()), (False, False, True, False)
            )
            proc = serve()
            ready(spec["url"])
            self.assertIsNotNone(client.wait_for(lambda p: p.policy == "allow_all", WAIT), "back once selfheal answers")
            self.assertTrue(client.live())

    def test_expiry_of_a_stricter_policy_keeps_it(self) -> None:
        restore()
        self.addCleanup(restore)
        impose("emergency_shutdown")
        clock = Clock()
        client = PolicyClient(URL, clock=clock)
        client.refresh()
        clock.now += 3600
        self.assertEqual((client.current().policy, client.must_close(), client.can_reduce()), ("emergency_shutdown", "all", True))

    def test_exits_stay_allowed_whatever_a_service_sends(self) -> None:
        _, real = operator("GET", "/policy")
        bodies: List[Dict[str, Any]] = [
            {**real, "policy": "defensive_exit", "directives": {**real["directives"], "reduce_positions": False, "open_positions": False, "close_positions": "high_risk"}},
            {k: v for k, v in real.items() if k not in ("directives", "high_risk", "manual_intervention_required")},
        ]
        with Fixed(lambda: bodies[0]) as srv:
            client = PolicyClient(srv.url)
            client.refresh()
            self.assertEqual((client.can_reduce(), client.directives().reduce_positions, client.must_close()), (True, True, "high_risk"))
            bodies.pop(0)
            view = client.refresh()  # an older service: directives from the table
            self.assertEqual(row(view), TABLE[view.policy])
            bodies[0] = {**real, "policy": "yolo"}
            with self.assertRaises(SelfhealUnavailable):
                client.refresh()
            self.assertEqual(client.current().policy, real["policy"], "an unknown policy is refused, the last good one kept")


class _Server:
    """A loopback HTTP server in a thread (test fixtures only)."""

    def __init__(self, handler: Callable[[BaseHTTPRequestHandler], None]) -> None:
        class H(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                handler(self)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> "_Server":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _send_json(h: BaseHTTPRequestHandler, status: int, body: Any) -> None:
    data = json.dumps(body).encode()
    h.send_response(status)
    h.send_header("Content-Type", "application/json")
    h.send_header("Content-Length", str(len(data)))
    h.end_headers()
    h.wfile.write(data)


class Fixed(_Server):
    """Answers every GET with the body `get()` returns."""

    def __init__(self, get: Callable[[], Dict[str, Any]]) -> None:
        super().__init__(lambda h: _send_json(h, 200, get()))


class Proxy(_Server):
    """Forwards GET /policy to the real service; the stream is 'down' (503)."""

    def __init__(self) -> None:
        self.policy_gets = 0

        def handle(h: BaseHTTPRequestHandler) -> None:
            if h.path == "/policy":
                self.policy_gets += 1
                with urllib.request.urlopen(URL + "/policy", timeout=WAIT) as res:
                    _send_json(h, res.status, json.loads(res.read()))
            else:
                _send_json(h, 503, {"error": "stream down (test proxy)"})

        super().__init__(handle)


if __name__ == "__main__":
    unittest.main()
