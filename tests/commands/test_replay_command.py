"""`yuqing replay --anywhere`: the backtest of a national archive opens incidents without a local place."""

from __future__ import annotations

from monitor.commands.replay import anywhere
from monitor.config.responders import Responders


def test_anywhere_turns_off_the_local_region_rule_only(responders: Responders) -> None:
    opened = anywhere(responders)
    assert responders.policy.grading.require_local_region is True  # the loaded config is untouched
    assert opened.policy.grading.require_local_region is False
    assert opened.policy.grading.model_dump(exclude={"require_local_region"}) == (
        responders.policy.grading.model_dump(exclude={"require_local_region"})
    )
    assert opened.departments is responders.departments and opened.policy.clocks == responders.policy.clocks
