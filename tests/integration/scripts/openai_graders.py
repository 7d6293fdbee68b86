"""Run inside the openai SDK test venv: the SDK's own graders client against a running ``rewardlab serve``.

``python openai_graders.py <server_url>``: ``OpenAI(base_url=<server_url>/v1)``, then
``client.fine_tuning.alpha.graders.run(...)`` / ``.validate(...)`` with graders written in the SDK's
typed form (``openai.types.graders.*Param``). Every raw ``run`` reply is also validated strictly
against the SDK's ``GraderRunResponse``. Prints one JSON object on the last line of stdout.
"""

from __future__ import annotations

import json
import sys

import openai
from openai import OpenAI
from openai.types.fine_tuning.alpha import GraderRunResponse, GraderValidateResponse
from openai.types.graders import MultiGraderParam, PythonGraderParam, StringCheckGraderParam

URL = sys.argv[1]
client = OpenAI(base_url=f"{URL}/v1", api_key="not-needed", max_retries=0, timeout=120)

exact: StringCheckGraderParam = {
    "type": "string_check",
    "name": "exact",
    "input": "{{ sample.output_text }}",
    "reference": "{{ item.answer }}",
    "operation": "eq",
}
multi: MultiGraderParam = {
    "type": "multi",
    "name": "doubled",
    "graders": exact,
    "calculate_output": "2 * exact",
}
broken: MultiGraderParam = {**multi, "name": "broken", "calculate_output": "exact / 0"}
python: PythonGraderParam = {
    "type": "python",
    "name": "length",
    "source": "def grade(sample, item):\n    return min(1.0, len(sample['output_text']) / 10)\n",
}
loops: PythonGraderParam = {
    "type": "python",
    "name": "loops",
    "source": "def grade(sample, item):\n    while True:\n        pass\n",
}


def run(grader, sample: str, item: dict) -> dict:
    raw = client.fine_tuning.alpha.graders.with_raw_response.run(
        grader=grader, model_sample=sample, item=item
    )
    body = json.loads(raw.text)
    GraderRunResponse.model_validate(body, strict=False)  # every field the SDK requires, with its type
    typed = raw.parse()
    assert isinstance(typed, GraderRunResponse)
    errors = {k: v for k, v in typed.metadata.errors.model_dump().items() if v is True}
    return {"reward": typed.reward, "sub_rewards": typed.sub_rewards, "errors": sorted(errors)}


out = {
    "run": {
        "exact_hit": run(exact, "42", {"answer": "42"}),
        "exact_miss": run(exact, "41", {"answer": "42"}),
        "multi": run(multi, "42", {"answer": "42"}),
        "multi_formula_error": run(broken, "42", {"answer": "42"}),
        "python": run(python, "hello", {}),
        "python_timeout": run(loops, "hello", {}),
    }
}
validated = client.fine_tuning.alpha.graders.validate(grader=multi)
assert isinstance(validated, GraderValidateResponse)
out["validate_multi"] = validated.grader.model_dump() if validated.grader else None
try:
    client.fine_tuning.alpha.graders.validate(grader={**exact, "operation": "nope"})
    out["validate_bad"] = "accepted"
except openai.UnprocessableEntityError as exc:
    out["validate_bad"] = {"status": exc.status_code, "body": exc.body}
print(json.dumps(out))
