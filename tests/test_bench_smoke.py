"""`make bench` in miniature: the same code with tiny counts and no training.

Both bots (ours and the stock `rasa init` bot, built once in
~/.cache/microcred-bench) are served side by side; the test checks that the
run completes, writes its three outputs, has every section the full run has,
and that no request failed. Timing figures are not asserted (they are figures,
not tests; see docs/BENCHMARKS.md).
"""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest

from tests.helpers import MODEL, ROOT


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: run the tests through `make test`, which trains it")
    out = tmp_path_factory.mktemp("bench")
    # the first run on a machine also creates and trains the stock bot (~1 min)
    proc = subprocess.run([sys.executable, "-m", "bench.run", "--smoke", "--quiet", "--out-dir", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=540)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    return out, json.loads((out / "results.json").read_text())


def _number(v) -> bool:
    return isinstance(v, (int, float)) and not (isinstance(v, float) and math.isnan(v))


def test_outputs_written(smoke):
    out, _ = smoke
    assert (out / "latency.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    md = (out / "BENCHMARKS.md").read_text()
    assert "<!-- bench:begin" in md and "ours/stock" in md and "cores" in md


def test_results_structure(smoke):
    _, r = smoke
    assert r["meta"]["mode"] == "smoke" and r["meta"]["cores"] >= 1 and r["meta"]["date"]
    for bot in ("ours", "stock"):
        assert _number(r["startup"][bot]["rasa_to_first_answer_s"])
        for section in ("single_user", "parse_floor"):
            s = r[section][bot]
            assert s["n"] > 0 and all(_number(s[k]) for k in ("p50_ms", "p95_ms", "p99_ms")), (section, bot, s)
        levels = r["concurrency"][bot]
        assert [row["users"] for row in levels] == r["meta"]["settings"]["users"]
        assert all(_number(row["msgs_per_s"]) and row["msgs_per_s"] > 0 and _number(row["p95_ms"]) for row in levels)
        assert _number(r["memory_mb"][bot]["rasa_server_peak"])
    assert _number(r["memory_mb"]["ours"]["action_server_peak"])
    assert _number(r["startup"]["ours"]["action_server_s"])
    assert set(r["single_user"]["ours"]["by_category"]) >= {"faq", "lookup", "follow-up", "advice", "out-of-scope"}
    assert r["parse_floor"]["unauthorized_without_token"] is True  # the HTTP API is token-protected
    assert "skipped" in r["training"]
    assert _number(r["ratios"]["single_user_p95_ms"]) and _number(r["ratios"]["msgs_per_s_1_users"])
    assert {t["name"] for t in r["targets"]} and all("met" in t for t in r["targets"])


def test_no_errors(smoke):
    _, r = smoke
    for bot in ("ours", "stock"):
        assert r["single_user"][bot]["errors"] == 0, r["single_user"][bot].get("error_examples")
        assert r["parse_floor"][bot]["errors"] == 0, r["parse_floor"][bot].get("error_examples")
        for row in r["concurrency"][bot]:
            assert row["errors"] == 0, row
