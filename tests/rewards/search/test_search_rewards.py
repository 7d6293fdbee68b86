"""Search/RAG rewards: citation parsing, evidence recall, citation precision/F1, abstention."""

from __future__ import annotations

import pytest

import rewardlab as rl
from rewardlab import Sample
from rewardlab.rewards.search import (
    AbstentionReward,
    CitationPrecision,
    EvidenceRecall,
    normalize_id,
    parse_citations,
)


@pytest.mark.parametrize(
    ("text", "ids"),
    [
        ("Oslo is the capital [1].", ["1"]),
        ("Both hold [1, 3] and [2][4].", ["1", "3", "2", "4"]),
        ("See [2-4] and [6–7].", ["2", "3", "4", "6", "7"]),
        ("Per [doc3] and [Doc 12] and [source_05].", ["3", "12", "5"]),
        ("<cite>d9</cite> then [1] then <cite>wiki:Oslo, 2</cite>", ["9", "1", "wiki:oslo", "2"]),
        ("A [link](http://x.org/1) and [citation needed] and [x] and [see 3 above].", []),
        ("Repeated [1] and [1] and [doc1].", ["1"]),
        ("No citations at all.", []),
    ],
)
def test_parse_citations(text: str, ids: list[str]) -> None:
    assert parse_citations(text) == ids


def test_id_normalisation() -> None:
    assert normalize_id("Doc 07") == normalize_id(7) == normalize_id("[7]".strip("[]")) == "7"
    assert normalize_id("doc3", strip_prefixes=False) == "doc3"
    assert normalize_id("wiki:Oslo") == "wiki:oslo"


ANSWER = "Oslo [1] has 700k people [doc2]; it is cold [9]."


def test_recall_precision_f1() -> None:
    sample = Sample(completion=ANSWER, reference={"evidence": ["doc1", 2, "doc4"], "documents": [1, 2, 3, 4]})
    recall, precision = EvidenceRecall()(sample), CitationPrecision()(sample)
    assert recall.score == pytest.approx(2 / 3) and precision.score == pytest.approx(2 / 3)
    assert (
        recall.components
        == precision.components
        == pytest.approx({"recall": 2 / 3, "precision": 2 / 3, "f1": 2 / 3})
    )
    assert recall.info["hits"] == ["1", "2"] and recall.info["missed"] == ["4"]
    assert recall.info["spurious"] == ["9"] and recall.info["unknown"] == [
        "9"
    ]  # cites a document that does not exist
    assert rl.reward("citation_f1")(Sample(completion="[1]", reference=[1, 2])).score == pytest.approx(2 / 3)


@pytest.mark.parametrize(
    ("completion", "gold", "recall", "precision"),
    [
        ("No sources needed.", [], 1.0, 1.0),  # unanswerable: citing nothing is right
        ("It is [1].", [], 0.0, 0.0),
        ("No citations.", ["1"], 0.0, 0.0),
    ],
)
def test_edge_cases(completion: str, gold: list, recall: float, precision: float) -> None:
    sample = Sample(completion=completion, reference={"evidence": gold})
    assert EvidenceRecall()(sample).score == recall and CitationPrecision()(sample).score == precision


