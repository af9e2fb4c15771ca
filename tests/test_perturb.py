"""The deterministic perturbation generator used by `make eval`."""

from __future__ import annotations

import random

from evaluation.nludata import read_examples, strip_annotations
from evaluation.perturb import contraction, lower, micro_variant, perturb, perturb_all, spelling, typo


def test_same_input_same_output():
    assert perturb("Do micro-credentials expire?", 7) == perturb("Do micro-credentials expire?", 7)
    data = [("do micro-credentials expire", "ask_expiry"), ("hello there", "greet")]
    assert perturb_all(data) == perturb_all(list(data))


def test_every_message_is_changed_and_intents_kept():
    data = [(f"how much does a certificate programme cost number {i}", "ask_cost") for i in range(50)]
    out = perturb_all(data)
    assert all(p != t for (p, _), (t, _) in zip(out, data))
    assert {i for _, i in out} == {"ask_cost"}


def test_typo_changes_one_word_by_one_letter():
    for seed in range(30):
        out = typo("certification expires", random.Random(seed))
        assert out != "certification expires"
        assert abs(len(out) - len("certification expires")) <= 1


def test_operations():
    rng = random.Random(1)
    assert lower("Does The PMP", rng) == "does the pmp"
    assert micro_variant("Micro-credentials and micro credential", rng) in {
        "microcredentials and microcredential", "micro credentials and micro credential"}
    assert spelling("a certificate programme", rng) == "a certificate program"
    assert spelling("my license", rng) == "my licence"
    assert contraction("I am not sure", rng) == "i'm not sure"
    assert contraction("it's fine", rng) == "it is fine"


def test_annotations_are_stripped():
    assert strip_annotations("does the [PMP](credential) expire") == "does the PMP expire"


def test_heldout_file_is_big_enough_for_the_evaluation():
    from pathlib import Path

    held = read_examples([Path(__file__).resolve().parent / "nlu_heldout.yml"])
    assert len(held) >= 250
    assert sum(i == "out_of_scope" for _, i in held) >= 40
