"""A selfheal policy client for trading bots, standard library only.

It follows ``GET /policy/stream`` (Server-Sent Events), polls ``GET /policy`` while the stream is
down, and FAILS CLOSED at once: when a request to selfheal fails (connection refused, a timeout, an
error status), when the stream ends and cannot be re-established, when the last policy is past its
``valid_until``, or before the first policy, it answers as ``no_new_trades`` (or the stricter
last-known policy) — no new positions, no increases, zero limits — and exits allowed, until selfheal
answers again. ``can_reduce()`` is ``True`` whatever happens.

The same semantics as the TypeScript client (``selfheal-client`` on npm, clients/typescript).
"""

from __future__ import annotations

import http.client
import json
import logging
import socket
import threading
import time
import urllib.parse
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any, Callable, Dict, Iterable, List, Literal, Mapping, Optional, Tuple

log = logging.getLogger("selfheal_client")

SafetyPolicy = Literal["allow_all", "safe_risk_profile", "no_new_trades", "defensive_exit", "emergency_shutdown"]
ClosePositions = Literal["none", "high_risk", "all"]

#: Least to most protective; the index is the policy level.
SAFETY_POLICIES: Tuple[SafetyPolicy, ...] = (
    "allow_all",
    "safe_risk_profile",
    "no_new_trades",
    "defensive_exit",
    "emergency_shutdown",
)
CLOSE_POSITIONS: Tuple[ClosePositions, ...] = ("none", "high_risk", "all")
#: What the client answers when it cannot trust what it has.
FAIL_CLOSED_POLICY: SafetyPolicy = "no_new_trades"

# The guide's "Policy Effects" (mirrors src/recommend/directives.ts; the tests compare it with a live service):
# policy -> (open_positions, increase_positions, adjust_stops, close_positions, tighten_stops)
_ROWS: Dict[str, Tuple[bool, bool, bool, ClosePositions, bool]] = {
    "allow_all": (True, True, True, "none", False),
    "safe_risk_profile": (True, True, True, "none", True),
    "no_new_trades": (False, False, True, "none", False),
    "defensive_exit": (False, False, True, "high_risk", False),
    "emergency_shutdown": (False, False, True, "all", False),
}


def policy_level(policy: SafetyPolicy) -> int:
    """0 (allow_all) to 4 (emergency_shutdown)."""
    return SAFETY_POLICIES.index(policy)


def stricter(a: SafetyPolicy, b: SafetyPolicy) -> SafetyPolicy:
    return a if policy_level(a) >= policy_level(b) else b


@dataclass(frozen=True)
class Directives:
    """What the bot may do now, order by order."""

    open_positions: bool
    increase_positions: bool
    adjust_stops: bool
    close_positions: ClosePositions
    tighten_stops: bool
    max_leverage: Optional[float]
    position_size_multiplier: float
    #: Never False: no policy, stale answer or unreachable service may stop a bot from reducing risk.
    #: Not a constructor argument, so nothing can set it otherwise.
    reduce_positions: Literal[True] = field(default=True, init=False)


def directives_for(policy: SafetyPolicy, max_leverage: Optional[float] = 0, position_size_multiplier: float = 0) -> Directives:
    """A policy's row with the given limits (0 where no position may be opened)."""
    opens, increases, stops, close, tighten = _ROWS[policy]
    if not opens:
        max_leverage, position_size_multiplier = 0, 0
    return Directives(opens, increases, stops, close, tighten, max_leverage, position_size_multiplier)


@dataclass(frozen=True)
class HighRisk:
    """Which positions ``close_positions == "high_risk"`` means (selfheal's ``policy.high_risk``)."""

    max_leverage: Optional[float]
    tags: Tuple[str, ...]

    def matches(self, leverage: Optional[float] = None, tags: Iterable[str] = ()) -> bool:
        """Is a position with this leverage and these tags high risk?"""
        if self.max_leverage is not None and leverage is not None and leverage > self.max_leverage:
            return True
        return any(t in self.tags for t in tags)


DEFAULT_HIGH_RISK = HighRisk(max_leverage=5, tags=("high_risk",))


@dataclass(frozen=True)
class Limits:
    max_leverage: Optional[float]
    position_size_multiplier: float


