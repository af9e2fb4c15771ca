"""Rasa add-ons: small, measured changes to Rasa 3.6 that its server loads
(docs/BENCHMARKS.md and docs/DEPLOY.md give the figures behind each).

  tracker_store.py  WalSQLTrackerStore, Rasa's SQL tracker store kept open in WAL
                    mode on SQLite: endpoints.yml names it (`tracker_store: type:`)
  lock_store.py     AtomicRedisLockStore, Rasa's Redis lock store with atomic
                    updates: endpoints.cluster.yml names it (`lock_store: type:`)
  speedups.py       the action-response validator built once: a patch, applied by install()

Rasa loads the two stores itself from the endpoints file. The patch needs one
call in the Rasa server process, install(): channels/guard.py makes it when
Rasa imports the project's channels (credentials.yml), which happens in every
Rasa server that serves them (`make run`, the cluster, the tests, `rasa run`
in a container). `rasa shell` uses Rasa's own command-line channel and runs
without it.
"""

from __future__ import annotations


def install() -> None:
    """Apply the add-ons that patch Rasa (idempotent; imports Rasa)."""
    from addons.speedups import cached_action_result_validator

    cached_action_result_validator()
