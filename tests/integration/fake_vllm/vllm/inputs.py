"""vllm.inputs.TokensPrompt: a typed dict in vLLM."""

TokensPrompt = dict
