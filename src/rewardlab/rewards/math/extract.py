"""Find the final answer in a model's completion.

Order of precedence (the first rule that finds something wins):

0. ``<answer>...</answer>``: the rules below are applied to what the last answer tag holds;
1. boxes: the last ``\\boxed{...}`` / ``\\fbox{...}`` (balanced braces, also ``\\boxed 5``). Several boxes
   written together at the end (joined by commas, ``and``/``or``, labels such as ``y_2 =``, or a few
   words) are one answer, the set of their contents; a Minerva-style "The final answer is X. I hope it
   is correct." written after the last box wins over boxed intermediate results;
2. the last "final answer is X" / "the answer is X" / "Answer: X" phrase; when X is a sentence ("Verna
   received $7.00 in change"), the value it states;
3. GSM8K's ``#### n`` and the ``A: n`` lines of GSM8K example solutions;
4. the completion *is* the answer: an expression, relation, list, matrix or a short text answer, in or
   out of ``$..$``, ``$$..$$``, ``\\(..\\)``, ``\\[..\\]`` (no prose words, one line);
5. in the last sentence that holds maths or a number: its last LaTeX math span (``\\(..\\)``, ``$..$``,
   ``\\[..\\]``, or ``\\frac``/``\\sqrt`` written outside one); without a span, the first number after the
   last ``=``, else the number after the last cue word ("is", "be", "total of", ...), else the last
   number (a number never starts inside a word: "AZYUK2A" holds none).

How this differs from Math-Verify (``parse`` with its default LaTeX + expression targets), on purpose:

- Math-Verify matches every target with regexes ranked by priority and takes the rightmost match of the
  best rank; "the last number" is its final fallback, so "spends a total of 34 hours ... in 4 weeks"
  answers 4. rewardlab reads the last sentence and prefers the number a cue word or ``=`` states (34).
- Math-Verify's expression target reads a bare answer only as a number or an arithmetic expression;
  rule 4 reads any bare answer whole (``x \\le 2``, ``(3,2)``, ``E``, ``odd``, a matrix), so a short-answer
  or ``<answer>``-tag completion is never read as its last number.
- Math-Verify joins ``$a$, $b$ and $c$`` spans and adjacent boxes into a set; rewardlab does so for boxes
  (and for ``a and b`` / ``a or b`` / ``\\pm`` in normalisation), and also across a few words or labels
  between boxes ("\\boxed{1} papers and \\boxed{2} bins", "y_1 = \\boxed{..} and y_2 = \\boxed{..}").
- Math-Verify refuses inline ``$..$`` spanning a newline; rewardlab reads it.
- No ``signal.alarm`` timeouts: extraction is regex work bounded by ``MAX_SCAN`` and ``MAX_BARE``, and the
  runner's worker processes enforce per-sample deadlines from any thread.

Each rule is tried on the whole text, and the extraction records which rule fired (``Parsed.source``),
so a user can audit every verdict.
"""

from __future__ import annotations

import re

from rewardlab.rewards.math.normalize import TEXT_CMDS, normalize

BOXED_RE = re.compile(r"\\(?:boxed|fbox)\s*")
ANSWER_IS_RE = re.compile(
    r"(?:final answer is|final answer:|the answer is|answer is|answer:|final answer)\s*[:=]?\s*",
    re.IGNORECASE,
)
_FINAL_ANSWER_RE = re.compile(r"final answer is", re.IGNORECASE)
GSM8K_RE = re.compile(r"####\s*([^\n]+)")
A_COLON_RE = re.compile(r"(?:^|\n)\s*A:\s*([^\n]+)")
# A number in prose: thousands separators, a decimal point or a decimal comma ("2,74 $"; a comma with one,
# two or four+ digits after it and no list around it), a simple fraction "2/3". Not a digit inside a
# word ("AZYUK2A", "x2"): a number starts after a non-letter.
NUMBER_RE = re.compile(
    r"(?<![A-Za-z_\d.])(?:-?\d+\s*/\s*\d+(?!\d|[.,]\d|/)|-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:,\d{1,2}(?![\d,]))?"
    r"|-?\.\d+)"
)
# Words after which a number is the thing being stated ("... will be $324", "a total of 34 hours").
CUE_RE = re.compile(
    r"\b(?:is|are|was|were|be|equals?|total(?:\s+of)?|makes?|made|earns?|earned|pays?|paid|costs?|spends?|"
    r"spent|needs?|needed|has|have|had|gets?|got|remains?|left with|sells?|sold|answer)\b[^0-9=]{0,25}$",
    re.IGNORECASE,
)
MAX_SCAN = 20_000  # only the tail of very long completions is scanned for the non-boxed rules


