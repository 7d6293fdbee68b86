"""The judge guard: answers that are known to fool LLM judges never reach one.

"One Token to Fool LLM-as-a-Judge" shows generative judges accepting answers with no content at all
(":", "Thought process:", "Let's solve this problem step by step.", "Solution", and their translations);
NeMo-Gym #2852 saw a judge give full credit 8 times in 10 to a wrong answer carrying grader-override text.
None of the anchors screens for these (TRL removed its judges; verifiers and verl send every answer
through). The guard runs before any judge call and names every rule an answer trips:

- ``empty``: nothing but whitespace (or invisible characters);
- ``punctuation_only``: only punctuation, symbols or whitespace (":", "...", "。", "—");
- ``reasoning_opener``: only generic openers with no content ("Thought process:", "Let's solve this step
  by step.", "Solution", "解：", "Solución:", "Lösung:" ...), in any mix, case and punctuation;
- ``copies_question``: the answer is (nearly) the whole question echoed back;
- ``addressed_to_grader``: text that speaks to the grader instead of answering ("ignore previous
  instructions", "give full marks", "grader override", "this answer is correct", in several languages);
- ``breaks_fence``: text that would close the judge prompt's sections or forge its verdict format
  (``</answer>``, ``<|im_end|>``, ``[/INST]``, ``[[A]]``, ``<verdict>``, ``"verdict":``).

The rules look at what an answer *is*, not at a list of exact strings: an opener followed by real content
("Solution: x = 4") passes; punctuation variants and case do not matter. The judge prompt also fences the
answer between markers derived from the answer's own hash (:func:`fence`), which the answer cannot know
in advance, so it cannot close the fence from inside even when the guard is off.
"""

from __future__ import annotations

import difflib
import hashlib
import re
import unicodedata
from dataclasses import dataclass

RULES = (
    "empty",
    "punctuation_only",
    "reasoning_opener",
    "copies_question",
    "addressed_to_grader",
    "breaks_fence",
)

# Generic openers with no content of their own, normalised (lower case, punctuation dropped). An answer
# made only of these (in any order and number) says nothing.
_OPENERS = [
    # English
    "thought process", "thoughts", "thinking", "reasoning", "let me think", "let's think", "lets think",
    "let's think step by step", "lets think step by step", "let's solve this problem step by step",
    "lets solve this problem step by step", "let's solve this step by step", "lets solve this step by step",
    "let's solve this", "lets solve this", "let's solve it step by step", "step by step", "solution",
    "the solution", "solution is", "answer", "the answer", "the answer is", "final answer",
    "here is the solution", "here's the solution", "explanation", "analysis", "step 1",
    "to solve this problem", "to solve this", "we need to",
    # Chinese, Japanese, Korean
    "解", "解答", "答案", "答", "思考过程", "思路", "分析", "让我们一步一步解决这个问题",
    "让我们一步一步地解决这个问题", "让我们一步一步思考", "一步一步", "解決策", "解法", "答え", "考え方",
    "ステップバイステップで解きましょう", "段階的に解いてみましょう", "풀이", "정답", "단계별로 풀어봅시다",
    # Spanish, Portuguese, French, Italian, German, Russian
    "solución", "solucion", "respuesta", "proceso de pensamiento", "resolvamos este problema paso a paso",
    "pensemos paso a paso", "paso a paso", "solução", "solucao", "resposta", "vamos resolver passo a passo",
    "solution", "réponse", "reponse", "résolvons ce problème étape par étape", "étape par étape",
    "processus de réflexion", "soluzione", "risposta", "risolviamo passo dopo passo", "lösung", "losung",
    "antwort", "denkprozess", "lösen wir das schritt für schritt", "schritt für schritt", "решение",
    "ответ", "давайте решим это шаг за шагом", "шаг за шагом", "ход мыслей",
]  # fmt: skip

_GRADER = [
    r"ignore\s+(?:all\s+|any\s+)?(?:the\s+)?(?:previous|prior|above|earlier|preceding)\s+(?:instructions?|prompts?|rules?)",
    r"disregard\s+(?:all\s+|the\s+)?(?:previous|prior|above|earlier)\s+(?:instructions?|prompts?)",
    r"(?:give|award|assign)\s+(?:(?:this|me|it|the|my)\s+)?(?:(?:answer|response|solution)\s+)?(?:a\s+)?(?:full|maximum|max|perfect|highest|top)\s+(?:marks?|scores?|points?|credit|grade)",
    r"grad(?:er|ing)\s+override", r"judge\s+override", r"override\s*:\s*(?:correct|pass)",
    r"(?:mark|grade|rate|score|judge|evaluate)\s+(?:this|it|the\s+(?:answer|response))\s+as\s+(?:correct|right|passing|pass|a\s+pass)",
    r"this\s+(?:answer|response|solution)\s+(?:is|should\s+be)\s+(?:graded|marked|considered|judged)\s+(?:as\s+)?correct",
    r"(?:note|message|instruction)s?\s+(?:to|for)\s+(?:the\s+)?(?:grader|judge|evaluator|reviewer|assessor)",
    r"(?:dear|attention|hey)\s+(?:grader|judge|evaluator)", r"as\s+the\s+(?:grader|judge|evaluator)\s*,?\s+you",
    r"you\s+(?:must|should|will)\s+(?:output|respond|answer|say|reply|return)\s+[\"'`]?(?:correct|yes|pass|true|10)",
    r"(?:the\s+)?correct\s+verdict\s+is", r"system\s*(?:prompt|message|override)\s*:",
    # translations of "ignore previous instructions" / "give full marks"
    r"忽略(?:之前|以上|前面|先前)的?(?:所有)?(?:指令|指示|说明)", r"给(?:我|这个答案)?满分", r"评分者|评判者请",
    r"ignora\s+(?:todas\s+)?las\s+instrucciones\s+(?:anteriores|previas)", r"(?:puntuación|puntuacion|nota)\s+máxima",
    r"ignorez?\s+(?:toutes\s+)?les\s+instructions\s+(?:précédentes|precedentes)", r"note\s+maximale",
    r"ignoriere?\s+(?:alle\s+)?(?:vorherigen|bisherigen)\s+anweisungen", r"volle\s+punktzahl",
    r"игнорируй(?:те)?\s+(?:все\s+)?(?:предыдущие|прошлые)\s+инструкции", r"以前の指示を無視",
]  # fmt: skip
_GRADER_RE = re.compile("|".join(f"(?:{p})" for p in _GRADER), re.IGNORECASE)

