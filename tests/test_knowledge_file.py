"""One knowledge file for everything: with KNOWLEDGE_FILE pointing at another
file, `make build` builds the spaCy pipeline from it (and rebuilds when the
variable changes), the action server answers from it and the report names it.

The other file is a copy of the real one with one credential alias and one
fact text changed."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Dict, Iterator, Optional

import pytest
import requests
import yaml

from actions.knowledge import DEFAULT_PATH, KNOWLEDGE_FILE_ENV
from stack.net import free_port
from stack.process import Stack
from tests.helpers import ROOT
from tests.helpers.trackers import entity, make_tracker

OLD_ALIAS, NEW_ALIAS = "PMP cert", "Zorblax credential"
NEW_COST, NEW_COST_MARK = "the exam fee in this copy is 999 zorblax coins", "999 zorblax coins"


@pytest.fixture(scope="module")
def other_file(tmp_path_factory) -> Path:
    data = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))
    pmp = data["credentials"]["pmp"]
    pmp["aliases"] = [NEW_ALIAS if a == OLD_ALIAS else a for a in pmp["aliases"]]
    assert NEW_ALIAS in pmp["aliases"]
    pmp["facts"]["cost"]["text"] = NEW_COST
    path = tmp_path_factory.mktemp("knowledge") / "other.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def make_build(spacy_dir: Path, knowledge_file: Optional[Path]) -> subprocess.CompletedProcess:
    """`make build` into spacy_dir (not the project's build/spacy), as a user types it."""
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", KNOWLEDGE_FILE_ENV)}
    if knowledge_file is not None:
        env[KNOWLEDGE_FILE_ENV] = str(knowledge_file)
    # -o: never reinstall the virtual environment here
    return subprocess.run(["make", "--no-print-directory", "-o", ".venv/.installed", "build", f"SPACY_DIR={spacy_dir}"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def credentials_in(nlp, text: str) -> Dict[str, str]:
    return {ent.text: ent.ent_id_ for ent in nlp(text).ents if ent.label_ == "credential"}


def test_make_build_takes_the_pipeline_from_knowledge_file_and_rebuilds_when_it_changes(other_file, tmp_path):
    import spacy

    spacy_dir = tmp_path / "spacy"
    question = f"how much is the {NEW_ALIAS}?"

    built = make_build(spacy_dir, other_file)
    assert built.returncode == 0, built.stdout + built.stderr
    assert f"from {other_file}" in built.stdout
    assert credentials_in(spacy.load(spacy_dir), question) == {NEW_ALIAS: "pmp"}

    again = make_build(spacy_dir, other_file)
    assert again.returncode == 0 and "spaCy pipeline" not in again.stdout, again.stdout  # up to date

    back = make_build(spacy_dir, None)  # KNOWLEDGE_FILE unset: the project's file, older than the build
    assert back.returncode == 0, back.stdout + back.stderr
    assert f"from {DEFAULT_PATH}" in back.stdout
    assert credentials_in(spacy.load(spacy_dir), question) == {}


@pytest.fixture(scope="module")
def action_server(other_file, tmp_path_factory) -> Iterator[Stack]:
    """The action server as `make run` starts it, with KNOWLEDGE_FILE set."""
    stack = Stack(action_port=free_port(), log_dir=tmp_path_factory.mktemp("actions") / "logs",
                  extra_env={KNOWLEDGE_FILE_ENV: str(other_file)})
    try:
        stack.start_actions()
        yield stack
    finally:
        stack.stop()


def test_the_action_server_answers_from_knowledge_file(action_server):
    text = "how much is the PMP?"
    tracker = make_tracker(text, "ask_cost", [entity("credential", "PMP", text)])
    call = {"next_action": "action_answer_attribute", "sender_id": tracker.sender_id,
            "tracker": tracker.current_state(), "domain": {}, "version": "3.6.2"}
    r = requests.post(f"{action_server.action_url}/webhook", json=call, timeout=30)
    assert r.status_code == 200, r.text
    answer = "\n".join(m.get("text") or "" for m in r.json()["responses"])
    assert NEW_COST_MARK in answer, answer


def test_the_report_names_knowledge_file(other_file, monkeypatch):
    from reporting.render import knowledge_file_name

    monkeypatch.delenv(KNOWLEDGE_FILE_ENV, raising=False)
    assert knowledge_file_name() == "knowledge/credentials.yml"
    monkeypatch.setenv(KNOWLEDGE_FILE_ENV, str(other_file))
    assert knowledge_file_name() == str(other_file)
