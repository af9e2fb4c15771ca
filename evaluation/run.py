"""`make eval`: measure the assistant's understanding, side by side with a
TF-IDF + logistic-regression baseline on the same split.

Writes Rasa's own reports under results/ (ignored by git) and a summary table
in docs/EVALUATION.md plus docs/fallback_curve.png (committed).

    python -m evaluation.run [--skip-cv]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List, Sequence, Tuple

from actions.disambiguate import ranking_without_fallback
from actions.knowledge import knowledge_path
from evaluation import baseline, longtail, truth
from evaluation.nludata import read_examples, training_files, write_examples
from evaluation.perturb import perturb_all
from stack.env import ROOT, base_env, rasa_bin

RESULTS = ROOT / "results"
DOCS = ROOT / "docs"
HELDOUT = ROOT / "tests" / "nlu_heldout.yml"
MODEL = ROOT / "models" / "assistant.tar.gz"
OOS = "out_of_scope"
HONEST = {"out_of_scope", "not_understood"}


def progress(msg: str) -> None:
    print(f"[eval] {msg}", flush=True)


def rasa(*args: str) -> None:
    proc = subprocess.run([rasa_bin(), *args], cwd=ROOT, env=base_env(), capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-3000:] + proc.stderr[-3000:])
        raise SystemExit(f"rasa {' '.join(args)} failed")


def fingerprint() -> str:
    h = hashlib.sha256()
    for p in [ROOT / "config.yml", ROOT / "domain.yml", *training_files(ROOT), knowledge_path()]:
        h.update(p.read_bytes())
    return h.hexdigest()[:12]


async def _parse_all(texts: Sequence[str], model: Path) -> List[Dict[str, Any]]:
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    return [await agent.parse_message(t) for t in texts]


def parse_all(texts: Sequence[str], model: Path = MODEL) -> List[Dict[str, Any]]:
    """Each text as `model` parses it (intent ranking, entities), in this process."""
    return asyncio.run(_parse_all(texts, model))


def reply_kind(kb, parse: Dict[str, Any]) -> str:
    """What the bot does with this parse: answer an intent, or the fallback decision."""
    from actions.disambiguate import decide

    intent = parse["intent"]["name"]
    if intent == OOS:
        return "out_of_scope"
    if intent == "nlu_fallback":
        return decide(kb, parse.get("intent_ranking") or [], parse.get("entities") or []).action
    return "answer"


# the floors tests/test_rasa_cli.py puts under `rasa test nlu`'s held-out accuracy
# (before the fallback): the original part (an intent split off from the label
# counted right) and the whole file
HELDOUT_ORIGINAL_FLOOR = 0.95
HELDOUT_FLOOR = 0.93

# tests/nlu_heldout.yml: messages above this line were written for the first 33
# intents; those below it for the intents added later (issue 12)
HELDOUT_LATER_MARK = "# ---- written later"


# Issue 12 split some questions off into intents of their own. A message written
# for the first intents is counted right when it gets its label or an intent that
# was split off from that label (e.g. faq_teacher_pd from faq_teachers), so its
# accuracy compares with the figure before the split (95.3%).
SPLIT_FROM: Dict[str, Tuple[str, ...]] = {
    "faq_what_is_certificate": ("faq_what_is",),
    "faq_what_is_certification": ("faq_what_is", "faq_same_as_certification"),
    "faq_certificate_vs_certification": ("faq_same_as_certification",),
    "faq_hold_both": ("faq_same_as_certification", "faq_which_to_choose"),
    "faq_job_guarantee": ("faq_employers_care",),
    "faq_regulated_professions": ("faq_replace_degrees",),
    "faq_web_development": ("faq_replace_degrees", "get_advice"),
    "faq_hiring": ("faq_employers_care",),
    "faq_fields": ("faq_employers_care", "faq_trends"),
    "faq_pay": ("ask_career_impact", "faq_teachers", "faq_employers_care"),
    "faq_provider_trust": ("ask_issuer",),
    "faq_teacher_pd": ("faq_teachers",),
}


def right_under_first_intents(gold: str, predicted: str) -> bool:
    """`predicted` is `gold`, or an intent split off from `gold` by issue 12."""
    return predicted == gold or gold in SPLIT_FROM.get(predicted, ())


def original_heldout_count(path: Path = HELDOUT) -> int:
    """How many held-out messages come before the later additions."""
    text = path.read_text(encoding="utf-8")
    head = text.split(HELDOUT_LATER_MARK, 1)[0]
    return sum(1 for ln in head.splitlines() if ln.strip().startswith("- ") and not ln.strip().startswith("- intent"))


def score(gold: Sequence[str], parses: Sequence[Dict[str, Any]], kb) -> Dict[str, float]:
    n = len(gold)
    pred = [p["intent"]["name"] for p in parses]
    kinds = [reply_kind(kb, p) for p in parses]
    oos_idx = [i for i, g in enumerate(gold) if g == OOS]
    ins_idx = [i for i, g in enumerate(gold) if g != OOS]
    faq_idx = [i for i, g in enumerate(gold) if g.startswith("faq_")]
    ranked = [ranking_without_fallback(p.get("intent_ranking") or []) for p in parses]
    top = [r[0][0] for r in ranked]
    return {
        "n": n,
        "intent_accuracy": sum(pred[i] == gold[i] for i in range(n)) / n,
        "top_intent_accuracy": sum(top[i] == gold[i] for i in range(n)) / n,
        "faq_accuracy": sum(pred[i] == gold[i] for i in faq_idx) / max(1, len(faq_idx)),
        "oos_caught": sum(kinds[i] in HONEST for i in oos_idx) / max(1, len(oos_idx)),
        "inscope_sent_to_oos": sum(kinds[i] in HONEST for i in ins_idx) / max(1, len(ins_idx)),
        "did_you_mean_rate": sum(kinds[i] == "did_you_mean" for i in range(n)) / n,
        "did_you_mean_right": sum(
            kinds[i] == "did_you_mean" and gold[i] in {name for name, _ in ranked[i][:2]}
            for i in range(n)) / max(1, sum(k == "did_you_mean" for k in kinds)),
        "n_oos": len(oos_idx),
    }


def threshold_curve(gold: Sequence[str], parses: Sequence[Dict[str, Any]]) -> List[Dict[str, float]]:
    """For each FallbackClassifier threshold: in-scope fallback rate, accuracy of
    what is still answered, and the share of out-of-scope messages caught."""
    rows = []
    for t in [x / 20 for x in range(0, 20)]:
        answered = correct = ins = fell = oos = caught = 0
        for g, p in zip(gold, parses):
            name, conf = ranking_without_fallback(p.get("intent_ranking") or [])[0]
            falls = conf < t or name == OOS
            if g == OOS:
                oos += 1
                caught += falls
            else:
                ins += 1
                if conf < t:
                    fell += 1
                else:
                    answered += 1
                    correct += name == g
        rows.append({"threshold": t, "fallback_rate": fell / ins, "answered_accuracy": correct / max(1, answered),
                     "oos_caught": caught / max(1, oos)})
    return rows


def plot_curve(rows: List[Dict[str, float]], current: float, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.2))
    xs = [r["fallback_rate"] * 100 for r in rows]
    ax.plot(xs, [r["answered_accuracy"] * 100 for r in rows], "o-", label="accuracy of answered in-scope questions")
    ax.plot(xs, [r["oos_caught"] * 100 for r in rows], "s--", label="out-of-scope messages caught")
    for r in rows:
        if abs(r["threshold"] - current) < 1e-9:
            ax.annotate(f"threshold {current:.2f}", (r["fallback_rate"] * 100, r["answered_accuracy"] * 100),
                        textcoords="offset points", xytext=(10, -20), arrowprops={"arrowstyle": "->"})
    ax.set_xlabel("in-scope questions sent to fallback (%)")
    ax.set_ylabel("%")
    ax.set_title("FallbackClassifier threshold 0.00-0.95 on the held-out file")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def replaced_answers(kb, heldout: Sequence[Tuple[str, str]], parses: Sequence[Dict[str, Any]]) -> Dict[str, Any]:
    """On held-out messages whose intent was classified right (and not sent to the
    fallback), how often the assistant answers something else instead
    (actions/routing.py): a confident, correct intent answer must never be replaced."""
    from actions.routing import reroute
    from actions.subject import subject_of

    right = replaced = 0
    examples: List[str] = []
    for (text, gold), parse in zip(heldout, parses):
        intent = parse["intent"]["name"]
        if intent != gold or intent in ("nlu_fallback", OOS):
            continue
        right += 1
        subject = subject_of(kb, text, parse.get("entities") or [], None)
        if reroute(kb, intent, float(parse["intent"]["confidence"]), text, subject) is not None:
            replaced += 1
            examples.append(f"{text} ({intent}, {parse['intent']['confidence']:.2f})")
    return {"right": right, "replaced": replaced, "examples": examples[:10]}


def run_truth_suite(model: Path = MODEL) -> Dict[str, Any]:
    """The truth suite through the real servers (as `make test` plays it), with `model`."""
    import tempfile

    from stack.net import free_port
    from stack.process import Stack

    tmp = Path(tempfile.mkdtemp(prefix="eval-truth-"))
    action_port, rasa_port = free_port(), free_port()
    endpoints = tmp / "endpoints.yml"
    endpoints.write_text(f"action_endpoint:\n  url: \"http://127.0.0.1:{action_port}/webhook\"\n"
                         f"tracker_store:\n  type: SQL\n  dialect: sqlite\n  db: \"{tmp / 'trackers.db'}\"\n")
    stack = Stack(rasa_port=rasa_port, action_port=action_port, endpoints=str(endpoints), model=str(model),
                  log_dir=tmp / "logs")
    try:
        stack.start()
        verdicts = truth.run_all(stack.rasa_url)
    finally:
        stack.stop()
    out = truth.score(verdicts)
    out["explained"] = [v.explain() for v in verdicts if not v.passed]
    return out


def baseline_scores(train, test_sets: Dict[str, List[Tuple[str, str]]], cv: bool) -> Dict[str, Any]:
    model = baseline.fit(train)
    out: Dict[str, Any] = {}
    for name, data in test_sets.items():
        pred = baseline.predict(model, [t for t, _ in data])
        gold = [i for _, i in data]
        n = len(gold)
        oos = [i for i, g in enumerate(gold) if g == OOS]
        ins = [i for i, g in enumerate(gold) if g != OOS]
        faq = [i for i, g in enumerate(gold) if g.startswith("faq_")]
        out[name] = {
            "intent_accuracy": sum(pred[i][0] == gold[i] for i in range(n)) / n,
            "faq_accuracy": sum(pred[i][0] == gold[i] for i in faq) / max(1, len(faq)),
            "oos_caught": sum(pred[i][0] == OOS for i in oos) / max(1, len(oos)),
            "inscope_sent_to_oos": sum(pred[i][0] == OOS for i in ins) / max(1, len(ins)),
        }
    if cv:
        out["cv"] = baseline.cross_validate(train, folds=3)
    return out


def pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def main(argv: Sequence[str] = ()) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--skip-cv", action="store_true", help="skip the 3-fold cross-validation (slow)")
    ap.add_argument("--render", action="store_true",
                    help="only rewrite docs/EVALUATION.md from the last run's results/summary.json")
    args = ap.parse_args(list(argv))
    if args.render:
        write_markdown(json.loads((RESULTS / "summary.json").read_text()))
        return 0
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if not MODEL.exists():
        raise SystemExit(f"{MODEL} missing: run `make train` first")

    from actions import disambiguate
    from actions.knowledge import load_knowledge
    from actions.patterns import build_pipeline
    from evaluation.entities import entity_scores

    kb = load_knowledge()
    RESULTS.mkdir(exist_ok=True)
    train = read_examples(training_files(ROOT))
    heldout = read_examples([HELDOUT])
    perturbed = perturb_all(heldout)
    perturbed_path = RESULTS / "perturbed_heldout.yml"
    write_examples(perturbed_path, perturbed, "generated by `make eval` (evaluation/perturb.py, seed 13): do not edit")

    progress(f"rasa test nlu on the held-out file ({len(heldout)} messages)")
    shutil.rmtree(RESULTS / "heldout", ignore_errors=True)
    rasa("test", "nlu", "--nlu", str(HELDOUT), "--model", str(MODEL), "--out", str(RESULTS / "heldout"), "--successes")
    progress(f"rasa test nlu on the perturbed copy ({len(perturbed)} messages)")
    shutil.rmtree(RESULTS / "perturbed", ignore_errors=True)
    rasa("test", "nlu", "--nlu", str(perturbed_path), "--model", str(MODEL), "--out", str(RESULTS / "perturbed"))
    cv_rasa = None
    if not args.skip_cv:
        progress("rasa test nlu: 3-fold cross-validation on the training data (trains 3 models, a few minutes)")
        shutil.rmtree(RESULTS / "cv", ignore_errors=True)
        rasa("test", "nlu", "--nlu", "data", "--config", "config.yml", "--cross-validation", "--folds", "3",
             "--out", str(RESULTS / "cv"))
        cv_rasa = json.loads((RESULTS / "cv" / "intent_report.json").read_text())["accuracy"]

    progress("parsing the held-out and perturbed files for the fallback analysis")
    parses = parse_all([t for t, _ in heldout] + [t for t, _ in perturbed])
    p_held, p_pert = parses[: len(heldout)], parses[len(heldout):]
    gold = [i for _, i in heldout]
    ours = {"heldout": score(gold, p_held, kb), "perturbed": score(gold, p_pert, kb)}
    n_orig = original_heldout_count()
    ours["heldout_original"] = score(gold[:n_orig], p_held[:n_orig], kb)
    ours["heldout_original"]["first_intents_accuracy"] = sum(
        right_under_first_intents(g, p["intent"]["name"]) for g, p in zip(gold[:n_orig], p_held[:n_orig])) / n_orig
    ours["heldout_original"]["first_intents_top_accuracy"] = sum(
        right_under_first_intents(g, ranking_without_fallback(p.get("intent_ranking") or [])[0][0])
        for g, p in zip(gold[:n_orig], p_held[:n_orig])) / n_orig
    curve = threshold_curve(gold, p_held)
    import yaml

    config = yaml.safe_load((ROOT / "config.yml").read_text())
    fallback = next(c for c in config["pipeline"] if c["name"] == "FallbackClassifier")
    plot_curve(curve, fallback["threshold"], DOCS / "fallback_curve.png")

    progress("the long-tail passage search: similarity threshold curve")
    sectioned = [(c.ask, c.section) for c in truth.load_cases() if c.section in kb.sources["article"].sections]
    tail = longtail.curve(kb, [t for t, i in heldout if i not in (OOS, "other_language")],
                          [t for t, i in heldout if i == OOS], sectioned)
    replaced = replaced_answers(kb, heldout, p_held)
    progress(f"correct held-out answers replaced by another: {replaced['replaced']} of {replaced['right']}")
    progress(f"the truth suite ({len(truth.load_cases())} questions) through the real servers")
    truth_score = run_truth_suite()

    progress("baseline: TF-IDF + logistic regression on the same split")
    base = baseline_scores(train, {"heldout": heldout, "perturbed": perturbed}, cv=not args.skip_cv)
    ents = entity_scores(build_pipeline(kb), HELDOUT)

    summary = {
        "date": dt.date.today().isoformat(), "fingerprint": fingerprint(), "ours": ours, "baseline": base,
        "cv_rasa": cv_rasa, "entities": ents, "curve": curve, "train_examples": len(train),
        "longtail": tail, "replaced": replaced, "truth": truth_score,
        "fallback": {"threshold": fallback["threshold"], "ambiguity_threshold": fallback["ambiguity_threshold"],
                     "suggest_floor": disambiguate.SUGGEST_FLOOR},
    }
    (RESULTS / "summary.json").write_text(json.dumps(summary, indent=2))
    write_markdown(summary)
    h, pz = ours["heldout"], ours["perturbed"]
    progress(f"held-out intent accuracy {pct(h['intent_accuracy'])}, perturbed {pct(pz['intent_accuracy'])}, "
             f"baseline {pct(base['heldout']['intent_accuracy'])}; wrote docs/EVALUATION.md")
    return 0


def write_markdown(s: Dict[str, Any]) -> None:
    h, pz, b = s["ours"]["heldout"], s["ours"]["perturbed"], s["baseline"]
    bh, bp = b["heldout"], b["perturbed"]
    ents = s["entities"]
    cv_b = b.get("cv", {}).get("accuracy")
    drop = h["intent_accuracy"] - pz["intent_accuracy"]
    bdrop = bh["intent_accuracy"] - bp["intent_accuracy"]

    def mark(ok: bool) -> str:
        return "met" if ok else "**missed**"

    def pct_or_skipped(value: Any) -> str:
        return pct(value) if value is not None else "skipped"

    cred_f1 = ents["credential"]["f1"]
    o = s["ours"]["heldout_original"]
    rows = [
        ("Held-out intent accuracy (after fallback)", pct(h["intent_accuracy"]), pct(bh["intent_accuracy"]),
         "≥ 97%", mark(h["intent_accuracy"] >= 0.97)),
        ("Held-out top-intent accuracy (before fallback)", pct(h["top_intent_accuracy"]), "", "", ""),
        (f"Held-out, the {o['n']} messages written for the first intents (an intent split off from the "
         "label counted right), after / before the fallback",
         f"{pct(o['first_intents_accuracy'])} / {pct(o['first_intents_top_accuracy'])}", "",
         "no drop: ≥ 95.3% / ≥ 95.9%",
         mark(o["first_intents_accuracy"] >= 0.9528 and o["first_intents_top_accuracy"] >= 0.9587)),
        ("FAQ answer accuracy (faq_* messages)", pct(h["faq_accuracy"]), pct(bh["faq_accuracy"]),
         "≥ 95%", mark(h["faq_accuracy"] >= 0.95)),
        ("Credential entity F1 (spaCy entity ruler)", f"{cred_f1:.3f}", "n/a", "≥ 0.95", mark(cred_f1 >= 0.95)),
        ("Kind / field entity F1", f"{ents['kind']['f1']:.3f} / {ents['field']['f1']:.3f}", "n/a", "", ""),
        ("Out-of-scope messages given the honest reply", pct(h["oos_caught"]), pct(bh["oos_caught"]),
         "≥ 98%", mark(h["oos_caught"] >= 0.98)),
        ("In-scope messages given the out-of-scope reply", pct(h["inscope_sent_to_oos"]),
         pct(bh["inscope_sent_to_oos"]), "≤ 2%", mark(h["inscope_sent_to_oos"] <= 0.02)),
        ("\"Did you mean\" shown / right answer among its buttons",
         f"{pct(h['did_you_mean_rate'])} / {pct(h['did_you_mean_right'])}", "", "", ""),
        ("Perturbed held-out intent accuracy", pct(pz["intent_accuracy"]), pct(bp["intent_accuracy"]), "", ""),
        ("Loss on the perturbed copy (points)", f"{100 * drop:.1f}", f"{100 * bdrop:.1f}", "≤ 3", mark(drop <= 0.03)),
        ("3-fold cross-validation accuracy (training data)", pct_or_skipped(s["cv_rasa"]), pct_or_skipped(cv_b),
         "≥ 85%", mark(s["cv_rasa"] is not None and s["cv_rasa"] >= 0.85)),
    ]
    table = ["| measure | Rasa pipeline | TF-IDF + LR baseline | target | |", "|---|---|---|---|---|"]
    table += [f"| {a} | {b_} | {c} | {d} | {e} |" for a, b_, c, d, e in rows]
    curve = ["| threshold | in-scope sent to fallback | accuracy of answered | out-of-scope caught |",
             "|---|---|---|---|"]
    curve += [f"| {r['threshold']:.2f} | {pct(r['fallback_rate'])} | {pct(r['answered_accuracy'])} "
              f"| {pct(r['oos_caught'])} |"
              for r in s["curve"] if round(r["threshold"] * 20) % 2 == 0]
    f = s["fallback"]
    t = s["truth"]
    voices = ", ".join(f"{k.replace('_', ' ')} {v['passed']}/{v['total']}" for k, v in t["by_voice"].items())
    failed = "\n".join(f"- `{x}`" for x in t["failed"]) or "- none"
    r = s["replaced"]
    tail = ["| similarity threshold | out-of-scope given a passage | in-scope given a passage | "
            "passage from the case's section |", "|---|---|---|---|"]
    tail += [f"| {x['threshold']:.2f} | {pct(x['oos_given_passage'])} | {pct(x['inscope_given_passage'])} "
             f"| {pct(x['right_section'])} of {x['n_sectioned_answered']} |" for x in s["longtail"]]
    replaced_list = "; ".join(f"\"{x}\"" for x in r.get("examples", []))
    replaced_list = f": {replaced_list}" if replaced_list else ""
    from actions.retrieval import SIMILARITY_THRESHOLD
    from actions.routing import ATTRIBUTE_ALONE_MIN
    text = f"""# Evaluation