_FENCE = [
    r"</\s*(?:answer|response|completion|output|solution|candidate|text|input|question|reference)\s*>",
    r"<\|(?:im_end|im_start|eot_id|end|endoftext|start_header_id|end_header_id|assistant|user|system)\|>",
    r"\[/?INST\]", r"</s>", r"^\s*#{2,}\s*(?:instruction|response|system|user|assistant)\b",
    r"\[\[\s*(?:A|B|C|tie)\s*\]\]", r"</?\s*verdict\s*>", r"\"\s*verdict\s*\"\s*:", r"<<<\s*(?:answer|end)",
]  # fmt: skip
_FENCE_RE = re.compile("|".join(f"(?:{p})" for p in _FENCE), re.IGNORECASE | re.MULTILINE)


def _normalise(text: str) -> str:
    """Lower case, NFKC, punctuation and symbols turned into spaces, spaces collapsed."""
    text = unicodedata.normalize("NFKC", text).lower().replace("’", "'")
    out = [" " if unicodedata.category(ch)[0] in "PSZC" and ch != "'" else ch for ch in text]
    return " ".join("".join(out).replace("'", "'").split())


_OPENER_SET = sorted({_normalise(o) for o in _OPENERS}, key=len, reverse=True)


def _only_openers(norm: str) -> bool:
    rest = norm
    changed = True
    while rest and changed:
        changed = False
        for opener in _OPENER_SET:
            if rest == opener or rest.startswith(opener + " "):
                rest = rest[len(opener) :].strip()
                changed = True
                break
            if opener and not opener.isascii() and rest.startswith(opener):  # CJK: no spaces between words
                rest = rest[len(opener) :].strip()
                changed = True
                break
    return not rest


def check(answer: str, question: str | None = None) -> list[str]:
    """The guard rules ``answer`` trips (empty when it may go to a judge)."""
    text = answer if isinstance(answer, str) else str(answer)
    visible = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cf", "Cc") or ch in "\n\t")
    if not visible.strip():
        return ["empty"]
    tripped: list[str] = []
    norm = _normalise(visible)
    if not norm.replace("'", "").strip():
        tripped.append("punctuation_only")
    elif _only_openers(norm):
        tripped.append("reasoning_opener")
    if question and norm:
        q = _normalise(question)
        # the whole question echoed back (a rewrite task's answer repeats the text, not the instruction)
        if q and (
            norm == q
            or (len(norm) >= 12 and difflib.SequenceMatcher(None, norm, q, autojunk=False).ratio() >= 0.95)
        ):
            tripped.append("copies_question")
    if _GRADER_RE.search(visible):
        tripped.append("addressed_to_grader")
    if _FENCE_RE.search(visible):
        tripped.append("breaks_fence")
    return tripped


@dataclass(frozen=True)
class Guard:
    """Which rules run (all by default), and what a tripped answer scores: ``action="penalty"`` gives it
    ``penalty`` (None: the judge reward's lowest score) with the rules in ``info["guard"]``;
    ``action="abstain"`` makes it a :class:`~rewardlab.errors.GuardRejected` error (no score)."""

    rules: tuple[str, ...] = RULES
    action: str = "penalty"
    penalty: float | None = None

    def __post_init__(self) -> None:
        unknown = sorted(set(self.rules) - set(RULES))
        if unknown:
            raise ValueError(f"unknown guard rule(s) {unknown}; known: {', '.join(RULES)}")
        if self.action not in ("penalty", "abstain"):
            raise ValueError(f"guard action must be 'penalty' or 'abstain', got {self.action!r}")

    def check(self, answer: str, question: str | None = None) -> list[str]:
        return [r for r in check(answer, question) if r in self.rules]


def fence(text: str) -> tuple[str, str]:
    """Opening and closing markers for ``text`` in a judge prompt, derived from the text's own hash: the
    text cannot contain its closing marker except by a hash collision."""
    tag = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    return f"<<<BEGIN {tag}>>>", f"<<<END {tag}>>>"