def _boxes(text: str) -> list[tuple[int, int, str]]:
    """Every balanced ``\\boxed{}``/``\\fbox{}`` (and ``\\boxed 5``) as ``(start, end, content)``, in order."""
    out: list[tuple[int, int, str]] = []
    for m in BOXED_RE.finditer(text):
        start = m.end()
        if start < len(text) and text[start] == "{":
            depth = 0
            for i in range(start, len(text)):
                c = text[i]
                if c == "{" and text[i - 1] != "\\":
                    depth += 1
                elif c == "}" and text[i - 1] != "\\":
                    depth -= 1
                    if depth == 0:
                        out.append((m.start(), i + 1, text[start + 1 : i].strip()))
                        break
            continue  # unbalanced: skipped
        tail = re.match(r"([^\s$\\]+)", text[start:])  # "\boxed 5"
        if tail:
            out.append((m.start(), start + tail.end(), tail.group(1)))
    return out


def last_boxed(text: str) -> str | None:
    """Content of the last ``\\boxed{}``/``\\fbox{}``; None if there is none or its braces never close."""
    boxes = _boxes(text)
    return boxes[-1][2] if boxes else None


# What may stand between boxes that give one answer together: "\boxed{1}, \boxed{2} and \boxed{3}".
_BOX_JOINER = re.compile(
    r"(?:\s|,|;|\$|\\\(|\\\)|\\\[|\\\]|\\quad|\\qquad|\\[,;: ]|\\text\{[^{}]{0,40}\}|\band\b|\bor\b"
    r"|[a-zA-Z](?:_\{?\w+\}?)?\s*=)*",  # "y_1 = \boxed{..} and y_2 = \boxed{..}": labels of the parts
    re.IGNORECASE,
)
_JOINER_WORDS = re.compile(r"[A-Za-z]+")


def boxed_answer(text: str) -> str | None:
    """The last boxed answer; several boxes written together at the end are one answer, the set of
    their contents (``\\boxed{1}, \\boxed{2}`` -> ``\\{1, 2\\}``); a box repeated verbatim counts once."""
    boxes = _boxes(text)
    if not boxes:
        return None
    group = [boxes[-1]]
    for prev in reversed(boxes[:-1]):
        between = text[prev[1] : group[0][0]]
        if len(between) > 200:
            break
        # joined by punctuation, connectives, labels, or at most three words of one clause ("papers and")
        short = len(_JOINER_WORDS.findall(between)) <= 3 and not re.search(r"[.!?:]\s|\n\s*\n", between)
        if not (_BOX_JOINER.fullmatch(between) or (short and len(between) <= 40)):
            break
        group.insert(0, prev)
    contents = list(dict.fromkeys(c for _, _, c in group if c))
    if len(contents) <= 1:
        return contents[0] if contents else ""  # "": a box with nothing in it
    return "\\{" + ", ".join(contents) + "\\}"


