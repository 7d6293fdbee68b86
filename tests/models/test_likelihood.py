"""``reference_likelihood``: the score is the summed log-softmax of exactly the reference's tokens (checked
against a direct model call), batching and padding change nothing, long contexts lose their start and never
the reference, and a bad reference is a per-sample error, never a 0.0."""

from __future__ import annotations

import functools
import pickle
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")

import rewardlab as rl  # noqa: E402
from rewardlab.core.types import Sample  # noqa: E402
from rewardlab.errors import ConfigError  # noqa: E402
from rewardlab.models.likelihood import ReferenceLikelihood  # noqa: E402


@functools.cache
def plain(path: Path) -> tuple[Any, Any]:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    return AutoTokenizer.from_pretrained(str(path)), AutoModelForCausalLM.from_pretrained(str(path)).eval()


def direct(path: Path, context: str, reference: str, *, keep: int | None = None) -> tuple[float, list[str]]:
    """``sum_k log softmax(logits at the position before reference token k)[token k]`` from one plain
    transformers call on ``<s> + context ids (the last ``keep``) + reference ids``; and the scored tokens."""
    tok, model = plain(path)
    ctx = tok(context, add_special_tokens=False)["input_ids"]
    if keep is not None:
        ctx = ctx[-keep:]
    ref = tok(reference, add_special_tokens=False)["input_ids"]
    ids = [tok.bos_token_id, *ctx, *ref]
    with torch.no_grad():
        logits = model(input_ids=torch.tensor([ids])).logits[0]
    total = 0.0
    for j in range(len(ids) - len(ref), len(ids)):
        total += float(torch.log_softmax(logits[j - 1], dim=-1)[ids[j]])
    return total, tok.convert_ids_to_tokens(ref)


SAMPLES = [
    Sample(prompt="what is the total ?", completion=" one plus one", reference="two"),
    Sample(prompt="how", completion=" so", reference="three plus four equals seven"),
    Sample(
        prompt="why is it good ? please help me", completion=" step one then two then three", reference="yes"
    ),
    Sample(prompt="what", completion="", reference="no it is wrong"),
    Sample(prompt="a question", completion=" an answer is here so", reference=["two", "it is two"]),
    Sample(prompt="what is the total ? one two three four five six", completion=" ten", reference="ten"),
    Sample(prompt="", completion="sure", reference="right"),
    Sample(prompt="is it fine ?", completion=" it is fine", reference="correct , it is fine"),
    Sample(prompt="how", completion=" then two", reference="nine"),
]


def test_the_score_is_the_summed_log_softmax_of_the_reference_tokens(llama_base: Path) -> None:
    reward = ReferenceLikelihood(str(llama_base), bridge=" so the answer is")
    got = reward(Sample(prompt="what is the total ?", completion=" one plus one", reference="two equals two"))
    want, scored = direct(llama_base, "what is the total ? one plus one so the answer is", "two equals two")
    assert scored == ["two", "equals", "two"]
    assert got.ok and got.score == pytest.approx(want, abs=1e-5)
    assert got.info["tokens"] == 3 and got.info["truncated"] is False
    assert got.info["logprob_sum"] == pytest.approx(want, abs=1e-5)
    assert got.info["logprob_mean"] == pytest.approx(want / 3, abs=1e-5)
    assert got.score < 0


def test_mean_normalisation_divides_by_the_reference_tokens(llama_base: Path) -> None:
    sample = Sample(prompt="how", completion=" so", reference="three plus four equals seven")
    total = ReferenceLikelihood(str(llama_base))(sample)
    mean = ReferenceLikelihood(str(llama_base), normalize="mean")(sample)
    want, scored = direct(llama_base, "how so", "three plus four equals seven")
    assert len(scored) == 5
    assert total.score == pytest.approx(want, abs=1e-5)
    assert mean.score == pytest.approx(want / 5, abs=1e-5)


def test_batching_and_padding_change_nothing(llama_base: Path) -> None:
    one = ReferenceLikelihood(str(llama_base), batch_size=1).score_batch(SAMPLES)
    eight = ReferenceLikelihood(str(llama_base), batch_size=8).score_batch(SAMPLES)
    assert all(r.ok for r in one + eight)
    assert [r.score for r in eight] == pytest.approx([r.score for r in one], abs=1e-5)
    # and each equals the model called on that sample alone
    for s, r in zip(SAMPLES, eight, strict=True):
        ref = s.reference if isinstance(s.reference, str) else None
        if ref is not None:
            want, _ = direct(llama_base, str(s.prompt) + str(s.completion), ref)
            assert r.score == pytest.approx(want, abs=1e-5)


def test_several_references_take_the_max_or_the_mean(llama_base: Path) -> None:
    s = SAMPLES[4]
    singles = [direct(llama_base, "a question an answer is here so", ref)[0] for ref in ("two", "it is two")]
    best = ReferenceLikelihood(str(llama_base))(s)
    avg = ReferenceLikelihood(str(llama_base), multi="mean")(s)
    assert best.score == pytest.approx(max(singles), abs=1e-5)
    assert avg.score == pytest.approx(sum(singles) / 2, abs=1e-5)
    assert best.info["per_reference"] == pytest.approx(singles, abs=1e-5)
    assert best.info["reference_tokens"] == [1, 3]


