"""selfheal's policy client for Python trading bots (standard library only).

    from selfheal_client import PolicyClient
    policy = PolicyClient("http://127.0.0.1:8477").start()
    if policy.can_open_position(): ...
    policy.can_reduce()   # always True: exits are never blocked
"""

from .client import (
    CLOSE_POSITIONS,
    DEFAULT_HIGH_RISK,
    FAIL_CLOSED_POLICY,
    SAFETY_POLICIES,
    ClosePositions,
    Directives,
    HighRisk,
    Limits,
    PolicyClient,
    PolicyView,
    SafetyPolicy,
    SelfhealUnavailable,
    directives_for,
    fail_closed,
    policy_level,
)

__all__ = [
    "CLOSE_POSITIONS",
    "DEFAULT_HIGH_RISK",
    "FAIL_CLOSED_POLICY",
    "SAFETY_POLICIES",
    "ClosePositions",
    "Directives",
    "HighRisk",
    "Limits",
    "PolicyClient",
    "PolicyView",
    "SafetyPolicy",
    "SelfhealUnavailable",
    "directives_for",
    "fail_closed",
    "policy_level",
]
__version__ = "0.1.0"
