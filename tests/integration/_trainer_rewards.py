"""A reward for the trainer integration tests that fails or hangs on request, read from the completion
text (OpenRLHF's HTTP route carries no metadata): ``CRASH`` raises, ``HANG`` sleeps past any deadline.
Imported by name (``_trainer_rewards:Tripwire``) in rewardlab's worker processes, inside each trainer."""

from __future__ import annotations

import time

from rewardlab.core.reward import Reward
from rewardlab.core.types import Sample


class Tripwire(Reward):
    name = "trip"

    def compute(self, sample: Sample) -> float:
        text = sample.completion_text
        if "CRASH" in text:
            raise RuntimeError("tripwire: the completion asked for a crash")
        if "HANG" in text:
            time.sleep(120)
        return 1.0
