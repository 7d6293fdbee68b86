"""Built-in rewards. This module only registers names; each reward's module is imported on first use."""

from __future__ import annotations

from rewardlab.core.registry import REGISTRY

# name -> (target, one-line doc, group). Targets are imported lazily by the registry.
BUILTINS: dict[str, tuple[str, str, str]] = {
    "majority_vote": (
        "rewardlab.rewards.group:MajorityVote",
        "1.0 when the rollout's answer is its group's majority answer (math-equivalent): label-free RLVR",
        "group",
    ),
    "group_diversity": (
        "rewardlab.rewards.group:GroupDiversity",
        "leave-one-out share of the group's Vendi score (n-gram or custom similarity)",
        "group",
    ),
    "group_coverage": (
        "rewardlab.rewards.group:GroupCoverage",
        "marginal gain in weighted coverage of facts across the group (submodular)",
        "group",
    ),
    "self_certainty": (
        "rewardlab.rewards.group:SelfCertainty",
        "label-free confidence from token log-probs (self-certainty, -entropy, mean log-prob)",
        "group",
    ),
    "global_novelty": (
        "rewardlab.rewards.group:GlobalNovelty",
        "1/sqrt(1 + count) of the rollout's features in a NoveltyMemory kept across steps",
        "group",
    ),
    "episodic_novelty": (
        "rewardlab.rewards.group:EpisodicNovelty",
        "share of an episode's turns that say something new within the episode",
        "group",
    ),
    "combined_novelty": (
        "rewardlab.rewards.group:CombinedNovelty",
        "global x episodic novelty (or their sum)",
        "group",
    ),
    "move_repetition": (
        "rewardlab.rewards.group:MoveRepetition",
        "penalty factor for repeated discourse moves across turns (MINT)",
        "group",
    ),
    "information_gain": (
        "rewardlab.rewards.group:InformationGain",
        "entropy reduction over a hypothesis set, turn by turn, from a posterior callable",
        "group",
    ),
    "judge_label": (
        "rewardlab.judges.rewards:JudgeLabel",
        "1.0 when an LLM judge says the completion is correct (against the reference); guarded",
        "judges",
    ),
    "judge_score": (
        "rewardlab.judges.rewards:JudgeScore",
        "an LLM judge's score on a scale (default 1-10), normalised to [0, 1]; guarded",
        "judges",
    ),
    "judge_pairwise": (
        "rewardlab.judges.rewards:JudgePairwise",
        "an LLM judge's preference against a baseline, both orders (1 win, 0.5 tie, 0 loss); guarded",
        "judges",
    ),
    "judge_principles": (
        "rewardlab.judges.rewards:JudgePrinciples",
        "share of user-chosen binary principles an LLM judge says the completion meets (RLBFF)",
        "judges",
    ),
    "genrm_verdict": (
        "rewardlab.judges.rewards:GenRMVerdict",
        '1.0 when the completion\'s verdict ([[A]], {"winner": ...}) matches the preference label',
        "judges",
    ),
    "openai_grader": (
        "rewardlab.rewards.graders:OpenAIGrader",
        "an OpenAI grader definition (string_check, text_similarity, python, multi, score_model, label_model)",
        "graders",
    ),
    "math": (
        "rewardlab.rewards.math:MathReward",
        "1.0 if the final answer (\\boxed{}, ####, 'the answer is', last number) equals the reference",
        "math",
    ),
    "think_answer_format": (
        "rewardlab.rewards.format:ThinkAnswerFormat",
        "1.0 if the completion is <think>...</think><answer>...</answer> (tags configurable)",
        "format",
    ),
    "boxed_format": (
        "rewardlab.rewards.format:BoxedFormat",
        "1.0 if the completion gives its final answer in a balanced \\boxed{}",
        "format",
    ),
    "regex_match": (
        "rewardlab.rewards.format:RegexMatch",
        "1.0 if a regular expression matches the completion",
        "format",
    ),
    "json_valid": (
        "rewardlab.rewards.format:JsonValid",
        "1.0 if the completion (or its fenced block) is valid JSON",
        "format",
    ),
    "json_schema": (
        "rewardlab.rewards.format:JsonSchema",
        "1.0 if the completion's JSON validates against a JSON schema (option or reference)",
        "format",
    ),
    "choice": (
        "rewardlab.rewards.text:MultipleChoice",
        "1.0 if the extracted multiple-choice letter equals the reference",
        "text",
    ),
    "exact_match": (
        "rewardlab.rewards.text:ExactMatch",
        "1.0 if the normalised completion equals a reference string",
        "text",
    ),
    "token_f1": ("rewardlab.rewards.text:TokenF1", "SQuAD-style token F1 against the reference(s)", "text"),
    "fuzzy_ratio": (
        "rewardlab.rewards.text:FuzzyRatio",
        "rapidfuzz similarity ratio in [0, 1] against the reference(s)",
        "text",
    ),
    "bleu": (
        "rewardlab.rewards.text:Bleu",
        "sentence BLEU (sacrebleu) in [0, 1] against the reference(s)",
        "text",
    ),
    "chrf": (
        "rewardlab.rewards.text:ChrF",
        "sentence chrF (sacrebleu) in [0, 1] against the reference(s)",
        "text",
    ),
    "rouge": (
        "rewardlab.rewards.text:Rouge",
        "ROUGE F-measure (rouge-score) against the reference(s)",
        "text",
    ),
    "overlong_penalty": (
        "rewardlab.rewards.length:OverlongPenalty",
        "DAPO soft overlong punishment: 0 when short, linear to -1 in the last `cache` units",
        "length",
    ),
    "cosine_length": (
        "rewardlab.rewards.length:CosineLength",
        "cosine length-scaled correctness (Yeo et al. 2025): short correct > long correct, long wrong > short wrong",
        "length",
    ),
    "repetition_penalty": (
        "rewardlab.rewards.length:RepetitionPenalty",
        "n-gram repetition penalty in [max_penalty, 0] (Yeo et al. 2025)",
        "length",
    ),
    "gui_point": (
        "rewardlab.rewards.gui:GuiPoint",
        "1.0 if the predicted click point (or box centre) lies in the target box (pixel/0-1/0-1000 coords)",
        "gui",
    ),
    "gui_iou": (
        "rewardlab.rewards.gui:GuiIoU",
        "IoU of the predicted box with the target box, with a box-inflation guard (GUI-G1)",
        "gui",
    ),
    "gui_gaussian": (
        "rewardlab.rewards.gui:GuiGaussian",
        "GUI-G2 Gaussian point reward (sigma from element size), optionally mixed with Gaussian coverage",
        "gui",
    ),
    "gui_action": (
        "rewardlab.rewards.gui:GuiAction",
        "Mobile-R1 action match: action type plus arguments (point in box, swipe direction, text)",
        "gui",
    ),
    "sql": (
        "rewardlab.rewards.sql:SqlReward",
        "execution match of the completion's SQL with the gold query on a read-only SQLite database",
        "sql",
    ),
    "tool_call": (
        "rewardlab.rewards.tools:ToolCallReward",
        "ToolRL-style partial credit for tool calls vs a BFCL gold answer (format, name, param names, values)",
        "tools",
    ),
    "bfcl": (
        "rewardlab.rewards.tools:BfclReward",
        "1.0 if the tool calls match a BFCL gold answer (AST match, parallel/multiple/irrelevance), else 0.0",
        "tools",
    ),
    "checklist": (
        "rewardlab.rewards.checklist:Checklist",
        "weighted/gated fraction of passed criteria (regex, contains, JSON path, reward, judge), per turn",
        "checklist",
    ),
    "evidence_recall": (
        "rewardlab.rewards.search:EvidenceRecall",
        "fraction of gold evidence ids the answer cites ([1], [doc3], <cite>id</cite>)",
        "search",
    ),
    "citation_precision": (
        "rewardlab.rewards.search:CitationPrecision",
        "fraction of the answer's citations that are gold evidence ids",
        "search",
    ),
    "citation_f1": (
        "rewardlab.rewards.search:CitationF1",
        "F1 of the answer's citations against the gold evidence ids",
        "search",
    ),
    "abstention": (
        "rewardlab.rewards.search:AbstentionReward",
        "abstention-aware correctness: right answer/abstention rewarded, hallucination penalised",
        "search",
    ),
    "code": (
        "rewardlab.rewards.code:CodeTests",
        "fraction of tests (HumanEval check, MBPP asserts, stdin/stdout) the completion's code passes in the sandbox",
        "code",
    ),
    "code_strict": (
        "rewardlab.rewards.code:code_strict",
        "1.0 if the completion's code passes every test in the sandbox, else 0.0",
        "code",
    ),
    "reward_model": (
        "rewardlab.models.reward:RewardModel",
        "a saved reward model (Bradley-Terry, listwise, PRM, implicit PRM, K-head or attribute checkpoint, or a "
        "list of them as an ensemble) scoring prompt + completion",
        "models",
    ),
    "pal_reward": (
        "rewardlab.models.pal_reward:PalReward",
        "a saved PAL pluralistic reward model: -||f(prompt, completion) - a_u||^2 for the sample's user",
        "models",
    ),
    "reference_likelihood": (
        "rewardlab.models.likelihood:ReferenceLikelihood",
        "log p(reference | prompt + completion + bridge) under a causal LM (sum or per-token mean)",
        "models",
    ),
}

for _name, (_target, _doc, _group) in BUILTINS.items():
    if _name not in REGISTRY:
        REGISTRY.register(_name, _target, doc=_doc, group=_group)
