"""OpenRLHF reward function backed by rewardlab.

    REWARDLAB_SPEC=/abs/path/rewards.toml REWARDLAB_TOKENIZER=/abs/path/policy \\
        python -m openrlhf.cli.train_ppo_ray ... \\
        --reward.remote_url examples/openrlhf_reward.py --data.label_key answer

OpenRLHF (0.11.2) loads this file and calls ``reward_func(queries, prompts, labels)`` once per rollout,
from many threads at once; rewardlab batches those calls for its worker pool. ``REWARDLAB_SPEC`` is a
spec TOML path or a registered reward name (default: rewardlab's math + format spec);
``REWARDLAB_ERROR_SCORE`` is what a failed sample scores (default 0.0, counted in ``rewardlab/error``);
``REWARDLAB_TIMEOUT`` is the per-sample deadline in seconds. OpenRLHF's query ends with the policy's EOS
token: ``REWARDLAB_TOKENIZER`` (the policy's tokenizer directory) reads it from the tokenizer,
``REWARDLAB_EOS`` (comma-separated strings, e.g. ``<|im_end|>,<|endoftext|>``, or ``none``) sets it; left
unset, nothing is cut and a response ending like a special token is logged as a warning.
"""

from rewardlab.adapters.openrlhf import OpenRLHFReward

reward_func = OpenRLHFReward.from_env()