Produced by `make eval` on {s['date']} (config and data fingerprint `{s['fingerprint']}`,
{platform.machine()}, {os.cpu_count()} cores). {s['ours']['heldout']['n']} held-out messages
(`tests/nlu_heldout.yml`, written apart from the training data, {s['ours']['heldout']['n_oos']} of
them out of scope), {s['train_examples']} training examples. Rasa's own reports, the confusion
matrix, histogram and misclassified messages are in `results/` (not committed).

{chr(10).join(table)}

Notes
- The FAQ answers are plain intents (`faq_*`), not a retrieval intent with a ResponseSelector, so
  the "FAQ answer accuracy" is the intent accuracy on the FAQ messages, and the gate on the
  answer's confidence (RasaHQ/rasa#9751) is the FallbackClassifier on that same intent: there
  is no second, unchecked classifier choosing the answer.
- "Honest reply" counts `out_of_scope` and the fallback's "not understood" reply (top
  confidence below {f['suggest_floor']}); a "Did you mean ...?" is counted separately.
- The perturbed copy is generated deterministically (`evaluation/perturb.py`, seed 13): two or
  three of typo (swap/drop/double a letter), lower case, "micro-credential" without hyphen or
  space, British/American spelling, contraction, and at least one typo.
- Rasa's `rasa test nlu` skips `SpacyEntityExtractor` (it treats it as pretrained), so the
  entity figures come from `evaluation/entities.py` on the held-out file's annotations.

