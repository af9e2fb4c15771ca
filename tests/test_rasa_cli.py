"""Rasa's own checks, run on the trained model: data validation, the test
stories (NLU + dialogue, every topic) and the held-out NLU file."""

from __future__ import annotations

import json
import subprocess

from stack.env import base_env, rasa_bin
from tests.helpers import MODEL, ROOT

HELDOUT_MIN_ACCURACY = 0.95


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
    assert report["accuracy"] >= HELDOUT_MIN_ACCURACY, \
        f"held-out accuracy {report['accuracy']:.3f}; see {out}/intent_errors.json"
