"""Candidate speed-ups tried by bench/experiment.py on a copy of our Rasa
server (never loaded by `make run`; the project adopts one by moving it into
its own code).

schema: Rasa 3.6 validates every action server response with
``jsonschema.validate(result, schema)`` (RemoteAction._validate_action_result),
which re-checks the large, constant events schema against the JSON Schema
meta-schema on every call before validating the response. Building the
validator once keeps the validation of every response and drops the repeated
meta-schema check.

WalSQLTrackerStore: Rasa's SQLTrackerStore with one SQLite connection kept open
in WAL mode (endpoints.yml `tracker_store: type: bench.patches.WalSQLTrackerStore`).
"""

from __future__ import annotations

from typing import Any, Dict, Text


from addons.speedups import cached_action_result_validator  # noqa: E402  (the project's copy)


PATCHES = {"schema": cached_action_result_validator}


def main() -> None:
    """`python -m bench.patches PATCH[,PATCH] rasa-args...`: rasa with the patches applied."""
    import os
    import sys

    names = [n for n in sys.argv[1].split(",") if n]
    for n in names:
        PATCHES[n]()
    sys.argv = ["rasa", *sys.argv[2:]]
    os.environ.setdefault("BENCH_PATCHES", ",".join(names))
    from rasa.__main__ import main as rasa_main
    rasa_main()


if __name__ == "__main__":
    main()


# --- tracker store ------------------------------------------------------------
# The experiment's WAL store is the project's (addons/tracker_store.py).

def __getattr__(name: str) -> Any:
    # endpoints `tracker_store: type: bench.patches.WalSQLTrackerStore` (imports Rasa lazily)
    if name == "WalSQLTrackerStore":
        from addons.tracker_store import WalSQLTrackerStore

        return WalSQLTrackerStore
    raise AttributeError(name)
