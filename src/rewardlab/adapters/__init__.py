"""Trainer adapters: one rewardlab reward spec in TRL, verl, OpenRLHF and verifiers.

One module per trainer, imported by name (``from rewardlab.adapters.trl import reward_func``). None of
them imports its trainer: each speaks the trainer's call convention, pinned in its docstring to the
trainer's source file and version, so the adapters load without the trainers' heavy dependencies. Each
is tested inside its trainer's own code (``tests/integration``: verl, verifiers, OpenRLHF and the openai
SDK in their own virtualenvs; TRL in the main one). The core never imports this package.

- :mod:`rewardlab.adapters.trl`: ``reward_func`` / ``async_reward_func`` for ``GRPOTrainer(reward_funcs=...)``.
- :mod:`rewardlab.adapters.verl`: ``acompute_score`` / ``compute_score`` (and ``compute_score_batch``, legacy) for
  ``reward.custom_reward_function`` (spec from ``REWARDLAB_SPEC`` or ``configure``).
- :mod:`rewardlab.adapters.openrlhf`: ``reward_func(queries, prompts, labels)`` for ``--reward.remote_url file.py``.
- :mod:`rewardlab.adapters.verifiers`: ``task_reward`` (verifiers 0.4), ``reward_func`` / ``rubric`` (0.1-0.3).

Shared behaviour (:mod:`rewardlab.adapters._common`): each adapter validates its spec and options when
built, starts its worker processes on the first call and keeps them, batches concurrent calls together,
and reports failures as data (``None``, or an explicit ``error_score`` with an error flag), never as a
silent ``0.0``.
"""