_ANSWER_TAG = re.compile(r"<answer>(.*?)(?:</answer>|$)", re.DOTALL | re.IGNORECASE)
_ENVELOPES = (("$$", "$$"), ("\\[", "\\]"), ("\\(", "\\)"), ("$", "$"))
_COMMAND_ARG = re.compile(r"\\(?:begin|end)\{[^{}]*\}(?:\{[^{}]*\})?")
_TEXT_ARG = re.compile(rf"\\(?:{TEXT_CMDS})\s*\{{[^{{}}]*\}}")
_WORD = re.compile(r"(?<![\\a-zA-Z])[a-zA-Z]{2,}")
# Words that may stand in an answer that is maths, not prose: connectives, functions, operators.
_MATH_WORDS = frozenset(
    [
        "and",
        "or",
        "sin",
        "cos",
        "tan",
        "cot",
        "sec",
        "csc",
        "arcsin",
        "arccos",
        "arctan",
        "sinh",
        "cosh",
        "tanh",
        "log",
        "ln",
        "lg",
        "exp",
        "sqrt",
        "max",
        "min",
        "gcd",
        "lcm",
        "det",
        "mod",
        "pmod",
        "deg",
        "lim",
        "inf",
        "sup",
        "arg",
        "dim",
        "ker",
    ]
)
MAX_BARE = 400
_CUE_WORDS = frozenset(
    [
        "answer",
        "is",
        "are",
        "the",
        "so",
        "thus",
        "therefore",
        "hence",
        "equals",
        "total",
        "result",
        "final",
        "get",
        "got",
        "we",
        "it",
    ]
)


def _unwrap(text: str) -> str:
    s = text.strip()
    for _ in range(3):
        before = s
        s = s.strip().rstrip(".").strip()
        for a, b in _ENVELOPES:
            if s.startswith(a) and s.endswith(b) and len(s) > len(a) + len(b):
                inner = s[len(a) : -len(b)]
                if a == "$" and "$" in inner:
                    continue  # "$a$ and $b$": two spans, not one
                s = inner.strip()
        if s == before:
            break
    return s


def bare_answer(text: str) -> str | None:
    """``text`` itself when it is an answer and not a sentence about one: an expression, a relation, a
    list, a matrix, or a short text answer (``odd``, ``\\text{E}``), in or out of ``$..$``, ``$$..$$``,
    ``\\(..\\)``, ``\\[..\\]``. Prose (words that are not maths) or more than one line says it is not."""
    s = _unwrap(text)
    if not s or len(s) > MAX_BARE or "\\boxed" in s or "\\fbox" in s:
        return None
    probe = _COMMAND_ARG.sub(" ", s)
    if "\n" in re.sub(r"\\\\\s*\n", " ", probe).strip():
        return None
    probe = _TEXT_ARG.sub(" T ", probe)
    words = [w for w in _WORD.findall(probe) if w.lower() not in _MATH_WORDS]
    if not words:
        return s
    # a short text answer: "odd", "no solution", "Friday", "June 20" (no sentence punctuation, no cue
    # words; with a number, two words at most: "Antonella earned 450" is a sentence)
    limit = 2 if re.search(r"\d", s) else 3
    if (
        len(s.split()) <= limit
        and not re.search(r"[.!?:;]", s)
        and not any(w.lower() in _CUE_WORDS for w in words)
    ):
        return s
    return None


# "Mr. Boarden needs 576 tiles": a title's period does not end the sentence.
_ABBREVIATIONS = ("Mr", "Mrs", "Ms", "Dr", "St", "Jr", "Sr", "Mt", "vs", "etc", "No", "approx")
_NOT_ABBREVIATION = "".join(rf"(?<!\b{a})" for a in _ABBREVIATIONS)
_SENTENCE_END = re.compile(
    r"(?<=[.!?])" + "".join(rf"(?<!\b{a}\.)" for a in _ABBREVIATIONS) + r"\s+(?=[A-Z\\$])|\n+"
)


def _clip_phrase(s: str) -> str:
    """Cut an answer phrase at the end of its sentence; keep decimals such as 3.5 intact."""
    s = s.split("\n")[0] if not s.lstrip().startswith(("$$", "\\[")) else s
    s = re.split(rf"{_NOT_ABBREVIATION}\.\s+(?=[A-Z])|\.\s*$|\s+I hope it is correct", s)[0]
    s = re.split(r",?\s+(?:i\.\s?e\.|e\.\s?g\.|that is|which is|or equivalently)[\s,]", s)[
        0
    ]  # "x = 1/2, i.e. 0.5"
    return s.strip().rstrip(".").strip()