## The truth suite

{t['total']} careful questions in five voices (`tests/truth/cases.yml`, written from the
article alone, apart from the training data), each with the claims its reply must make and must
not make, played through the real Rasa and action servers: **{t['passed']}/{t['total']} pass**
({voices}). Failing cases:
{failed}

## Held-out accuracy before and after the new intents

The first {o['n']} held-out messages are the set written for the first 33 intents (where the
accuracy was 95.3% after the fallback and 95.9% before it, before "Every answer true to the
article"); the rest were written later for the new intents. On the original part, counting an
intent split off from a message's label as right (`SPLIT_FROM` in `evaluation/run.py`: e.g.
`faq_teacher_pd` from `faq_teachers`): **{pct(o['first_intents_accuracy'])}** after the fallback,
the figure comparable with 95.3% (against the exact label: {pct(o['intent_accuracy'])}), and
**{pct(o['first_intents_top_accuracy'])}** before it (the top intent, as `rasa test nlu` counts),
comparable with 95.9%; on the whole set ({h['n']} messages): **{pct(h['intent_accuracy'])}**.
`tests/test_rasa_cli.py` and `make review`'s gate use `rasa test nlu`'s figures (before the
fallback): the test floors them at {pct(HELDOUT_ORIGINAL_FLOOR)} (original part) and
{pct(HELDOUT_FLOOR)} (whole set), so that a change cannot lose more than that unnoticed.

