"""Tiny random models and a word-level tokenizer, built locally in a second (nothing downloaded)."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

WORDS = [
    "the",
    "a",
    "an",
    "is",
    "it",
    "this",
    "that",
    "good",
    "bad",
    "great",
    "awful",
    "fine",
    "poor",
    "answer",
    "question",
    "human",
    "assistant",
    "yes",
    "no",
    "please",
    "help",
    "me",
    "you",
    "i",
    "can",
    "cannot",
    "will",
    "would",
    "sure",
    "sorry",
    "here",
    "how",
    "what",
    "why",
    "step",
    "so",
    "then",
    "total",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "plus",
    "minus",
    "equals",
    "wrong",
    "right",
    "correct",
]
SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "<s>", "</s>"]


def tokenizer(*, bos_eos: bool = False) -> Any:
    """A whitespace word-level tokenizer: ``[CLS] ... [SEP]`` (BERT-like) or ``<s> ...`` (decoder-like)."""
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    vocab = {w: i for i, w in enumerate([*SPECIALS, *WORDS, ":", ".", ",", "?", "!", "\n"])}
    tk = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tk.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split("\n", "isolated"),
            pre_tokenizers.WhitespaceSplit(),
            pre_tokenizers.Punctuation(),
        ]
    )
    if bos_eos:
        tk.post_processor = processors.TemplateProcessing(single="<s> $A", special_tokens=[("<s>", 4)])
        return PreTrainedTokenizerFast(
            tokenizer_object=tk, pad_token="[PAD]", unk_token="[UNK]", bos_token="<s>", eos_token="</s>"
        )
    tk.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 2), ("[SEP]", 3)]
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tk, pad_token="[PAD]", unk_token="[UNK]", cls_token="[CLS]", sep_token="[SEP]"
    )


def bert_dir(path: Path, *, seed: int = 0, token_classification: bool = False) -> Path:
    """A tiny BERT base checkpoint (random weights) with its tokenizer, saved to ``path``."""
    import torch
    from transformers import BertConfig, BertModel

    torch.manual_seed(seed)
    tok = tokenizer()
    cfg = BertConfig(
        vocab_size=len(tok), hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
        max_position_embeddings=128, pad_token_id=tok.pad_token_id,
    )  # fmt: skip
    BertModel(cfg).save_pretrained(str(path))
    tok.save_pretrained(str(path))
    return path


def llama_dir(path: Path, *, seed: int = 0) -> Path:
    """A tiny Llama causal LM checkpoint (random weights) with a ``<s> ...`` tokenizer."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    tok = tokenizer(bos_eos=True)
    cfg = LlamaConfig(
        vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2,
        num_key_value_heads=2, max_position_embeddings=128, pad_token_id=tok.pad_token_id,
        bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id,
    )  # fmt: skip
    LlamaForCausalLM(cfg).save_pretrained(str(path))
    tok.save_pretrained(str(path))
    return path


def easy_pairs(n: int, *, seed: int = 0) -> list[dict[str, Any]]:
    """HH-style transcripts where the chosen last reply says "good" words and the rejected "bad" ones,
    behind a shared multi-turn prefix of random length (the part right truncation would keep)."""
    rng = random.Random(seed)
    filler = [w for w in WORDS if w not in ("good", "great", "fine", "bad", "awful", "poor")]
    rows = []
    for _ in range(n):
        turns = "".join(
            f"\n\nHuman: {' '.join(rng.choices(filler, k=rng.randint(3, 8)))}"
            f"\n\nAssistant: {' '.join(rng.choices(filler, k=rng.randint(3, 8)))}"
            for _ in range(rng.randint(1, 3))
        )
        head = turns + f"\n\nHuman: {' '.join(rng.choices(filler, k=4))}\n\nAssistant:"
        body = " ".join(rng.choices(filler, k=rng.randint(2, 5)))
        rows.append(
            {
                "chosen": f"{head} {body} {rng.choice(['good', 'great', 'fine'])}",
                "rejected": f"{head} {body} {rng.choice(['bad', 'awful', 'poor'])}",
            }
        )
    return rows


def write_jsonl(path: Path, rows: list[Any]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path