def answer_phrase(text: str) -> str | None:
    matches = list(ANSWER_IS_RE.finditer(text))
    for m in reversed(matches):
        tail = text[m.end() : m.end() + 500]
        if tail.lstrip().startswith(("$$", "\\[")):
            close = re.search(r"\$\$|\\\]", tail.lstrip()[2:])
            candidate = tail.lstrip()[2 : 2 + close.start()] if close else tail
        else:
            candidate = _clip_phrase(tail)
        candidate = candidate.strip().strip("*").strip()  # "**Answer:** 7"
        if candidate and re.search(r"[0-9A-Za-z\\]", candidate):
            if bare_answer(normalize(candidate)) is None:  # "Verna received $7.00 in change": its value
                return last_sentence_answer(candidate) or candidate
            return candidate
    return None


MATH_SPAN_RE = re.compile(
    r"\\\((.+?)\\\)|\\\[(.+?)\\\]|\$\$(.+?)\$\$|(?<![\\$])\$([^$]+?)\$(?!\$)"
    # LaTeX written outside any math span: "so x = \\frac{10}{9}", "\\sqrt{2}/2"
    # (a coefficient starts after a non-digit: a run of digits is never rescanned from every position)
    r"|((?<!\d)-?\d{0,12}\s*\\[dt]?frac\s*\{[^{}]*\}\s*\{[^{}]*\}|(?<!\d)-?\d{0,12}\s*\\sqrt\s*\{[^{}]*\}(?:\s*/\s*\d+)?)",
    re.DOTALL,
)


_CONCLUSION = re.compile(
    r"\b(?:therefore|thus|hence|so|in conclusion|finally|consequently)\b[^.!?]*(?::|\bis|\bare|=)\s*$",
    re.IGNORECASE,
)


_CONCLUDES = re.compile(r"(?:therefore|thus|hence|so|in conclusion|finally|consequently)\b", re.IGNORECASE)


_PLURAL = re.compile(r"\b(?:are|were|numbers|values|solutions|roots|answers|zeros|both)\b", re.IGNORECASE)
_SPAN_JOINER = re.compile(r"\s*(?:,|;|,?\s*(?:and|or))\s*", re.IGNORECASE)


def last_sentence_answer(text: str) -> str | None:
    """The answer stated by the last sentence that holds maths or a number (rule 4 of the docstring)."""
    tail = text[-MAX_SCAN:]
    # Split outside display maths only: protect \[ ... \] blocks from the sentence splitter.
    blocks = re.split(r"(\\\[.*?\\\]|\$\$.*?\$\$)", tail, flags=re.DOTALL)
    sentences: list[str] = []
    displays: set[int] = set()
    for i, block in enumerate(blocks):
        if i % 2:
            displays.add(len(sentences))
            sentences.append(block)
        else:
            sentences.extend(s for s in _SENTENCE_END.split(block) if s.strip())
    # "Therefore, the function is: \\[f(x) = -x + 1.\\] This function is injective (slope \\(-1\\))...": a
    # display introduced by a concluding sentence is the answer, whatever remarks follow it.
    for k in sorted(displays, reverse=True)[:2]:
        later = sentences[k + 1 :]
        if (
            k > 0
            and k >= len(sentences) - 4
            and _CONCLUSION.search(sentences[k - 1])
            and not any(_CONCLUDES.match(s.strip()) for s in later)  # a later conclusion states it instead
        ):
            inner = sentences[k][2:-2].strip().rstrip(".,").strip()
            if re.search(r"[0-9]|\\(?:frac|sqrt|pi|infty)", inner):
                return inner
    for sentence in reversed(sentences):
        bold = [b.strip() for b in re.findall(r"\*\*(.+?)\*\*", sentence) if re.search(r"[0-9\\]", b)]
        if bold:
            return bold[-1].strip("$ ")
        matches = [m for m in MATH_SPAN_RE.finditer(sentence)]
        spans = [(m.start(), m.end(), next(g for g in m.groups() if g is not None).strip()) for m in matches]
        spans = [(i, j, s) for i, j, s in spans if re.search(r"[0-9]|\\(?:frac|sqrt|pi|infty)", s)]
        plain = MATH_SPAN_RE.sub(lambda m: " " * (m.end() - m.start()), sentence)
        numbers = list(NUMBER_RE.finditer(plain))
        if spans and (not numbers or spans[-1][0] > numbers[-1].start()):
            # "the roots are $x=1$ and $x=-4$": spans joined by and/or/commas give the answer together
            group = [spans[-1]]
            for prev in reversed(spans[:-1]):
                if not _SPAN_JOINER.fullmatch(sentence[prev[1] : group[0][0]]):
                    break
                group.insert(0, prev)
            if len(group) > 1:
                return "\\{" + ", ".join(s for _, _, s in group) + "\\}"
            return spans[-1][2]
        if not numbers:
            continue
        # "the two numbers are 3 and 5", "the roots are -2, 1 and 4": the sentence lists several values
        if _PLURAL.search(plain) and "=" not in plain:
            listed = [numbers[-1]]
            for prev in reversed(numbers[:-1]):
                if not _SPAN_JOINER.fullmatch(plain[prev.end() : listed[0].start()]):
                    break
                listed.insert(0, prev)
            if len(listed) > 1:
                return "\\{" + ", ".join(m.group(0) for m in listed) + "\\}"
        eq = plain.rfind("=")
        if eq >= 0:
            after = [m for m in numbers if m.start() > eq]
            if after:
                return after[0].group(0)
        for m in reversed(numbers):
            if CUE_RE.search(plain[max(0, m.start() - 60) : m.start()]):
                return m.group(0)
        return numbers[-1].group(0)
    return None


