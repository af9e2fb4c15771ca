"""`python -m reporting [--db URL] [--out reports/report.html]` (`make report`)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import List, Optional

from reporting.analyze import LOW_CONFIDENCE, Analyzer
from reporting.grouping import SIMILARITY
from reporting.render import render
from reporting.store import ROOT, StoreError, display_url, read_events, resolve_url


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m reporting", description=(
        "Write an HTML report of what users asked: activity, fallback and did-you-mean rates, "
        "unanswered questions grouped by similarity, 👎 answers with comments, unknown credentials. "
        "It reads the tracker store and never changes training data."))
    ap.add_argument("--db", help="SQLAlchemy URL of the tracker store, or an SQLite file "
                                 "(default: the tracker_store in --endpoints, else var/trackers.db)")
    ap.add_argument("--endpoints", type=Path, default=ROOT / "endpoints.yml", help="default: endpoints.yml")
    ap.add_argument("--out", type=Path, default=ROOT / "reports" / "report.html", help="default: reports/report.html")
    ap.add_argument("--threshold", type=float, default=LOW_CONFIDENCE,
                    help=f"list understood questions whose top confidence is below this (default {LOW_CONFIDENCE})")
    ap.add_argument("--similarity", type=float, default=SIMILARITY,
                    help=f"cosine similarity for two questions to share a group (default {SIMILARITY})")
    ap.add_argument("--quiet", action="store_true", help="no progress bar")
    args = ap.parse_args(argv)

    started = time.monotonic()
    try:
        url = resolve_url(args.db, args.endpoints)
        analyzer = Analyzer(args.threshold, args.similarity)
        for row in read_events(url, progress=not args.quiet):
            analyzer.add(row)
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    rep = analyzer.finish()
    shown = display_url(url)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(render(rep, shown), encoding="utf-8")
    took = time.monotonic() - started
    if rep.empty:
        print(f"The tracker store ({shown}) has no conversations yet: "
              f"wrote an empty report to {args.out} ({took:.1f} s).")
        return 0
    downs = sum(len(d.comments) for d in rep.downvotes)
    print(f"Read {rep.events:,} events from {shown}: {len(rep.senders):,} conversations, "
          f"{rep.messages:,} user messages, fallback rate {100 * rep.fallbacks / rep.messages:.1f}%, "
          f"{len(rep.questions):,} unanswered or unsure questions in {len(rep.groups):,} groups, "
          f"{len(rep.downvotes):,} 👎 ({downs} comments), "
          f"{len(rep.unknown):,} unknown credentials.")
    print(f"Report: {args.out} ({took:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