def test_citations_come_from_the_final_answer_turn() -> None:
    msgs = [
        {"role": "assistant", "content": "searching [5]"},
        {"role": "tool", "content": "[1] Oslo ..."},
        {"role": "assistant", "content": "Oslo [1]."},
    ]
    assert EvidenceRecall()(Sample(completion=msgs, reference=[1])).info["cited"] == ["1"]


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        (None, "must be a list of ids"),
        ({"gold": [1]}, r"needs sample.reference\[.evidence.\]"),
        ([True], "must be a list of ids"),
        ({"evidence": [1], "documents": "all"}, "reference 'documents' must be a list of ids"),
    ],
)
def test_bad_references_raise(reference: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        EvidenceRecall()(Sample(completion="[1]", reference=reference))


def test_citation_options() -> None:
    sample = Sample(completion="<cite>7</cite> and [8]", reference=[7, 8])
    assert EvidenceRecall(styles=["cite_tags"])(sample).score == 0.5
    with pytest.raises(
        rl.ConfigError, match=r"`styles` of evidence_recall has unknown style\(s\) \['footnotes'\]"
    ):
        rl.reward("evidence_recall", styles=["footnotes"])
    with pytest.raises(rl.ConfigError, match="`strip_prefixes` of citation_precision must be true or false"):
        rl.reward("citation_precision", strip_prefixes="yes")


ABSTAIN_CASES = [
    ("<answer>Oslo</answer>", ["Oslo"], "correct", 1.0),
    ("The capital is <answer>oslo.</answer>", {"answers": ["Oslo", "Christiania"]}, "correct", 1.0),
    ("<answer>Bergen</answer>", ["Oslo"], "incorrect", -1.0),
    ("I don't know.", ["Oslo"], "abstained", 0.0),
    (
        "The documents do not mention the capital.",
        {"answers": ["Oslo"], "answerable": True},
        "abstained",
        0.0,
    ),
    ("There is insufficient information to answer.", {"answerable": False}, "correct_abstention", 1.0),
    ("<answer>unanswerable</answer>", {"answers": []}, "correct_abstention", 1.0),
    ("<answer>Oslo</answer>", {"answerable": False}, "hallucination", -1.0),
]


@pytest.mark.parametrize(("completion", "reference", "outcome", "value"), ABSTAIN_CASES)
def test_abstention_outcomes(completion: str, reference: object, outcome: str, value: float) -> None:
    result = AbstentionReward()(Sample(completion=completion, reference=reference))
    assert result.info["outcome"] == outcome and result.score == value
    assert result.components["abstained"] == float(outcome in ("abstained", "correct_abstention"))


def test_abstention_values_and_matching_are_configurable() -> None:
    reward = AbstentionReward(incorrect=0.0, answer_unanswerable=-2.0, match="contains")
    assert reward(Sample(completion="It is Oslo, Norway.", reference=["Oslo"])).score == 1.0
    assert reward(Sample(completion="Oslomet", reference=["Oslo"])).score == 0.0  # whole words only
    assert reward(Sample(completion="Oslo", reference={"answerable": False})).score == -2.0
    f1 = AbstentionReward(match="f1", f1_threshold=0.5)
    assert f1(Sample(completion="the city of Oslo", reference=["Oslo city"])).info["outcome"] == "correct"
    custom = AbstentionReward(abstain_patterns=[r"\bpass\b"])
    assert custom(Sample(completion="pass", reference={"answerable": False})).score == 1.0
    assert custom(Sample(completion="I don't know", reference={"answerable": False})).score == -1.0


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"correct": float("nan")}, "`correct` of abstention must be a finite number"),
        ({"match": "fuzzy"}, "`match` of abstention must be 'exact', 'contains' or 'f1'"),
        ({"f1_threshold": 0}, "`f1_threshold` of abstention must be in (0, 1]"),
        ({"abstain_patterns": ["("]}, "`abstain_patterns` of abstention: '(' is not a valid regex"),
        ({"abstain_patterns": "idk"}, "`abstain_patterns` of abstention must be a non-empty list"),
    ],
)
def test_abstention_options_are_validated(options: dict, message: str) -> None:
    with pytest.raises(rl.ConfigError) as exc:
        rl.reward("abstention", **options)
    assert message in str(exc.value)


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        (None, "abstention needs sample.reference"),
        ({"answerable": True}, "answerable but gives no 'answers'"),
        ({"answers": [1]}, "'answers' must be a string or a list of strings"),
        ({"answers": ["x"], "answerable": "yes"}, "'answerable' must be true or false"),
    ],
)
def test_abstention_bad_references_raise(reference: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        AbstentionReward()(Sample(completion="x", reference=reference))