def test_a_long_context_loses_its_start_never_the_reference(llama_base: Path) -> None:
    words = " ".join(["one", "two", "three", "four"] * 10)  # 40 context tokens
    s = Sample(prompt=words, completion="", reference="five six seven")
    got = ReferenceLikelihood(str(llama_base), max_length=12)(s)  # <s> + 8 context + 3 reference
    want, _ = direct(llama_base, words, "five six seven", keep=8)
    assert got.ok and got.info["truncated"] is True and got.info["tokens"] == 3
    assert got.score == pytest.approx(want, abs=1e-5)
    full = ReferenceLikelihood(str(llama_base))(s)
    assert full.info["truncated"] is False and full.score != pytest.approx(got.score, abs=1e-4)
    too_long = ReferenceLikelihood(str(llama_base), max_length=4)(s)  # <s> + 3 fits; 2 would not
    assert too_long.ok and too_long.info["truncated"] is True
    refused = ReferenceLikelihood(str(llama_base), max_length=3)(s)
    assert (
        refused.score is None
        and "the reference has 3 tokens: with 1 start token(s) it does not fit max_length 3"
        in refused.error.message
    )


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        (None, "got NoneType None"),
        (18, "got int 18 (convert numbers with str())"),
        ({"answer": "two"}, "got dict"),
        ([], "got list []"),
        (["two", 3], "got list ['two', 3]"),
        ("", "needs a non-empty reference string"),
    ],
)
def test_a_bad_reference_is_a_per_sample_error(llama_base: Path, reference: object, message: str) -> None:
    good = Sample(prompt="how", completion=" so", reference="two")
    bad = Sample(prompt="how", completion=" so", reference=reference)
    reward = ReferenceLikelihood(str(llama_base))
    results = reward.score_batch([good, bad, good])
    assert results[0].ok and results[2].ok and results[0].score == pytest.approx(results[2].score)
    assert results[1].score is None and results[1].error is not None
    assert results[1].error.type == "ValueError" and message in results[1].error.message


def test_options_are_checked_all_at_once(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as exc:
        ReferenceLikelihood(str(tmp_path), batch_size=0, normalize="avg", multi="min", bridge=3, device="tpu")  # type: ignore[arg-type]
    text = str(exc.value)
    for part in ("`path` of reference_likelihood must be a causal LM directory", "`batch_size`", "`normalize`",
                 "`multi` of reference_likelihood must be 'max' or 'mean', got 'min'", "`bridge`", "`device`"):  # fmt: skip
        assert part in text


def test_through_rl_score_and_combine_and_a_worker_process(llama_base: Path) -> None:
    rows = [s.to_dict() for s in SAMPLES[:4]]
    spec = {"type": "reference_likelihood", "path": str(llama_base), "normalize": "mean", "batch_size": 2}
    direct_scores = ReferenceLikelihood(str(llama_base), normalize="mean").score_batch(SAMPLES[:4])
    in_process = rl.score(spec, rows, workers=0)
    in_worker = rl.score(spec, rows, workers=1)
    for got in (in_process, in_worker):
        assert [r.score for r in got] == pytest.approx([r.score for r in direct_scores], abs=1e-5)
    combined = rl.combine(lik=spec, exact="exact_match", weights={"lik": 1.0, "exact": 0.5})
    results = rl.score(combined, rows, workers=0)
    for r, d in zip(results, direct_scores, strict=True):
        assert r.ok and r.components["lik"] == pytest.approx(d.score, abs=1e-5)
        assert r.score == pytest.approx(d.score + 0.5 * r.components["exact"], abs=1e-5)


def test_the_model_is_loaded_once_and_never_pickled(llama_base: Path) -> None:
    reward = ReferenceLikelihood(str(llama_base))
    reward.warmup()
    loaded = reward._loaded
    reward.score_batch(SAMPLES[:2])
    assert reward._loaded is loaded
    clone = pickle.loads(pickle.dumps(reward))
    assert clone._loaded is None and clone.path == reward.path and len(pickle.dumps(reward)) < 2000
    entry = rl.REGISTRY.get("reference_likelihood")
    assert entry.group == "models" and entry.factory() is ReferenceLikelihood


def test_a_tokenizer_without_bos_gets_none_unless_the_context_is_empty(
    llama_base: Path, tmp_path: Path
) -> None:
    import shutil

    import _tiny
    from tokenizers import processors

    d = tmp_path / "nobos"
    shutil.copytree(llama_base, d)
    tok = _tiny.tokenizer(bos_eos=True)
    tok.backend_tokenizer.post_processor = processors.TemplateProcessing(single="$A")
    tok.save_pretrained(str(d))
    tok, model = plain(d)
    assert tok("two")["input_ids"] == tok("two", add_special_tokens=False)["input_ids"]  # no BOS added

    def by_hand(ids: list[int], n_ref: int) -> float:
        with torch.no_grad():
            logits = model(input_ids=torch.tensor([ids])).logits[0]
        return sum(
            float(torch.log_softmax(logits[j - 1], -1)[ids[j]]) for j in range(len(ids) - n_ref, len(ids))
        )

    reward = ReferenceLikelihood(str(d))
    ctx, ref = (
        tok("how so", add_special_tokens=False)["input_ids"],
        tok("two", add_special_tokens=False)["input_ids"],
    )
    got = reward(Sample(prompt="how", completion=" so", reference="two"))
    assert got.score == pytest.approx(by_hand([*ctx, *ref], 1), abs=1e-5)  # exactly what the tokenizer gives
    empty = reward(Sample(prompt="", completion="", reference="two"))
    assert empty.score == pytest.approx(by_hand([tok.bos_token_id, *ref], 1), abs=1e-5)
