"""Rasa's RedisLockStore, made safe for several Rasa servers sharing one Redis.

Rasa 3.6's `RedisLockStore` keeps a conversation's ticket lock as one JSON value
and changes it by GET, change in Python, SET. Within one Rasa server that is
safe (the event loop does not switch in between), but two servers can
interleave: both read the same lock, both issue the same ticket number (or one
overwrites the other's ticket), and both process a message of the same
conversation at once. The SQL tracker store then keeps only one of the two
turns: answered messages vanish from the conversation (measured here: in 8 and
in 3 of 20 rounds, in two runs of ten simultaneous messages sent to two
servers; see docs/DEPLOY.md and `python -m stack.cluster lockcheck`). Known
upstream: RasaHQ/rasa#9213; the `ConcurrentRedisLockStore` that fixed it was
reverted from Rasa Open Source (RasaHQ/rasa#11428).

A second flaw shows when a server dies while it holds a conversation's lock.
Its ticket stays in Redis until it expires (TICKET_LOCK_LIFETIME after it was
issued). The next message of that conversation, on another server, takes a
ticket a moment later and waits; but its own ticket expires at almost the same
moment as the dead one, after which Rasa's waiter never gets its turn: it polls
until the HTTP response timeout (measured: 503 after 60 s) or until some later
message of the conversation clears the lock.

This subclass keeps Rasa's algorithm and stored format (Rasa's own
`TicketLock`: tickets served in order, waiters polling every second) and
changes two things:
- every read-modify-write of the lock happens inside a Redis transaction
  (WATCH / MULTI / EXEC, retried when another server changed the lock in
  between);
- a waiter renews its own ticket's expiry each time it polls, so only a ticket
  whose owner stopped polling (a crashed server's) expires: the lifetime now
  bounds how long a message may *hold* the conversation, counted from when it
  got its turn, and a waiter behind a dead server gets its turn within
  TICKET_LOCK_LIFETIME (+1 s).
The key also gets a TTL, so a crashed server's lock disappears from Redis once
its tickets have expired.

endpoints.cluster.yml selects it through Rasa's custom lock store mechanism:

    lock_store:
      type: addons.lock_store.AtomicRedisLockStore
      url: <host>
      port: ...           # and every other RedisLockStore setting
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from contextlib import asynccontextmanager
from typing import Any, AsyncGenerator, Callable, Optional, Text, Tuple

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

# what a change decides: ("save", lock) / ("delete", None) / ("keep", None)
Change = Callable[[Optional[TicketLock]], Tuple[str, Optional[TicketLock], Any]]

MAX_ATTEMPTS = 1000  # transactions retried on conflict; each conflict means another server progressed


class AtomicRedisLockStore(RedisLockStore):
    """`RedisLockStore` whose ticket operations are atomic across Rasa servers."""

    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, **kwargs: Any) -> None:
        # Rasa creates a custom lock store as `cls(endpoint_config=...)`
        if endpoint_config is not None:
            kwargs = {"host": endpoint_config.url or "localhost", **endpoint_config.kwargs, **kwargs}
        super().__init__(**kwargs)

    def _transact(self, conversation_id: Text, change: Change) -> Any:
        import redis

        key = self.key_prefix + conversation_id
        with self.red.pipeline() as pipe:
            for _ in range(MAX_ATTEMPTS):
                try:
                    pipe.watch(key)
                    raw = pipe.get(key)
                    lock = TicketLock.from_dict(json.loads(raw)) if raw else None
                    action, new_lock, result = change(lock)
                    pipe.multi()
                    if action == "save" and new_lock is not None:
                        pipe.set(key, new_lock.dumps(), ex=_ttl(new_lock))
                    elif action == "delete":
                        pipe.delete(key)
                    pipe.execute()  # raises WatchError if the key changed since WATCH
                    return result
                except redis.WatchError:
                    continue
        raise LockError(f"Could not update the lock of conversation '{conversation_id}': too much contention.")

    def issue_ticket(self, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME) -> int:
        def change(lock: Optional[TicketLock]):
            lock = lock or self.create_lock(conversation_id)
            ticket = lock.issue_ticket(lock_lifetime)
            return "save", lock, ticket

        try:
            return self._transact(conversation_id, change)
        except Exception as e:
            raise LockError(f"Error while acquiring lock. Error:\n{e}")

    @asynccontextmanager
    async def lock(
        self,
        conversation_id: Text,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float = 1,
    ) -> AsyncGenerator[TicketLock, None]:
        """Rasa's `LockStore.lock`, waiting with `_wait_for_turn`."""
        ticket = self.issue_ticket(conversation_id, lock_lifetime)
        try:
            yield await self._wait_for_turn(conversation_id, ticket, lock_lifetime, wait_time_in_seconds)
        finally:
            self.cleanup(conversation_id, ticket)

    async def _wait_for_turn(
        self, conversation_id: Text, ticket: int, lifetime: float, wait_time_in_seconds: float
    ) -> TicketLock:
        """Poll until `ticket` is served, renewing its expiry on every poll."""

        def poll(lock: Optional[TicketLock]):
            if lock is None:
                return "keep", None, None
            mine = next((t for t in lock.tickets if t.number == ticket), None)
            if mine is not None:
                mine.expires = max(mine.expires, time.time() + lifetime)
            lock.remove_expired_tickets()
            return "save", lock, lock if mine is not None else None

        while True:
            lock = self._transact(conversation_id, poll)
            if lock is None:  # our ticket is gone: it expired while this server stalled
                raise LockError(f"Could not acquire lock for conversation_id '{conversation_id}'.")
            if not lock.is_locked(ticket):
                return lock
            await asyncio.sleep(wait_time_in_seconds)

    def update_lock(self, conversation_id: Text) -> None:
        def change(lock: Optional[TicketLock]):
            if lock is None:
                return "keep", None, None
            lock.remove_expired_tickets()
            return "save", lock, None

        self._transact(conversation_id, change)

    def finish_serving(self, conversation_id: Text, ticket_number: int) -> None:
        def change(lock: Optional[TicketLock]):
            if lock is None:
                return "keep", None, None
            lock.remove_ticket_for(ticket_number)
            return "save", lock, None

        self._transact(conversation_id, change)

    def cleanup(self, conversation_id: Text, ticket_number: int) -> None:
        """Remove this ticket and, if no one else holds one, the lock: in one step,
        so a ticket another server issues meanwhile is never deleted with it."""

        def change(lock: Optional[TicketLock]):
            if lock is None:
                return "keep", None, False
            lock.remove_ticket_for(ticket_number)
            if lock.is_someone_waiting():
                return "save", lock, False
            return "delete", None, True

        deleted = self._transact(conversation_id, change)
        self._log_deletion(conversation_id, deleted)


def _ttl(lock: TicketLock) -> Optional[int]:
    """Seconds until the last ticket expires (plus a margin); None: no tickets."""
    if not lock.tickets:
        return 60
    return max(1, math.ceil(max(t.expires for t in lock.tickets) - time.time()) + 5)
