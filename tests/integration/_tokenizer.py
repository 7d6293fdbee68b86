"""A tiny byte-level BPE tokenizer trained on local lines and saved as a Hugging Face directory, so the
trainers decode real token ids (EOS included) without downloading a model. ``</s>`` is EOS, ``<pad>``
pads, ``<s>`` begins a sequence; byte-level decoding gives back exactly the text that was encoded."""

from __future__ import annotations

from pathlib import Path

LINES = [
    "Natalia sold 48 clips in April and half as many in May. How many clips did she sell?",
    "so the answer is \\boxed{72}. The answer is 72, not 70 or 71.",
    "User: What is 6*7? Assistant: It is 42. CRASH HANG 0123456789",
    "<think>reasoning</think><answer>1/2</answer> + - = ( ) { } [ ] \\frac",
]


def build(directory: Path) -> Path:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400,
        special_tokens=["<pad>", "<s>", "</s>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tok.train_from_iterator(LINES * 20, trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token="<s>", eos_token="</s>", pad_token="<pad>", padding_side="left"
    )
    fast.save_pretrained(str(directory))
    return directory
