"""Rendering and truncation: which tokens survive, and that every cut is counted."""

from __future__ import annotations

import pytest

pytest.importorskip("transformers")

import _tiny

from rewardlab.models.encode import (
    CutCounts,
    Wrap,
    cut_group,
    encode_group,
    encode_one,
    hh_messages,
    render,
    shared_prefix,
)

# two "transcripts" sharing 6 tokens, then differing tails of 2 and 3 tokens
CHOSEN = [1, 2, 3, 4, 5, 6, 70, 71]
REJECTED = [1, 2, 3, 4, 5, 6, 80, 81, 82]


def test_shared_prefix() -> None:
    assert shared_prefix([CHOSEN, REJECTED]) == 6
    assert shared_prefix([[1, 2], [1, 2]]) == 2
    assert shared_prefix([[9], [1, 2]]) == 0


def test_prefix_truncation_cuts_the_shared_start_equally_and_keeps_both_tails() -> None:
    cut, truncated, into = cut_group([CHOSEN, REJECTED], 5, "prefix")
    # 4 tokens over budget for the longer text: both lose the same 4 shared tokens
    assert cut == [[5, 6, 70, 71], [5, 6, 80, 81, 82]]
    assert (truncated, into) == (True, False)


def test_prefix_truncation_cuts_the_response_only_when_the_tails_alone_do_not_fit() -> None:
    cut, _, into = cut_group([CHOSEN, REJECTED], 2, "prefix")
    assert cut == [[70, 71], [80, 81]]
    assert into is True


def test_right_truncation_makes_a_pair_identical_and_says_so() -> None:
    cut, _, into = cut_group([CHOSEN, REJECTED], 5, "right")
    assert cut == [[1, 2, 3, 4, 5], [1, 2, 3, 4, 5]]
    assert into is True
    counts = CutCounts()
    tok = _tiny.tokenizer()
    wrap = Wrap.of(tok)
    a = "human : what is it ? assistant : good"
    b = "human : what is it ? assistant : bad"
    ids = encode_group(tok, [a, b], max_length=6, side="right", overflow="truncate", wrap=wrap, counts=counts)
    assert ids is not None and ids[0] == ids[1]
    assert (counts.truncated, counts.into_response, counts.identical_after) == (1, 1, 1)


def test_left_truncation_keeps_the_end() -> None:
    cut, _, into = cut_group([CHOSEN, REJECTED], 3, "left")
    assert cut == [[6, 70, 71], [80, 81, 82]]
    assert into is False  # both texts lose shared tokens only (5 and 6 of the 6)
    cut, _, into = cut_group([CHOSEN, REJECTED], 2, "left")
    assert cut == [[70, 71], [81, 82]] and into is True


def test_wrap_reads_special_tokens_and_encoding_matches_the_tokenizer() -> None:
    bert, dec = _tiny.tokenizer(), _tiny.tokenizer(bos_eos=True)
    assert Wrap.of(bert) == Wrap((bert.cls_token_id,), (bert.sep_token_id,))
    assert Wrap.of(dec) == Wrap((dec.bos_token_id,), ())
    text = "the answer is good"
    ids, was_cut = encode_one(bert, text, max_length=32, side="left", wrap=Wrap.of(bert))
    assert ids == bert(text)["input_ids"] and not was_cut
    ids, was_cut = encode_one(bert, text, max_length=4, side="left", wrap=Wrap.of(bert))
    bert.truncation_side = "left"
    assert ids == bert(text, truncation=True, max_length=4)["input_ids"] and was_cut


def test_drop_counts_the_row() -> None:
    tok = _tiny.tokenizer()
    counts = CutCounts()
    out = encode_group(
        tok, ["the answer is good", "the answer is bad"], max_length=4, side="prefix", overflow="drop",
        wrap=Wrap.of(tok), counts=counts, index=7,
    )  # fmt: skip
    assert out is None
    assert counts.as_dict()["dropped"] == 1 and counts.dropped_rows == [7]


def test_render_without_a_chat_template_concatenates() -> None:
    tok = _tiny.tokenizer()
    assert render(tok, "\n\nHuman: hi\n\nAssistant:", " hello") == "\n\nHuman: hi\n\nAssistant: hello"
    msgs = [{"role": "user", "content": "hi"}]
    assert render(tok, msgs, "hello") == "\n\nHuman: hi\n\nAssistant: hello"


def test_render_uses_the_chat_template_for_messages_only() -> None:
    tok = _tiny.tokenizer()
    tok.chat_template = "{% for m in messages %}<{{ m['role'] }}>{{ m['content'] }}{% endfor %}"
    msgs = [{"role": "user", "content": "hi"}]
    assert render(tok, msgs, "hello") == "<user>hi<assistant>hello"
    assert render(tok, msgs, "hello", chat_template="never") == "\n\nHuman: hi\n\nAssistant: hello"
    # strings are texts: prompt + completion exactly, whatever the tokenizer has
    assert render(tok, "\n\nHuman: hi\n\nAssistant:", " hello") == "\n\nHuman: hi\n\nAssistant: hello"


def test_hh_messages() -> None:
    text = "\n\nHuman: a?\n\nAssistant: b.\n\nHuman: c\n\nAssistant: d"
    assert hh_messages(text) == [
        {"role": "user", "content": "a?"},
        {"role": "assistant", "content": "b."},
        {"role": "user", "content": "c"},
        {"role": "assistant", "content": "d"},
    ]
    assert hh_messages("plain text") is None
