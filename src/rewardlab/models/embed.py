"""Frozen sentence embeddings: any ``AutoModel`` directory, mean pooling over the attention mask.

:class:`Embedder` embeds texts once each: duplicates are folded, the distinct texts are tokenised, sorted
by length and cut into batches padded only to their own longest text, run under
``torch.inference_mode()``, and the vectors are kept in a per-instance cache (one run), so the chosen and
rejected sides of many pairs that share a prompt cost one forward pass for that prompt.

Pooling is the mean of the last hidden states over the real tokens (the attention mask), what
sentence-transformers does for all-MiniLM-L6-v2; ``normalize=True`` then divides by the L2 norm (that
model's own last step). We default to ``normalize=False``: the norm of a mean-pooled vector carries
information (length, how generic a text is) that a reward may want, and the projection learnt on top
can discard it. Texts longer than ``max_length`` tokens are cut, counted in :attr:`Embedder.truncated`:
``side="left"`` keeps the end (right for a multi-turn prompt, where the last turn matters most),
``"right"`` the beginning.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rewardlab.errors import ConfigError
from rewardlab.models._deps import pick_device, quiet_transformers, torch, transformers


class Embedder:
    """A frozen encoder that maps texts to vectors ``(n, hidden)`` (see the module docstring)."""

    def __init__(
        self,
        encoder: str,
        *,
        max_length: int = 256,
        batch_size: int = 32,
        normalize: bool = False,
        device: str = "cpu",
    ) -> None:
        problems = []
        if isinstance(max_length, bool) or not isinstance(max_length, int) or max_length < 4:
            problems.append(f"`max_length` of the encoder must be an integer >= 4, got {max_length!r}")
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            problems.append(f"`batch_size` of the encoder must be an integer >= 1, got {batch_size!r}")
        if problems:
            raise ConfigError(problems)
        self.encoder = str(encoder)
        self.max_length = max_length
        self.batch_size = batch_size
        self.normalize = normalize
        self.device = device
        self.truncated = 0
        self._cache: dict[tuple[str, str], Any] = {}
        self._model: Any = None
        self._tok: Any = None

    def _load(self) -> None:
        if self._model is not None:
            return
        tf = transformers()
        try:
            with quiet_transformers():
                self._tok = tf.AutoTokenizer.from_pretrained(self.encoder)
                model = tf.AutoModel.from_pretrained(self.encoder)
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot load the encoder {self.encoder!r}: {exc}") from exc
        if self._tok.pad_token is None:
            if self._tok.eos_token is None:
                raise ConfigError(
                    f"{self.encoder}: the tokenizer has no pad token and no EOS token to pad with"
                )
            self._tok.pad_token = self._tok.eos_token
        model.eval()
        model.requires_grad_(False)
        self._dev = pick_device(self.device)
        self._model = model.to(self._dev)

    @property
    def dim(self) -> int:
        self._load()
        return int(self._model.config.hidden_size)

    def __call__(self, texts: Sequence[str], *, side: str = "right") -> Any:
        """The embeddings of ``texts`` as a float32 CPU tensor ``(len(texts), hidden)``; ``side`` is which
        end a too-long text loses (``"left"`` keeps its end)."""
        if side not in ("left", "right"):
            raise ConfigError(f"`side` must be 'left' or 'right', got {side!r}")
        t = torch()
        todo = sorted({x for x in texts if (side, x) not in self._cache})
        if todo:
            self._load()
            self._tok.truncation_side = side
            with quiet_transformers():
                ids = [self._tok(x, truncation=False)["input_ids"] for x in todo]
            self.truncated += sum(len(i) > self.max_length for i in ids)
            order = sorted(range(len(todo)), key=lambda i: len(ids[i]))
            with t.inference_mode():
                for s in range(0, len(order), self.batch_size):
                    chunk = [todo[i] for i in order[s : s + self.batch_size]]
                    with quiet_transformers():
                        enc = self._tok(
                            chunk,
                            padding=True,
                            truncation=True,
                            max_length=self.max_length,
                            return_tensors="pt",
                        )
                    enc = {k: v.to(self._dev) for k, v in enc.items()}
                    hidden = self._model(**enc).last_hidden_state
                    vecs = mean_pool(hidden, enc["attention_mask"])
                    if self.normalize:
                        vecs = t.nn.functional.normalize(vecs, dim=-1)
                    for x, v in zip(chunk, vecs.float().cpu(), strict=True):
                        self._cache[(side, x)] = v.clone()
        if not texts:
            return t.zeros((0, self.dim), dtype=t.float32)
        return t.stack([self._cache[(side, x)] for x in texts])


def mean_pool(hidden: Any, mask: Any) -> Any:
    """Mean of ``hidden`` ``(B, L, H)`` over the positions where ``mask`` ``(B, L)`` is 1; ``(B, H)``."""
    m = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * m).sum(dim=1) / m.sum(dim=1).clamp(min=1.0)