# Special tokens a decoder may leave in the text ("72</s>", "<|im_end|>", "<|im_start|>user"): not content.
_SPECIAL_TOKENS = re.compile(
    r"<\|[A-Za-z0-9_]{1,40}\|>(?:user|assistant|system)?|</?s>|<eos>|<pad>|<end_of_turn>"
)


def extract_answer(text: str, *, tags: bool = True) -> tuple[str, str] | None:
    """``(answer_text, rule)`` for a completion, or None when no rule finds an answer."""
    if "<" in text:
        text = _SPECIAL_TOKENS.sub(" ", text)
    tagged = tags and ("<answer>" in text or "<ANSWER>" in text or "<Answer>" in text)
    found = list(_ANSWER_TAG.finditer(text[-MAX_SCAN:])) if tagged else []
    if found and found[-1].group(1).strip():  # <answer>..</answer>: the answer is in there, in any form
        inner = extract_answer(found[-1].group(1).replace("<answer>", " "), tags=False)
        if inner is not None:
            return inner[0], f"answer_tag_{inner[1]}"
    boxed = boxed_answer(text)
    tail = text[-MAX_SCAN:]
    if boxed:
        # Minerva's "Final Answer: The final answer is X. I hope it is correct." after working in which
        # intermediate results were boxed: the stated final answer wins over the last box.
        final = list(_FINAL_ANSWER_RE.finditer(tail))
        boxes = _boxes(tail)
        if final and boxes and final[-1].start() > boxes[-1][1]:
            phrase = answer_phrase(tail[final[-1].start() :])
            if phrase and normalize(phrase) != normalize(boxed):
                return phrase, "final_answer"
        return boxed, "boxed"
    phrase = answer_phrase(tail)
    if phrase:
        boxed_inner = last_boxed(phrase)
        return (boxed_inner or phrase), "answer_phrase"
    gsm8k = list(GSM8K_RE.finditer(tail))
    if gsm8k:
        return gsm8k[-1].group(1).strip(), "gsm8k"
    a_colon = list(A_COLON_RE.finditer(tail))
    if a_colon:
        return a_colon[-1].group(1).strip(), "a_colon"
    bare = bare_answer(tail)
    if bare is not None:
        return bare, "bare"
    answer = last_sentence_answer(tail)
    if answer is not None:
        return answer, "last_sentence"
    return None