## A confident, correct answer is never replaced

Of the {r['right']} held-out messages whose intent is classified right, **{r['replaced']}** get
another answer instead (a named credential's fact, an idea the article explains, or the
fallback: `actions/routing.py`){replaced_list}. `tests/test_routing.py` checks that none of them
was classified with confidence {ATTRIBUTE_ALONE_MIN} or more (`ATTRIBUTE_ALONE_MIN`): below it, a
question about an attribute that names nothing goes to the fallback on purpose. The long-tail
passage search runs only on the fallback, never on a classified intent.

## The long-tail passage search

When nothing is understood well enough, the best-matching passage of the article
(`knowledge/credentials.yml`, `passages`; TF-IDF over word stems, `actions/retrieval.py`)
answers "Here is what the article says about that: …" if its similarity is at least
**{SIMILARITY_THRESHOLD}**, the lowest threshold at which at most 2% of the held-out
out-of-scope messages would get a passage:

{chr(10).join(tail)}

## Fallback threshold

FallbackClassifier threshold {f['threshold']}, ambiguity threshold {f['ambiguity_threshold']};
"did you mean" offered when the best guess has at least {f['suggest_floor']}.
![accuracy vs fallback rate](fallback_curve.png)

{chr(10).join(curve)}
"""
    (DOCS / "EVALUATION.md").write_text(text + kept_sections(DOCS / "EVALUATION.md"), encoding="utf-8")


HISTORY_HEADING = "## History"
# sections of the page written by hand or by `make review`, kept when `make eval` rewrites it
KEPT_HEADINGS = ("## Classifier variants", "## Fallback thresholds, checked by cross-validation", HISTORY_HEADING)


def kept_sections(path: Path, headings: Sequence[str] = KEPT_HEADINGS) -> str:
    """The page's sections whose heading starts with one of `headings` (the classifier
    variants measured by hand; the "History" rows appended by `make review`,
    reporting/gate.py), each from its heading to the next heading or the end, in that order."""
    if not path.exists():
        return ""
    text = path.read_text(encoding="utf-8")
    out = []
    for heading in headings:
        start = text.find("\n" + heading)
        if start < 0:
            continue
        rest = text[start + 1:]
        end = rest.find("\n## ", len(heading))
        out.append("\n" + (rest if end < 0 else rest[:end + 1]))
    return "".join(out)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
