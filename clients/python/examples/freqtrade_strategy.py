"""A freqtrade strategy whose entries are gated by selfheal (example; runs inside freqtrade).

Copy this file and `selfheal_client/` into `user_data/strategies/`. The gate:

- `bot_start` waits for selfheal's first policy (the first-order pattern); until it arrives every answer
  is no_new_trades;
- `confirm_trade_entry` returns False unless selfheal allows new positions (fails closed at once when
  selfheal cannot be reached or its stream cannot be re-established, and when its policy is stale);
- `adjust_trade_position` adds to a position only when increases are allowed;
- `leverage` and `custom_stake_amount` apply the policy's limits (safe_risk_profile: 5x, half size);
- `custom_exit` closes what the policy says must close (defensive_exit: high-risk trades; emergency_shutdown: all);
- `confirm_trade_exit` always returns True: exits are never blocked.
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any, Optional, Union

from freqtrade.persistence import Trade
from freqtrade.strategy import IStrategy
from pandas import DataFrame

from selfheal_client import PolicyClient

POLICY = PolicyClient(os.environ.get("SELFHEAL_URL", "http://127.0.0.1:8477")).start()


class SelfhealGatedStrategy(IStrategy):
    INTERFACE_VERSION = 3
    timeframe = "5m"
    minimal_roi = {"0": 0.02}
    stoploss = -0.10
    position_adjustment_enable = True

    # --- your signals (placeholders) ---------------------------------------------------------

    def populate_indicators(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        return dataframe

    def populate_entry_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe["enter_long"] = 0
        return dataframe

    def populate_exit_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe["exit_long"] = 0
        return dataframe

    # --- the selfheal gate -------------------------------------------------------------------

    def bot_start(self, **kwargs: Any) -> None:
        # The first-order pattern: wait for selfheal's first policy before trading (entries stay refused until it comes).
        if POLICY.wait_for_policy(timeout=10) is None:
            self.dp.send_msg("selfheal not heard from yet: entries refused until it answers")

    def confirm_trade_entry(
        self,
        pair: str,
        order_type: str,
        amount: float,
        rate: float,
        time_in_force: str,
        current_time: datetime,
        entry_tag: Optional[str],
        side: str,
        **kwargs: Any,
    ) -> bool:
        return POLICY.can_open_position()

    def confirm_trade_exit(self, pair: str, trade: Trade, order_type: str, amount: float, rate: float,
                           time_in_force: str, exit_reason: str, current_time: datetime, **kwargs: Any) -> bool:
        return POLICY.can_reduce()  # always True

    def adjust_trade_position(self, trade: Trade, current_time: datetime, current_rate: float, current_profit: float,
                              min_stake: Optional[float], max_stake: float, **kwargs: Any) -> Optional[float]:
        if not POLICY.can_increase():
            return None
        return None  # your position-sizing logic here, within POLICY.limits()

    def leverage(self, pair: str, current_time: datetime, current_rate: float, proposed_leverage: float,
                 max_leverage: float, entry_tag: Optional[str], side: str, **kwargs: Any) -> float:
        cap = POLICY.limits().max_leverage
        return proposed_leverage if cap is None else min(proposed_leverage, cap, max_leverage)

    def custom_stake_amount(self, pair: str, current_time: datetime, current_rate: float, proposed_stake: float,
                            min_stake: Optional[float], max_stake: float, leverage: float, entry_tag: Optional[str],
                            side: str, **kwargs: Any) -> float:
        return proposed_stake * POLICY.limits().position_size_multiplier

    def custom_exit(self, pair: str, trade: Trade, current_time: datetime, current_rate: float,
                    current_profit: float, **kwargs: Any) -> Optional[Union[str, bool]]:
        must = POLICY.must_close()
        if must == "all":
            return "selfheal_close_all"
        tags = [trade.enter_tag] if trade.enter_tag else []
        if must == "high_risk" and POLICY.high_risk().matches(leverage=trade.leverage, tags=tags):
            return "selfheal_close_high_risk"
        return None
