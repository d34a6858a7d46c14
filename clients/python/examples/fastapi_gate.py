"""A FastAPI order service gated by selfheal (example; needs `pip install fastapi uvicorn`).

    SELFHEAL_URL=http://127.0.0.1:8477 uvicorn fastapi_gate:app

Entries and increases depend on the policy; exits never do. The client fails closed at once (no new
positions, exits still go through) when selfheal cannot be reached, when its stream cannot be
re-established, when the policy is past valid_until, and before the first policy: the service waits
for the first one at start-up and refuses entries until then.
"""

from __future__ import annotations

import os
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, Dict

from fastapi import Depends, FastAPI, HTTPException

from selfheal_client import PolicyClient, PolicyView

policy = PolicyClient(os.environ.get("SELFHEAL_URL", "http://127.0.0.1:8477"))


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    policy.start()  # follows /policy/stream; polls /policy while the stream is down
    # The first-order pattern: no entry before selfheal's first policy (until then every answer is no_new_trades).
    if policy.wait_for_policy(timeout=10) is None:
        print("selfheal not heard from yet: entries refused until it answers")
    try:
        yield
    finally:
        policy.stop()


app = FastAPI(lifespan=lifespan)


def _refuse(view: PolicyView, what: str) -> HTTPException:
    return HTTPException(status_code=503, detail={"refused": what, "policy": view.policy, "reasons": list(view.reasons)})


def may_open() -> PolicyView:
    """Dependency: a new position needs directives.open_positions."""
    view = policy.current()
    if not view.directives.open_positions:
        raise _refuse(view, "open_position")
    return view


def may_increase() -> PolicyView:
    """Dependency: adding to a position needs directives.increase_positions."""
    view = policy.current()
    if not view.directives.increase_positions:
        raise _refuse(view, "increase_position")
    return view


@app.post("/orders/open")
def open_position(order: Dict[str, Any], view: PolicyView = Depends(may_open)) -> Dict[str, Any]:
    leverage = float(order.get("leverage", 1))
    cap = view.directives.max_leverage
    if cap is not None and leverage > cap:
        raise HTTPException(status_code=422, detail=f"leverage {leverage} above the policy's max_leverage {cap}")
    size = float(order["size"]) * view.directives.position_size_multiplier
    return {"accepted": True, "size": size, "tighten_stops": view.directives.tighten_stops}


@app.post("/orders/increase")
def increase_position(order: Dict[str, Any], view: PolicyView = Depends(may_increase)) -> Dict[str, Any]:
    return {"accepted": True, "size": float(order["size"]) * view.directives.position_size_multiplier}


@app.post("/orders/close")
def close_position(order: Dict[str, Any]) -> Dict[str, Any]:
    # No policy dependency: reducing risk is always allowed (policy.can_reduce() is always True).
    assert policy.can_reduce()
    return {"accepted": True, "position": order.get("position_id")}


@app.get("/risk/must-close")
def must_close() -> Dict[str, Any]:
    """What the position manager has to close now: "none", "high_risk" (with its definition) or "all"."""
    hr = policy.high_risk()
    return {"must_close": policy.must_close(), "high_risk": {"max_leverage": hr.max_leverage, "tags": list(hr.tags)}}
