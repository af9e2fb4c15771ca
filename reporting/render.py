"""The report as one self-contained HTML page: inline CSS and inline SVG
charts, no script, no external resource."""

from __future__ import annotations

import html
from datetime import datetime, timezone
from typing import List, Optional, Sequence, Tuple

from actions.knowledge import knowledge_path
from reporting.analyze import Report
from reporting.grouping import normalise
from reporting.store import ROOT
from reporting.suggest import suggest_group

MAX_GROUPS = 200          # groups shown (most frequent first)
MAX_TEXTS_PER_GROUP = 12  # distinct questions shown per group
MAX_DOWNVOTES = 300

CSS = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d2330;background:#f5f6f8}
main{max-width:1100px;margin:0 auto;padding:24px}
h1{font-size:26px;margin:0 0 4px}h2{font-size:20px;margin:32px 0 8px;border-bottom:2px solid #dde1e8;padding-bottom:4px}
.meta{color:#5b6475;font-size:13px}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:18px 0}
.card{background:#fff;border:1px solid #dde1e8;border-radius:8px;padding:10px 14px;min-width:130px}
.card b{display:block;font-size:22px}.card span{color:#5b6475;font-size:13px}
.notice{background:#fff8e1;border:1px solid #f0d68a;border-radius:8px;padding:12px 16px}
table{border-collapse:collapse;width:100%;background:#fff;border:1px solid #dde1e8}
th,td{text-align:left;padding:6px 10px;border-bottom:1px solid #eceef2;vertical-align:top}
th{background:#eef1f5;font-size:13px}td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.group{background:#fff;border:1px solid #dde1e8;border-radius:8px;padding:10px 14px;margin:10px 0}
.group h3{font-size:16px;margin:0 0 6px}
.group .count{background:#3b5bdb;color:#fff;border-radius:10px;padding:1px 8px;font-size:13px;margin-right:6px}
.group ul{margin:4px 0 0;padding-left:20px}.guess{color:#5b6475;font-size:13px}
.suggested{font-size:13px;margin-top:2px}
.reason{font-size:12px;border-radius:4px;padding:0 5px;background:#eef1f5;color:#3a4254}
.chart{background:#fff;border:1px solid #dde1e8;border-radius:8px;padding:8px}
.legend span{display:inline-block;margin-right:16px;font-size:13px}
.legend i{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:-1px}
code{background:#eef1f5;padding:0 4px;border-radius:3px}
"""

BLUE, GREEN, RED, ORANGE = "#3b5bdb", "#2f9e44", "#e03131", "#f08c00"


def esc(x: object) -> str:
    return html.escape(str(x), quote=True)


def pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def when(ts: Optional[float]) -> str:
    if ts is None:
        return ""
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%d %H:%M")


def _legend(series: Sequence[Tuple[str, str]]) -> str:
    return '<div class="legend">' + "".join(
        f'<span><i style="background:{c}"></i>{esc(n)}</span>' for n, c in series) + "</div>"


def _label(x: str, y: str, anchor: str, text: str) -> str:
    return f'<text x="{x}" y="{y}" font-size="11" text-anchor="{anchor}" fill="#5b6475">{text}</text>'


def _axis_labels(days: Sequence[str], x_of, y0: float) -> str:
    step = max(1, len(days) // 10)
    return "".join(_label(f"{x_of(i):.1f}", f"{y0 + 16:.1f}", "middle", esc(days[i][5:]))
                   for i in range(0, len(days), step))


def _gridline(left: int, w: float, y: float, label: str) -> str:
    """A horizontal line across the chart at y, labelled on the left."""
    return (f'<line x1="{left}" x2="{left + w}" y1="{y:.1f}" y2="{y:.1f}" stroke="#eceef2"/>'
            + _label(f"{left - 6}", f"{y + 4:.1f}", "end", label))


def bar_chart(days: Sequence[str], series: Sequence[Tuple[str, Sequence[float], str]],
              title: str, width: int = 1040, height: int = 240) -> str:
    left, right, top, bottom = 44, 10, 14, 26
    w, h = width - left - right, height - top - bottom
    top_value = max([1.0] + [v for _, vals, _ in series for v in vals])
    n, k = max(1, len(days)), max(1, len(series))
    slot = w / n
    bar = max(1.0, slot * 0.8 / k)
    parts = [f'<svg role="img" aria-label="{esc(title)}" viewBox="0 0 {width} {height}" width="100%">']
    for frac in (0, 0.5, 1):
        y = top + h - frac * h
        parts.append(_gridline(left, w, y, f"{top_value * frac:.0f}"))
    for si, (name, vals, color) in enumerate(series):
        for i, v in enumerate(vals):
            bh = h * v / top_value
            x = left + i * slot + slot * 0.1 + si * bar
            parts.append(f'<rect x="{x:.1f}" y="{top + h - bh:.1f}" width="{bar:.1f}" height="{bh:.1f}" fill="{color}">'
                         f'<title>{esc(days[i])} {esc(name)}: {v:g}</title></rect>')
    parts.append(_axis_labels(days, lambda i: left + (i + 0.5) * slot, top + h))
    parts.append("</svg>")
    return f'<div class="chart">{_legend([(s[0], s[2]) for s in series])}{"".join(parts)}</div>'


def line_chart(days: Sequence[str], series: Sequence[Tuple[str, Sequence[float], str]],
               title: str, width: int = 1040, height: int = 240) -> str:
    """Rates (0..1) per day as lines with dots."""
    left, right, top, bottom = 44, 10, 14, 26
    w, h = width - left - right, height - top - bottom
    top_value = max([0.1] + [v for _, vals, _ in series for v in vals])
    top_value = min(1.0, top_value * 1.1)
    n = max(1, len(days))
    x_of = (lambda i: left + w / 2) if n == 1 else (lambda i: left + i * w / (n - 1))
    parts = [f'<svg role="img" aria-label="{esc(title)}" viewBox="0 0 {width} {height}" width="100%">']
    for frac in (0, 0.5, 1):
        y = top + h - frac * h
        parts.append(_gridline(left, w, y, f"{100 * top_value * frac:.0f}%"))
    for name, vals, color in series:
        pts = [(x_of(i), top + h - h * v / top_value) for i, v in enumerate(vals)]
        if len(pts) > 1:
            parts.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="'
                         + " ".join(f"{x:.1f},{y:.1f}" for x, y in pts) + '"/>')
        if len(pts) <= 120:
            for i, (x, y) in enumerate(pts):
                parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{color}">'
                             f'<title>{esc(days[i])} {esc(name)}: {pct(vals[i])}</title></circle>')
    parts.append(_axis_labels(days, x_of, top + h))
    parts.append("</svg>")
    return f'<div class="chart">{_legend([(s[0], s[2]) for s in series])}{"".join(parts)}</div>'


def _guesses(guesses) -> str:
    if not guesses:
        return "no guess"
    return ", ".join(f"<code>{esc(n)}</code> {pct(c)}" for n, c in guesses)


def knowledge_file_name() -> str:
    """The knowledge file to edit ($KNOWLEDGE_FILE, else the project's), relative to the project if inside it."""
    path = knowledge_path().resolve()
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


def render(rep: Report, store: str, generated: Optional[datetime] = None) -> str:
    generated = generated or datetime.now(timezone.utc)
    days = sorted(rep.days)
    out: List[str] = [
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">",
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
        "<title>Assistant report</title><style>", CSS, "</style></head><body><main>",
        "<h1>What users asked the assistant</h1>",
        f'<p class="meta">Generated {esc(generated.strftime("%Y-%m-%d %H:%M UTC"))} from {esc(store)} '
        f'({rep.events:,} events{", " + esc(days[0]) + " to " + esc(days[-1]) + " (UTC)" if days else ""}). '
        "This page only suggests: nothing here changes the training data or the knowledge file. "
        "How to act on it: docs/REPORT.md.</p>",
    ]
    if rep.empty:
        out.append('<p class="notice" id="empty">The tracker store has no conversations yet. '
                   "Talk to the assistant (<code>make run</code>), then run <code>make report</code> again.</p>")
        out.append("</main></body></html>")
        return "".join(out)

    ups = sum(n for (v, _), n in rep.ratings.items() if v == "up")
    downs = sum(n for (v, _), n in rep.ratings.items() if v == "down")
    cards = [
        ("conversations", f"{len(rep.senders):,}"), ("user messages", f"{rep.messages:,}"),
        ("fallback rate", pct(rep.fallbacks / rep.messages)),
        ("did-you-mean rate", pct(rep.did_you_mean / rep.messages)),
        ("unanswered / unsure", f"{len(rep.questions):,}"), ("rated helpful / not helpful", f"{ups} / {downs}"),
        ("unknown credentials", f"{len(rep.unknown):,}"),
        ("passed to a person / asked, no one", f"{sum(h.delivered for h in rep.handoffs)} / "
                                               f"{sum(not h.delivered for h in rep.handoffs)}"),
    ]
    out.append('<div class="cards" id="summary">' + "".join(
        f'<div class="card"><b>{esc(v)}</b><span>{esc(k)}</span></div>' for k, v in cards) + "</div>")

    # activity and rates per day
    d = [rep.days[x] for x in days]
    out.append('<section id="activity"><h2>Conversations and messages per day</h2>')
    out.append(bar_chart(days, [("conversations", [x.conversations for x in d], BLUE),
                                ("user messages", [x.messages for x in d], GREEN)],
                         "conversations and messages per day"))
    out.append("</section>")
    out.append('<section id="rates"><h2>Fallback and did-you-mean rate per day</h2>')
    out.append('<p class="meta">Fallback: user messages classified <code>nlu_fallback</code> or '
               '<code>out_of_scope</code>. Did-you-mean: turns where the assistant offered "Did you mean …?" buttons. '
               'Both per user message.</p>')
    out.append(line_chart(days, [("fallback rate", [x.fallback_rate for x in d], RED),
                                 ("did-you-mean rate", [x.did_you_mean_rate for x in d], ORANGE)],
                          "fallback and did-you-mean rate per day"))
    out.append('<table id="days"><tr><th>Day (UTC)</th><th>Conversations</th><th>User messages</th>'
               "<th>Fallbacks</th><th>Fallback rate</th><th>Did you mean</th><th>Did-you-mean rate</th></tr>")
    for day, x in list(zip(days, d))[::-1][:60]:
        out.append(f"<tr><td>{esc(day)}</td><td class=n>{x.conversations}</td><td class=n>{x.messages}</td>"
                   f"<td class=n>{x.fallbacks}</td><td class=n>{pct(x.fallback_rate)}</td>"
                   f"<td class=n>{x.did_you_mean}</td><td class=n>{pct(x.did_you_mean_rate)}</td></tr>")
    out.append("</table>" + ('<p class="meta">The 60 most recent days.</p>' if len(days) > 60 else "") + "</section>")

    # unanswered questions, grouped
    out.append('<section id="unanswered"><h2>Unanswered and low-confidence questions, grouped</h2>')
    out.append(f'<p class="meta">{len(rep.questions):,} typed messages the assistant did not understand, '
               f"judged out of scope, or understood with a confidence under {pct(rep.threshold)}, "
               f"in {len(rep.groups):,} groups of similar wording (character n-gram TF-IDF, "
               f"cosine ≥ {rep.similarity:g}); the biggest groups first. "
               "For each: the model's two best guesses (intent and confidence).</p>")
    if not rep.groups:
        out.append('<p class="notice">None: every typed question was understood with confidence.</p>')
    for gi, g in enumerate(rep.groups[:MAX_GROUPS], 1):
        seen = {}
        for q in g.questions:  # each wording as first typed, its guesses and reason
            seen.setdefault(normalise(q.text), (q.text, q.guesses, q.reason))
        label = seen.get(g.group.label, (g.group.label,))[0]
        out.append(f'<div class="group" id="group-{gi}" data-count="{g.count}">'
                   f'<h3><span class="count">{g.count}×</span>{esc(label)}</h3>'
                   f'<div class="guess">Usual guesses: {_guesses(g.guesses)}</div>'
                   f'<div class="suggested">Suggested: {esc(suggest_group(g, "").describe())} '
                   '(<code>make review</code>)</div><ul>')
        for text, n in g.group.texts[:MAX_TEXTS_PER_GROUP]:
            typed, guess, reason = seen.get(text, (text, (), ""))
            out.append(f'<li class="question"><span class="text">{esc(typed)}</span>'
                       f'{" ×" + str(n) if n > 1 else ""} <span class="reason">{esc(reason)}</span> '
                       f'<span class="guess">guesses: {_guesses(guess)}</span></li>')
        if len(g.group.texts) > MAX_TEXTS_PER_GROUP:
            out.append(f"<li>… and {len(g.group.texts) - MAX_TEXTS_PER_GROUP} more wordings</li>")
        out.append("</ul></div>")
    if len(rep.groups) > MAX_GROUPS:
        out.append(f'<p class="meta">… and {len(rep.groups) - MAX_GROUPS:,} smaller groups.</p>')
    if rep.ungrouped:
        out.append(f'<p class="meta">{rep.ungrouped:,} rarer distinct questions were not grouped.</p>')
    out.append("</section>")

    # thumbs down
    out.append('<section id="downvotes"><h2>Answers rated not helpful (👎), with comments</h2>')
    if not rep.downvotes:
        out.append("<p>No answer has been rated not helpful yet.</p>")
    else:
        topics = sorted({t for (_, t) in rep.ratings}, key=lambda t: -rep.ratings[("down", t)])
        out.append('<table id="ratings"><tr><th>Topic</th><th>Helpful (👍)</th><th>Not helpful (👎)</th></tr>'
                   + "".join(f"<tr><td><code>{esc(t or 'unknown')}</code></td><td class=n>{rep.ratings[('up', t)]}</td>"
                             f"<td class=n>{rep.ratings[('down', t)]}</td></tr>" for t in topics)
                   + "</table><p></p>")
        out.append('<table id="downvote-list"><tr><th>When (UTC)</th><th>Topic</th><th>The question answered</th>'
                   "<th>Comment</th></tr>")
        for dv in rep.downvotes[:MAX_DOWNVOTES]:
            comment = "<br>".join(esc(c) for c in dv.comments) or '<span class="meta">none</span>'
            out.append(f'<tr class="downvote"><td>{esc(when(dv.timestamp))}</td>'
                       f'<td><code>{esc(dv.topic or "unknown")}</code></td><td>{esc(dv.question or "")}</td>'
                       f'<td class="comment">{comment}</td></tr>')
        out.append("</table>")
        if len(rep.downvotes) > MAX_DOWNVOTES:
            out.append(f'<p class="meta">The {MAX_DOWNVOTES} most recent of {len(rep.downvotes):,}.</p>')
    out.append("</section>")

    # hand-offs to a person
    out.append('<section id="handoffs"><h2>Hand-offs to a person</h2>')
    if not rep.handoffs:
        out.append("<p>No one asked for a person.</p>")
    else:
        out.append('<p class="meta">Requests for a person ("talk to a person", or the button offered after two '
                   "fallbacks in a row): passed on by Slack and/or e-mail, or not (no person set up: "
                   "<code>none</code>; the note didn't go through: <code>failed</code>).</p>")
        out.append('<table id="handoff-days"><tr><th>Day (UTC)</th><th>Passed to a person</th>'
                   "<th>Asked, no one</th></tr>")
        for day in [x for x in days if rep.days[x].handoffs or rep.days[x].handoffs_missed][::-1][:60]:
            out.append(f"<tr><td>{esc(day)}</td><td class=n>{rep.days[day].handoffs}</td>"
                       f"<td class=n>{rep.days[day].handoffs_missed}</td></tr>")
        out.append('</table><p></p><table id="handoff-list"><tr><th>When (UTC)</th><th>Conversation</th>'
                   "<th>How</th><th>The question before it</th></tr>")
        for h in rep.handoffs[:MAX_DOWNVOTES]:
            out.append(f'<tr class="handoff"><td>{esc(when(h.timestamp))}</td><td><code>{esc(h.sender)}</code></td>'
                       f'<td><code>{esc(h.outcome)}</code></td><td>{esc(h.question or "")}</td></tr>')
        out.append("</table>")
        if len(rep.handoffs) > MAX_DOWNVOTES:
            out.append(f'<p class="meta">The {MAX_DOWNVOTES} most recent of {len(rep.handoffs):,}.</p>')
    out.append("</section>")

    # unknown credentials
    out.append('<section id="unknown"><h2>Credentials asked about that the knowledge file doesn\'t know</h2>')
    unknown = rep.unknown_sorted()
    if not unknown:
        out.append("<p>None.</p>")
    else:
        out.append("<table><tr><th>Name (as asked)</th><th>Times</th><th>Conversations</th>"
                   "<th>Example question</th></tr>")
        for u in unknown[:300]:
            out.append(f'<tr class="unknown"><td>{esc(u.name)}</td><td class=n>{u.count}</td>'
                       f'<td class=n>{len(u.senders)}</td><td>{esc(u.examples[0] if u.examples else "")}</td></tr>')
        out.append("</table>")
    out.append("</section>")
    out.append('<section id="next"><h2>What to do with this</h2><p>Turn a group of unanswered questions into training '
               "examples (<code>data/nlu*.yml</code>) for the intent that should answer them, or add a credential to "
               f"<code>{esc(knowledge_file_name())}</code> with a sourced fact; then <code>make run</code> retrains. "
               "Step by step: <code>docs/REPORT.md</code>.</p></section>")
    out.append("</main></body></html>")
    return "".join(out)