@dataclass(frozen=True)
class PolicyView:
    """One answer of ``GET /policy`` (or the client's fail-closed answer)."""

    policy: SafetyPolicy
    level: int
    #: The guide's trading_should_continue: NOT an order gate (it is False exactly when exits matter).
    trading_allowed: bool
    new_positions_allowed: bool
    max_leverage: Optional[float]
    position_size_multiplier: float
    directives: Directives
    high_risk: HighRisk
    manual_intervention_required: bool
    reasons: Tuple[str, ...]
    timestamp: str
    valid_until: str

    @property
    def valid_until_ts(self) -> float:
        """valid_until as epoch seconds."""
        return parse_time(self.valid_until)

    @classmethod
    def from_json(cls, obj: Any) -> "PolicyView":
        """Validates a view as received (see _from_json); anything malformed is a ValueError."""
        if not isinstance(obj, Mapping):
            raise ValueError(f"selfheal sent a policy view that is not an object: {type(obj).__name__}")
        try:
            return cls._from_json(obj)
        except (KeyError, TypeError, AttributeError) as err:
            raise ValueError(f"malformed policy view: {err!r}") from err

    @classmethod
    def _from_json(cls, obj: Mapping[str, Any]) -> "PolicyView":
        """Validates a view as received. Raises ValueError on an unknown policy or a missing field.

        A view from a service older than the directives gets them from the table; whatever is sent,
        reduce_positions is True.
        """
        policy = obj.get("policy")
        if policy not in SAFETY_POLICIES:
            raise ValueError(f"selfheal sent a policy this client does not know: {policy!r}")
        p: SafetyPolicy = policy  # type: ignore[assignment]
        max_lev = _opt_number(obj.get("max_leverage"))
        size = float(obj.get("position_size_multiplier") or 0)
        d = obj.get("directives")
        if isinstance(d, Mapping):
            close = d.get("close_positions")
            directives = Directives(
                open_positions=d.get("open_positions") is True,
                increase_positions=d.get("increase_positions") is True,
                adjust_stops=d.get("adjust_stops") is not False,
                close_positions=close if close in CLOSE_POSITIONS else _ROWS[p][3],
                tighten_stops=d.get("tighten_stops") is True,
                max_leverage=_opt_number(d.get("max_leverage", max_lev)),
                position_size_multiplier=float(d.get("position_size_multiplier", size) or 0),
            )
        else:
            directives = directives_for(p, max_lev, size)
        hr = obj.get("high_risk")
        high_risk = (
            HighRisk(_opt_number(hr.get("max_leverage")), tuple(str(t) for t in hr.get("tags") or ()))
            if isinstance(hr, Mapping)
            else DEFAULT_HIGH_RISK
        )
        valid_until = str(obj["valid_until"])
        parse_time(valid_until)  # fails here, not later
        return cls(
            policy=p,
            level=policy_level(p),
            trading_allowed=obj.get("trading_allowed") is True,
            new_positions_allowed=directives.open_positions,
            max_leverage=max_lev,
            position_size_multiplier=size,
            directives=directives,
            high_risk=high_risk,
            manual_intervention_required=obj.get("manual_intervention_required") is True,
            reasons=tuple(str(r) for r in obj.get("reasons") or ()),
            timestamp=str(obj.get("timestamp", "")),
            valid_until=valid_until,
        )


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).isoformat().replace("+00:00", "Z")


def fail_closed(last: Optional[PolicyView], now: float, reason: Optional[str] = None) -> PolicyView:
    """The answer when the policy cannot be trusted: no_new_trades's row or the stricter last-known one.

    ``reason`` says why (selfheal unreachable); without it, the policy expired or none was received yet.
    """
    policy = stricter(last.policy, FAIL_CLOSED_POLICY) if last else FAIL_CLOSED_POLICY
    stamp = _iso(now)
    if reason is not None:
        why = reason
    elif last is not None:
        why = f"policy expired at {last.valid_until} (valid_until) with no word from selfheal since: failing closed"
    else:
        why = "no policy received from selfheal yet: failing closed"
    return PolicyView(
        policy=policy,
        level=policy_level(policy),
        trading_allowed=False,
        new_positions_allowed=False,
        max_leverage=0,
        position_size_multiplier=0,
        directives=directives_for(policy),
        high_risk=last.high_risk if last else DEFAULT_HIGH_RISK,
        manual_intervention_required=policy == "emergency_shutdown" and bool(last and last.manual_intervention_required),
        reasons=(why,),
        timestamp=stamp,
        valid_until=stamp,
    )


