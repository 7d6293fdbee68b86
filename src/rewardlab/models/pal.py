"""Pluralistic reward models on frozen embeddings, after PAL (Chen et al., "PAL: Pluralistic Alignment
Framework for Learning from Heterogeneous Preferences", arXiv 2406.08469; ICLR 2025 as "PAL:
Sample-Efficient Personalized Reward Modeling for Pluralistic Alignment"; code RamyaLab/pluralistic-alignment).

PAL's model (its PAL-A "ideal point" variant, ``Pw``): a shared map ``f`` takes an item into a preference
space; there are ``K`` prototypes ``p_k`` in that space; user ``u`` has weights ``w_u`` on the simplex
(a softmax of free logits) and the ideal point ``a_u = sum_k w_uk p_k``; ``u`` prefers the item closer to
``a_u``, trained with a logistic (Bradley-Terry) loss on the users' pairs. A new user is fitted few-shot:
``f`` and the prototypes are frozen and only the new user's logits are trained on their pairs.

What we do here, and what differs:

- ``x`` is a (prompt, response) pair and ``f`` reads ``[e(prompt); e(response)]``, two mean-pooled
  embeddings from a *frozen* sentence encoder (:mod:`rewardlab.models.embed`), standardised with the
  training set's mean and std; ``f`` is linear or ``Linear -> GELU -> Linear`` (PAL uses a 2-layer MLP on
  a foundation model's penultimate layer, optionally fine-tuning it; we never fine-tune the encoder, so
  each text is embedded once per run and training runs on cached vectors);
- the reward is ``r_u(x, y) = -||f(x, y) - a_u||^2``, the *squared* distance (PAL's code uses the plain
  Euclidean distance). With the square, ``-||z - a_u||^2 = sum_k w_uk (-||z - p_k||^2) + c(w_u)`` where
  ``c`` does not depend on ``z``: a user's reward is a convex mixture of ``K`` prototype reward
  functions up to a per-user constant, so every comparison's logit ``r_u(y+) - r_u(y-)`` is *linear* in
  ``w_u`` (the mixture-of-reward-functions reading of MiCRo, Shen et al. 2025, and of reward
  factorisation). So the few-shot loss of :meth:`PalModel.fit_user` is convex in ``w`` (logistic
  regression on the simplex); we optimise it through the softmax logits, as PAL does, with full-batch
  Adam from the population's mean weights and an L2 pull back towards them (with 5-20 pairs the pull
  matters). There is no random element: the same pairs always give the same weights;
- PAL-B's prompt-conditioned ideal points (``a_u(prompt) = sum_k w_uk g_k(prompt)``) are not built: the
  prompt enters through ``f`` instead. VPL (Poddar et al. 2024) infers a user latent with an encoder over
  the user's labelled pairs; we fit the ``K`` weights directly, which needs no extra network and stays
  interpretable (the weights say which prototype a user follows).

A saved model is a directory: ``pal.json`` (``{"rewardlab": {...}}``: the encoder as the user named it, the
sizes, the known users in order, the training data's hash) and ``pal.safetensors`` (the projection's
weights, ``prototypes`` ``(K, D)``, ``user_weights`` ``(U, K)``, ``feature_mean`` / ``feature_std``).
Loading needs rewardlab and transformers only (safetensors comes with transformers).
"""

from __future__ import annotations

import contextlib
import json
import math
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from rewardlab.errors import ConfigError
from rewardlab.models._deps import torch

CONFIG = "pal.json"
WEIGHTS = "pal.safetensors"
PROJECTIONS = ("linear", "mlp")
HUMAN, ASSISTANT = "\n\nHuman:", "\n\nAssistant:"


# -- the formula ----------------------------------------------------------------------------------------
def prototype_rewards(z: Any, prototypes: Any) -> Any:
    """``-||z_i - p_k||^2`` for every item and prototype: ``z`` ``(B, D)``, ``prototypes`` ``(K, D)`` ->
    ``(B, K)``."""
    return -((z.unsqueeze(1) - prototypes.unsqueeze(0)) ** 2).sum(dim=-1)


