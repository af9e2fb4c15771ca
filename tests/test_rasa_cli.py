"""Rasa's own checks, run on the trained model: data validation, the test
stories (NLU + dialogue, every topic) and the held-out NLU file."""

from __future__ import annotations

import json
import subprocess

from evaluation.nludata import read_examples
from evaluation.run import HELDOUT_FLOOR, HELDOUT_ORIGINAL_FLOOR, original_heldout_count, right_under_first_intents
from stack.env import base_env, rasa_bin
from tests.helpers import MODEL, ROOT

# `rasa test nlu` counts the top intent (before the fallback). The held-out
# messages written with the first intents scored 95.9% that way (95.3% after the
# fallback) before issue 12's new intents, and issue 12 asks that it not drop below
# that; the floors (evaluation/run.py, where `make eval` reports them) are below
# the figures reached, so that a change cannot lose more than that unnoticed. The
# whole file has the messages written later for the new, finer intents (faq_pay
# vs faq_hiring, faq_teacher_pd vs faq_teachers, ...).


def rasa(*args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run([rasa_bin(), *args], cwd=ROOT, env=base_env(), capture_output=True, text=True,
                          timeout=timeout)


def test_data_validate_without_warnings():
    proc = rasa("data", "validate", "--fail-on-warning")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]


def test_stories_pass_with_no_prediction_error(tmp_path):
    proc = rasa("test", "core", "--stories", "tests/test_stories.yml", "--model", str(MODEL),
                "--fail-on-prediction-errors", "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    report = json.loads((tmp_path / "story_report.json").read_text())
    assert report["conversation_accuracy"]["accuracy"] == 1.0
    assert report["conversation_accuracy"]["total"] >= 20


def test_heldout_intent_accuracy(tmp_path):
    out = ROOT / "results" / "heldout"
    proc = rasa("test", "nlu", "--nlu", "tests/nlu_heldout.yml", "--model", str(MODEL), "--out", str(out))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    report = json.loads((out / "intent_report.json").read_text())
    support = report["weighted avg"]["support"]
    print(f"held-out intent accuracy: {report['accuracy']:.4f} on {support} messages")
    assert support >= 100
    held = read_examples([ROOT / "tests" / "nlu_heldout.yml"])
    original = dict(held[:original_heldout_count()])
    wrong = [e for e in json.loads((out / "intent_errors.json").read_text())
             if e["text"] in original and not right_under_first_intents(original[e["text"]],
                                                                         e["intent_prediction"]["name"])]
    original_accuracy = 1 - len(wrong) / len(original)
    print(f"held-out intent accuracy, messages written with the first intents (an intent split off from "
          f"the label counts as right): {original_accuracy:.4f} on {len(original)} messages")
    assert len(original) > 300
    assert original_accuracy >= HELDOUT_ORIGINAL_FLOOR, [(e["text"], e["intent"]) for e in wrong]
    assert report["accuracy"] >= HELDOUT_FLOOR, \
        f"held-out accuracy {report['accuracy']:.3f}; see {out}/intent_errors.json"