def parse_time(iso: str) -> float:
    """ISO-8601 (selfheal writes UTC with a Z) to epoch seconds."""
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def _opt_number(v: Any) -> Optional[float]:
    return None if v is None else float(v)


class SelfhealUnavailable(Exception):
    """selfheal could not be reached or answered with an error."""


class _StreamRefused(SelfhealUnavailable):
    """selfheal answered, but refused the stream (its stream cap: 503 with Retry-After): contact, not a loss of it."""

    def __init__(self, status: int, retry_after: float) -> None:
        super().__init__(f"GET /policy/stream: HTTP {status}")
        self.retry_after = retry_after


def _retry_after(value: Optional[str]) -> float:
    """Retry-After in seconds (0 when absent or not a number), at most a minute."""
    try:
        return min(60.0, max(0.0, float(value or 0)))
    except ValueError:
        return 0.0


class PolicyClient:
    """Follows selfheal's policy; every question is answered from memory, never blocking, failing closed.

    ``on_change`` is called (from a background thread) with the effective PolicyView whenever what the bot
    may do changes — including when the last policy expires. ``on_error`` gets connection errors.
    """

    def __init__(
        self,
        base_url: str,
        *,
        poll_interval: float = 2.0,
        reconnect_delay: float = 1.0,
        timeout: float = 5.0,
        stream_timeout: float = 45.0,
        headers: Optional[Mapping[str, str]] = None,
        clock: Callable[[], float] = time.time,
        on_change: Optional[Callable[[PolicyView], None]] = None,
        on_error: Optional[Callable[[Exception], None]] = None,
    ) -> None:
        url = urllib.parse.urlsplit(base_url.rstrip("/"))
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ValueError(f"base_url: expected http(s)://host[:port], got {base_url!r}")
        self._url = url
        self._poll_interval = poll_interval
        self._reconnect_delay = reconnect_delay
        self._timeout = timeout
        # Longer than the service's 15 s keep-alive: a silent stream is a dead one.
        self._stream_timeout = stream_timeout
        self._headers = dict(headers or {})
        self._clock = clock
        self._listeners: List[Callable[[PolicyView], None]] = [on_change] if on_change else []
        self._error_listeners: List[Callable[[Exception], None]] = [on_error] if on_error else []
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._last: Optional[PolicyView] = None
        # Bumped on every accepted view: a poll answer that raced a stream event must not overwrite it.
        self._generation = 0
        self._last_key: Optional[Tuple[Any, ...]] = None
        # The last contact with selfheal: a failed one fails closed at once, until the next succeeds.
        self._unreachable: Optional[Tuple[float, str]] = None  # (since, why) while it fails
        self._running = threading.Event()
        self._stopped = threading.Event()
        self._wake_poll = threading.Event()
        self._streaming = False
        self._stream_sock: Optional[socket.socket] = None
        self._threads: List[threading.Thread] = []

    # --- what the bot asks -------------------------------------------------------------------

    def current(self) -> PolicyView:
        """The policy to obey now. Never raises; never more permissive than what selfheal last said."""
        with self._lock:
            return self._effective_locked()

    def live(self) -> bool:
        """Is current() selfheal's own answer (reachable, in time), not the client's fail-closed one?"""
        with self._lock:
            last = self._last
            return last is not None and self._unreachable is None and last.valid_until_ts >= self._clock()

    def wait_for_policy(self, timeout: float) -> Optional[PolicyView]:
        """Blocks until selfheal's first policy is held (returns it) or timeout (returns None): before the first order."""
        return self.wait_for(lambda _p: self._live_locked(), timeout)

    def directives(self) -> Directives:
        return self.current().directives

    def can_open_position(self) -> bool:
        """May the bot open a new position now?"""
        return self.current().directives.open_positions

    def can_increase(self) -> bool:
        """May the bot add to an existing position now?"""
        return self.current().directives.increase_positions

    def can_reduce(self) -> Literal[True]:
        """May the bot reduce or close a position? Always: nothing may stop a bot from reducing risk."""
        return True

    def must_close(self) -> ClosePositions:
        """Which positions to close now: "none", "high_risk" (see high_risk()) or "all"."""
        return self.current().directives.close_positions

    def high_risk(self) -> HighRisk:
        return self.current().high_risk

    def limits(self) -> Limits:
        p = self.current()
        return Limits(p.max_leverage, p.position_size_multiplier)

    def add_listener(self, fn: Callable[[PolicyView], None]) -> None:
        self._listeners.append(fn)

    def add_error_listener(self, fn: Callable[[Exception], None]) -> None:
        self._error_listeners.append(fn)

    def wait_for(self, predicate: Callable[[PolicyView], bool], timeout: float) -> Optional[PolicyView]:
        """Blocks until the effective policy satisfies predicate (returns it) or timeout (returns None)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                view = self._effective_locked()
                if predicate(view):
                    return view
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._changed.wait(min(left, 0.5))

    # --- talking to selfheal -----------------------------------------------------------------

    def refresh(self) -> PolicyView:
        """Fetches /policy once. Raises SelfhealUnavailable on failure.

        A request that fails (refused, timed out, an error status) fails closed at once, until selfheal
        answers again; an answer this client cannot trust (an unknown policy) is refused and the last
        good view kept, until its valid_until.
        """
        with self._lock:
            generation = self._generation
        conn = self._connection(self._timeout)
        try:
            conn.request("GET", self._path("/policy"), headers={**self._headers, "Accept": "application/json"})
            res = conn.getresponse()
            body = res.read()
            if res.status != 200:
                raise SelfhealUnavailable(f"GET /policy: HTTP {res.status}")
        except (OSError, http.client.HTTPException, SelfhealUnavailable) as err:
            failure = err if isinstance(err, SelfhealUnavailable) else SelfhealUnavailable(f"GET /policy: {err}")
            self._contacted(failure)
            raise failure from err
        finally:
            conn.close()
        self._contacted(None)
        try:
            view = PolicyView.from_json(json.loads(body))
        except ValueError as err:
            raise SelfhealUnavailable(f"GET /policy: {err}") from err
        self._accept(view, generation)
        return self.current()

    def start(self) -> "PolicyClient":
        """Follows the stream in a background thread and polls while it is down. Returns self."""
        if self._running.is_set():
            return self
        self._running.set()
        self._stopped.clear()
        self._threads = [
            threading.Thread(target=self._stream_loop, name="selfheal-stream", daemon=True),
            threading.Thread(target=self._poll_loop, name="selfheal-poll", daemon=True),
        ]
        for t in self._threads:
            t.start()
        return self

    def stop(self) -> None:
        self._running.clear()
        self._stopped.set()
        self._wake_poll.set()
        with self._lock:
            sock = self._stream_sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)  # unblocks the stream thread's read
            except OSError:
                pass
        for t in self._threads:
            t.join(timeout=5)
        self._threads = []

    def __enter__(self) -> "PolicyClient":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- internals ---------------------------------------------------------------------------

    def _connection(self, timeout: float) -> http.client.HTTPConnection:
        cls = http.client.HTTPSConnection if self._url.scheme == "https" else http.client.HTTPConnection
        return cls(self._url.hostname or "", self._url.port, timeout=timeout)

    def _path(self, p: str) -> str:
        return self._url.path.rstrip("/") + p

    def _live_locked(self) -> bool:
        last = self._last
        return last is not None and self._unreachable is None and last.valid_until_ts >= self._clock()

    def _effective_locked(self) -> PolicyView:
        last = self._last
        now = self._clock()
        if self._unreachable is not None:
            since, why = self._unreachable
            return fail_closed(last, now, f"selfheal unreachable since {_iso(since)} ({why}): failing closed until it answers")
        return last if last is not None and last.valid_until_ts >= now else fail_closed(last, now)

    def _contacted(self, err: Optional[Exception]) -> None:
        """Records the outcome of a contact with selfheal; a failure takes effect at once."""
        with self._lock:
            if err is None:
                self._unreachable = None
            elif self._unreachable is None:
                self._unreachable = (self._clock(), str(err))
        self._emit_if_changed()

    def _accept(self, view: PolicyView, since: Optional[int] = None) -> None:
        """Takes a view; one fetched since generation `since` is dropped if the stream delivered a newer one meanwhile."""
        with self._lock:
            if since is not None and since != self._generation:
                return
            self._last = view
            self._generation += 1
        self._emit_if_changed()

    def _emit_if_changed(self) -> None:
        with self._changed:
            eff = self._effective_locked()
            key = (eff.policy, eff.directives, eff.manual_intervention_required, eff.high_risk)
            changed = key != self._last_key
            self._last_key = key
            self._changed.notify_all()
        if changed:
            for fn in list(self._listeners):
                try:
                    fn(eff)
                except Exception:  # a bot's callback must not kill the client
                    log.exception("selfheal on_change callback failed")

    def _error(self, err: Exception) -> None:
        log.debug("selfheal: %s", err)
        for fn in list(self._error_listeners):
            try:
                fn(err)
            except Exception:
                log.exception("selfheal on_error callback failed")

    def _poll_loop(self) -> None:
        first = True  # one poll at start whatever the stream does: a view at once, not at the stream's first event
        while self._running.is_set():
            if first or not self._streaming:
                first = False
                try:
                    self.refresh()
                except SelfhealUnavailable as err:
                    self._error(err)
            self._emit_if_changed()  # an expiry is a change too
            self._wake_poll.wait(self._poll_interval)
            self._wake_poll.clear()

    def _stream_loop(self) -> None:
        while self._running.is_set():
            conn = self._connection(self._stream_timeout)
            res: Optional[http.client.HTTPResponse] = None
            streamed = False
            delay = self._reconnect_delay
            try:
                conn.connect()
                with self._lock:
                    self._stream_sock = conn.sock
                if not self._running.is_set():
                    return
                conn.request("GET", self._path("/policy/stream"), headers={**self._headers, "Accept": "text/event-stream"})
                res = conn.getresponse()
                if res.status != 200:
                    raise _StreamRefused(res.status, _retry_after(res.getheader("Retry-After")))
                self._streaming = streamed = True
                self._contacted(None)
                self._read_events(res)
            except Exception as err:  # whatever the stream did, this thread must live on
                if self._running.is_set():
                    failure = err if isinstance(err, SelfhealUnavailable) else SelfhealUnavailable(f"GET /policy/stream: {err}")
                    # Could not (re-)establish the stream: fail closed now. A stream that ends after it was
                    # up is no failure by itself, nor is a refusal (selfheal answered): the poll that follows
                    # at once and the reconnect decide.
                    if isinstance(err, _StreamRefused):
                        delay = max(delay, err.retry_after)
                    elif not streamed:
                        self._contacted(failure)
                    self._error(failure)
            finally:
                self._streaming = False
                if res is not None:
                    res.close()
                conn.close()
                with self._lock:
                    self._stream_sock = None
            if not self._running.is_set():
                return
            self._emit_if_changed()
            self._wake_poll.set()  # poll now while the stream is down
            self._stopped.wait(delay)

    def _read_events(self, res: http.client.HTTPResponse) -> None:
        event, data = "message", ""
        while self._running.is_set():
            raw = res.readline()
            if not raw:
                raise SelfhealUnavailable("GET /policy/stream: stream ended")
            line = raw.decode("utf-8").rstrip("\r\n")
            if line == "":
                if data:
                    self._on_event(event, data)
                event, data = "message", ""
            elif line.startswith(":"):
                continue
            elif line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:"):
                data += line[5:].strip()

    def _on_event(self, event: str, data: str) -> None:
        if event == "policy":
            self._accept(PolicyView.from_json(json.loads(data)))
        elif event == "refresh":
            r = json.loads(data)
            if not isinstance(r, Mapping):
                raise ValueError("refresh event: expected an object")
            with self._lock:
                last = self._last
            if last is not None and r.get("policy") == last.policy:
                valid_until = str(r["valid_until"])
                parse_time(valid_until)  # a bad one fails the stream here, never current()
                self._accept(replace(last, timestamp=str(r["timestamp"]), valid_until=valid_until))
            else:
                try:
                    self.refresh()
                except SelfhealUnavailable as err:
                    self._error(err)