def pal_rewards(z: Any, prototypes: Any, weights: Any) -> Any:
    """PAL's ideal-point reward ``-||z_i - a_i||^2`` with ``a_i = weights_i @ prototypes``.

    ``z``: ``(B, D)`` projected items; ``prototypes``: ``(K, D)``; ``weights``: ``(B, K)`` rows on the
    simplex (each item's user). Returns ``(B,)``.
    """
    ideal = weights @ prototypes
    return -((z - ideal) ** 2).sum(dim=-1)


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """Run torch on one CPU thread inside the block. The projection and the weight fits are small matrix
    products where thread hand-offs cost more than the work: one step of 64 pairs (768 -> 256 -> 32)
    took 13 ms on one thread and 300 ms on two on the busy 2-core machine this was written on."""
    t = torch()
    before = t.get_num_threads()
    t.set_num_threads(1)
    try:
        yield
    finally:
        t.set_num_threads(before)


def fit_weights(
    diff: Any, prior: Sequence[float], *, steps: int = 300, lr: float = 0.1, l2: float = 0.01
) -> Any:
    """Simplex weights ``w = softmax(theta)`` minimising ``mean_i -log sigmoid(diff_i . w) + l2 * ||theta -
    theta_0||^2`` with ``theta_0 = log(prior)``, by full-batch Adam from ``theta_0`` (deterministic).

    ``diff``: ``(n, K)`` prototype-reward differences of ``n`` comparisons (preferred minus other);
    ``prior``: ``K`` weights on the simplex (the start, and where the L2 term pulls). Returns ``(K,)``.
    """
    t = torch()
    theta0 = t.log(t.tensor([float(x) for x in prior], dtype=diff.dtype).clamp(min=1e-6))
    theta = theta0.clone().requires_grad_(True)
    opt = t.optim.Adam([theta], lr=lr)
    with one_thread():
        for _ in range(steps):
            opt.zero_grad()
            w = t.softmax(theta, dim=-1)
            loss = -t.nn.functional.logsigmoid(diff @ w).mean() + l2 * ((theta - theta0) ** 2).sum()
            loss.backward()
            opt.step()
    return t.softmax(theta.detach(), dim=-1)


# -- texts ----------------------------------------------------------------------------------------------
def as_text(value: Any) -> str:
    """A string as is; chat messages as HH-style ``Human:`` / ``Assistant:`` turns."""
    if isinstance(value, str):
        return value
    return "".join(
        f"{ASSISTANT if m.get('role') == 'assistant' else HUMAN} {m.get('content') or ''}"
        for m in value or []
    )


def split_prompt(prompt: Any, responses: Sequence[Any]) -> tuple[str, list[str]]:
    """The prompt and the responses the encoder reads.

    With a prompt, both as given. Without one, responses that are HH transcripts sharing everything up to
    their last ``"\\n\\nAssistant:"`` are split there: the shared dialogue is the prompt and each last reply
    is the response (embedding whole transcripts would let the shared dialogue drown the reply the
    preference is about). Anything else keeps an empty prompt.
    """
    p, texts = as_text(prompt), [as_text(r) for r in responses]
    if p or not texts:
        return p, texts
    cuts = [t.rfind(ASSISTANT) for t in texts]
    if all(c >= 0 for c in cuts):
        heads = {t[: c + len(ASSISTANT)] for t, c in zip(texts, cuts, strict=True)}
        if len(heads) == 1:
            return heads.pop(), [t[c + len(ASSISTANT) :].strip() for t, c in zip(texts, cuts, strict=True)]
    return "", texts


# -- the model ------------------------------------------------------------------------------------------
class PalModel:
    """A PAL-style pluralistic reward model (see the module docstring).

    ``encoder`` is any ``AutoModel`` directory or name, kept as given; ``prototypes`` is ``K``; ``dim`` the
    preference space's size; ``projection`` ``"mlp"`` (``hidden`` units) or ``"linear"``; ``max_length``,
    ``normalize``, ``embed_batch_size`` and ``device`` go to the :class:`~rewardlab.models.embed.Embedder`.
    Learned state (set by :func:`rewardlab.models.pal_train.train_pal` or :meth:`load`) ends in ``_``.
    """

    def __init__(
        self,
        encoder: str,
        *,
        prototypes: int = 3,
        dim: int = 8,
        hidden: int = 64,
        projection: str = "mlp",
        max_length: int = 256,
        normalize: bool = False,
        embed_batch_size: int = 32,
        device: str = "cpu",
    ) -> None:
        p: list[str] = []
        for name, value, lo in (("prototypes", prototypes, 1), ("dim", dim, 1), ("hidden", hidden, 1)):
            if isinstance(value, bool) or not isinstance(value, int) or value < lo:
                p.append(f"`{name}` of pal must be an integer >= {lo}, got {value!r}")
        if projection not in PROJECTIONS:
            p.append(f"`projection` of pal must be 'linear' or 'mlp', got {projection!r}")
        if not isinstance(encoder, str | Path) or not str(encoder):
            p.append(f"`encoder` of pal must be a model directory or name, got {encoder!r}")
        if p:
            raise ConfigError(p)
        self.encoder = str(encoder)
        self.prototypes = prototypes
        self.dim = dim
        self.hidden = hidden
        self.projection = projection
        self.max_length = max_length
        self.normalize = normalize
        self.embed_batch_size = embed_batch_size
        self.device = device
        self.users_: list[str] = []
        self.f_: Any = None
        self.prototypes_: Any = None
        self.user_weights_: Any = None
        self.feature_mean_: Any = None
        self.feature_std_: Any = None
        self.info_: dict[str, Any] = {}
        self._embedder: Any = None

    # -- embeddings and the projection ----------------------------------------------------------------
    @property
    def embedder(self) -> Any:
        if self._embedder is None:
            from rewardlab.models.embed import Embedder

            self._embedder = Embedder(
                self.encoder, max_length=self.max_length, batch_size=self.embed_batch_size,
                normalize=self.normalize, device=self.device,
            )  # fmt: skip
        return self._embedder

    def features(self, prompts: Sequence[str], responses: Sequence[str]) -> Any:
        """``[e(prompt); e(response)]`` ``(n, 2 * hidden_size)``: prompts keep their end when cut, responses
        their beginning."""
        t = torch()
        return t.cat([self.embedder(prompts, side="left"), self.embedder(responses, side="right")], dim=-1)

    def build(self, in_dim: int, *, seed: int = 0) -> None:
        """Fresh projection and prototypes (seeded): Gaussian prototypes with unit expected norm, as PAL."""
        t = torch()
        f32 = t.float32  # explicit: never the process's default dtype (a caller may have changed it)
        gen = t.Generator().manual_seed(seed)
        with t.random.fork_rng():
            t.manual_seed(seed)
            if self.projection == "mlp":
                self.f_ = t.nn.Sequential(
                    t.nn.Linear(in_dim, self.hidden, dtype=f32),
                    t.nn.GELU(),
                    t.nn.Linear(self.hidden, self.dim, dtype=f32),
                )
            else:
                self.f_ = t.nn.Sequential(t.nn.Linear(in_dim, self.dim, dtype=f32))
        self.prototypes_ = t.randn(self.prototypes, self.dim, generator=gen, dtype=f32) / math.sqrt(self.dim)
        self.feature_mean_ = t.zeros(in_dim, dtype=f32)
        self.feature_std_ = t.ones(in_dim, dtype=f32)

    def project(self, feats: Any) -> Any:
        """``f`` of standardised features: ``(n, in)`` -> ``(n, dim)``."""
        return self.f_((feats - self.feature_mean_) / self.feature_std_)

    # -- users ----------------------------------------------------------------------------------------
    def _check_fitted(self) -> None:
        if self.f_ is None:
            raise ConfigError("the PAL model is not trained: train it or load a saved one first")

    def weights_of(self, user: str) -> list[float]:
        """A known user's simplex weights; ``KeyError`` for an unknown user."""
        self._check_fitted()
        if str(user) not in self.users_:
            raise KeyError(f"unknown user {user!r}: the model knows {len(self.users_)} users")
        return [float(x) for x in self.user_weights_[self.users_.index(str(user))]]

    def population_weights(self) -> list[float]:
        """The mean of the known users' weights (uniform when there are none)."""
        self._check_fitted()
        if not self.users_:
            return [1.0 / self.prototypes] * self.prototypes
        return [float(x) for x in self.user_weights_.mean(dim=0)]

    def check_weights(self, weights: Sequence[float], *, what: str = "weights") -> list[float]:
        """``weights`` as a list of ``K`` non-negative numbers summing to 1 (within 1e-4), or a ConfigError."""
        ok = isinstance(weights, Sequence) and not isinstance(weights, str)
        vals = list(weights) if ok else []
        ok = ok and len(vals) == self.prototypes
        ok = ok and all(not isinstance(v, bool) and isinstance(v, int | float) and v >= 0 for v in vals)
        ok = ok and all(math.isfinite(v) for v in vals) and abs(sum(vals) - 1.0) <= 1e-4
        if not ok:
            raise ConfigError(
                f"`{what}` must be {self.prototypes} non-negative numbers summing to 1 (one per prototype), "
                f"got {weights!r}"
            )
        return [float(v) for v in vals]

    def add_user(self, user: str, weights: Sequence[float]) -> None:
        """Register (or replace) a user's weights, e.g. the result of :meth:`fit_user`; saved with the model."""
        t = torch()
        w = t.tensor([self.check_weights(weights)], dtype=t.float32)
        user = str(user)
        if user in self.users_:
            self.user_weights_[self.users_.index(user)] = w[0]
        else:
            self.users_.append(user)
            self.user_weights_ = t.cat([self.user_weights_, w]) if self.user_weights_ is not None else w

    def fit_user(
        self, pairs: Sequence[Mapping[str, Any]], *, steps: int = 300, lr: float = 0.1, l2: float = 0.01
    ) -> list[float]:
        """Few-shot weights of a new user from their pairs ``{prompt?, chosen, rejected}`` (``f`` and the
        prototypes frozen).

        Minimises ``mean_i -log sigmoid(D_i . w) + l2 * ||theta - theta_0||^2`` over ``w = softmax(theta)``,
        where ``D_ik = r_k(chosen_i) - r_k(rejected_i)`` are the prototype rewards' differences (the
        comparison logit is linear in ``w``; see the module docstring) and ``theta_0`` the log of the
        population's mean weights, where the fit starts. Full-batch Adam for ``steps`` steps: no random
        element, the same pairs always give the same weights. Returns ``K`` weights summing to 1.
        """
        self._check_fitted()
        if not pairs:
            raise ConfigError("fit_user needs at least one pair")
        problems = []
        for i, row in enumerate(pairs):
            if not isinstance(row, Mapping) or not row.get("chosen") or not row.get("rejected"):
                problems.append(f"pair {i}: needs non-empty 'chosen' and 'rejected'")
            elif row["chosen"] == row["rejected"]:
                problems.append(f"pair {i}: chosen equals rejected")
        if problems:
            raise ConfigError(problems, where="fit_user pairs")
        t = torch()
        prompts, chosen, rejected = [], [], []
        for row in pairs:
            p, (c, r) = split_prompt(row.get("prompt") or "", [row["chosen"], row["rejected"]])
            prompts.append(p)
            chosen.append(c)
            rejected.append(r)
        with t.inference_mode():
            zc = self.project(self.features(prompts, chosen))
            zr = self.project(self.features(prompts, rejected))
            diff = prototype_rewards(zc, self.prototypes_) - prototype_rewards(zr, self.prototypes_)
        w = fit_weights(diff.clone(), self.population_weights(), steps=steps, lr=lr, l2=l2)
        return [float(x) for x in w]

    def comparison_rewards(self, chosen_feats: Any, rejected_feats: Any) -> Any:
        """``D_ik = r_k(chosen_i) - r_k(rejected_i)`` ``(n, K)`` from precomputed features ``(n, in)``."""
        t = torch()
        with t.inference_mode():
            zc, zr = self.project(chosen_feats), self.project(rejected_feats)
            diff = prototype_rewards(zc, self.prototypes_) - prototype_rewards(zr, self.prototypes_)
        return diff.clone()  # outside inference mode: a normal tensor that autograd may save

    # -- scoring --------------------------------------------------------------------------------------
    def rewards(
        self, prompts: Sequence[Any], responses: Sequence[Any], weights: Sequence[Sequence[float]]
    ) -> list[float]:
        """``r_u(prompt_i, response_i)`` with each item's own simplex ``weights[i]``; texts are split as in
        :func:`split_prompt` (an HH transcript with no prompt is cut at its last Assistant turn)."""
        self._check_fitted()
        t = torch()
        ps, rs = [], []
        for p, r in zip(prompts, responses, strict=True):
            sp, (sr,) = split_prompt(p, [r])
            ps.append(sp)
            rs.append(sr)
        with t.inference_mode():
            z = self.project(self.features(ps, rs))
            w = t.tensor([list(x) for x in weights], dtype=t.float32).reshape(len(rs), self.prototypes)
            return [float(x) for x in pal_rewards(z, self.prototypes_, w)]

    # -- save / load ----------------------------------------------------------------------------------
    def config(self) -> dict[str, Any]:
        return {
            "kind": "pal",
            "encoder": self.encoder,
            "prototypes": self.prototypes,
            "dim": self.dim,
            "hidden": self.hidden,
            "projection": self.projection,
            "max_length": self.max_length,
            "normalize": self.normalize,
            "embed_batch_size": self.embed_batch_size,
            "in_dim": int(self.feature_mean_.shape[0]),
            "users": list(self.users_),
            **self.info_,
        }

    def save(self, directory: str | Path) -> Path:
        """Write ``pal.json`` and ``pal.safetensors`` into ``directory`` (created)."""
        from safetensors.torch import save_file

        self._check_fitted()
        t = torch()
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        tensors = {f"f.{k}": v.detach().contiguous() for k, v in self.f_.state_dict().items()}
        tensors.update(
            prototypes=self.prototypes_.contiguous(),
            user_weights=(
                self.user_weights_
                if self.user_weights_ is not None
                else t.zeros(0, self.prototypes, dtype=t.float32)
            ).contiguous(),
            feature_mean=self.feature_mean_.contiguous(),
            feature_std=self.feature_std_.contiguous(),
        )
        save_file(tensors, str(d / WEIGHTS))
        (d / CONFIG).write_text(json.dumps({"rewardlab": self.config()}, indent=2), encoding="utf-8")
        return d

    @classmethod
    def load(cls, directory: str | Path, *, device: str = "cpu") -> PalModel:
        """A model saved by :meth:`save`; the encoder is loaded (lazily) from the reference it recorded."""
        from safetensors.torch import load_file

        d = Path(directory)
        if not (d / CONFIG).is_file() or not (d / WEIGHTS).is_file():
            raise ConfigError(f"{d}: not a saved PAL model (needs {CONFIG} and {WEIGHTS})")
        try:
            cfg = json.loads((d / CONFIG).read_text(encoding="utf-8"))["rewardlab"]
        except (ValueError, KeyError, TypeError) as exc:
            raise ConfigError(f"{d / CONFIG}: not a PAL config ({exc})") from exc
        if cfg.get("kind") != "pal":
            raise ConfigError(f"{d / CONFIG}: kind is {cfg.get('kind')!r}, not 'pal'")
        m = cls(
            cfg["encoder"], prototypes=cfg["prototypes"], dim=cfg["dim"], hidden=cfg["hidden"],
            projection=cfg["projection"], max_length=cfg["max_length"], normalize=cfg["normalize"],
            embed_batch_size=cfg.get("embed_batch_size", 32), device=device,
        )  # fmt: skip
        m.build(int(cfg["in_dim"]))
        tensors = load_file(str(d / WEIGHTS))
        m.f_.load_state_dict({k[2:]: v for k, v in tensors.items() if k.startswith("f.")})
        m.f_.eval()
        m.prototypes_ = tensors["prototypes"]
        m.feature_mean_, m.feature_std_ = tensors["feature_mean"], tensors["feature_std"]
        m.users_ = [str(u) for u in cfg.get("users", [])]
        m.user_weights_ = tensors["user_weights"] if m.users_ else None
        if m.users_ and tuple(m.user_weights_.shape) != (len(m.users_), m.prototypes):
            raise ConfigError(
                f"{d}: {len(m.users_)} users in {CONFIG} but user_weights is {tuple(m.user_weights_.shape)}"
            )
        keys = ("kind", "encoder", "prototypes", "dim", "hidden", "projection", "max_length", "normalize")
        m.info_ = {k: v for k, v in cfg.items() if k not in (*keys, "embed_batch_size", "in_dim", "users")}
        return m
