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

Rasa takes a conversation's lock with ``async with lock_store.lock(...)`` on
its event loop, and Rasa's store talks to Redis with the blocking client: a
slow Redis froze the whole server (every conversation, every channel) for up
to its socket timeout on each call. Here ``lock()`` uses Redis's asyncio
client, and every Redis step has a deadline (``socket_timeout``, Rasa's key,
default 10 s): past it, ``LockError`` (the user gets the channels' apology)
while the server goes on answering everyone else. The blocking methods
(``issue_ticket``, ``cleanup``, ...) stay for Rasa's API and the tools.

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
from rasa.core.lock_store import DEFAULT_SOCKET_TIMEOUT_IN_SECONDS, LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

# what a change decides: ("save", lock) / ("delete", None) / ("keep", None)
Change = Callable[[Optional[TicketLock]], Tuple[str, Optional[TicketLock], Any]]

MAX_ATTEMPTS = 1000  # transactions retried on conflict; each conflict means another server progressed
# RedisLockStore's arguments that the asyncio client takes under the same or another name
_CLIENT_ARGS = {"host": "host", "port": "port", "db": "db", "username": "username", "password": "password",
                "use_ssl": "ssl", "ssl_certfile": "ssl_certfile", "ssl_keyfile": "ssl_keyfile",
                "ssl_ca_certs": "ssl_ca_certs", "socket_timeout": "socket_timeout"}


# --------------------------------------------------------------------------
# the changes to a conversation's lock, each applied in one transaction


def _issue(store: "AtomicRedisLockStore", conversation_id: Text, lifetime: float) -> Change:
    def change(lock: Optional[TicketLock]):
        lock = lock or store.create_lock(conversation_id)
        ticket = lock.issue_ticket(lifetime)
        return "save", lock, ticket

    return change


def _poll(ticket: int, lifetime: float) -> Change:
    """The lock if `ticket` is still in it (its expiry renewed), else None."""

    def change(lock: Optional[TicketLock]):
        if lock is None:
            return "keep", None, None
        mine = next((t for t in lock.tickets if t.number == ticket), None)
        if mine is not None:
            mine.expires = max(mine.expires, time.time() + lifetime)
        lock.remove_expired_tickets()
        return "save", lock, lock if mine is not None else None

    return change


def _remove_expired(lock: Optional[TicketLock]):
    if lock is None:
        return "keep", None, None
    lock.remove_expired_tickets()
    return "save", lock, None


def _finish(ticket: int) -> Change:
    def change(lock: Optional[TicketLock]):
        if lock is None:
            return "keep", None, None
        lock.remove_ticket_for(ticket)
        return "save", lock, None

    return change


def _cleanup(ticket: int) -> Change:
    """Remove this ticket and, if no one else holds one, the lock: in one step,
    so a ticket another server issues meanwhile is never deleted with it."""

    def change(lock: Optional[TicketLock]):
        if lock is None:
            return "keep", None, False
        lock.remove_ticket_for(ticket)
        if lock.is_someone_waiting():
            return "save", lock, False
        return "delete", None, True

    return change


def _decode(raw: Any) -> Optional[TicketLock]:
    return TicketLock.from_dict(json.loads(raw)) if raw else None


def _queue(pipe: Any, key: str, action: str, lock: Optional[TicketLock]) -> None:
    """The transaction's writes (a blocking or an asyncio pipeline, after WATCH)."""
    pipe.multi()
    if action == "save" and lock is not None:
        pipe.set(key, lock.dumps(), ex=_ttl(lock))
    elif action == "delete":
        pipe.delete(key)


class AtomicRedisLockStore(RedisLockStore):
    """`RedisLockStore` whose ticket operations are atomic across Rasa servers,
    and whose ``lock()`` never blocks the event loop."""

    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, **kwargs: Any) -> None:
        # Rasa creates a custom lock store as `cls(endpoint_config=...)`
        if endpoint_config is not None:
            kwargs = {"host": endpoint_config.url or "localhost", **endpoint_config.kwargs, **kwargs}
        kwargs.setdefault("socket_timeout", DEFAULT_SOCKET_TIMEOUT_IN_SECONDS)
        super().__init__(**kwargs)
        self.deadline = float(kwargs["socket_timeout"])
        self._client_args = {name: kwargs[key] for key, name in _CLIENT_ARGS.items() if key in kwargs}
        self._client_args["port"] = int(self._client_args.get("port", 6379))
        self._client_args["db"] = int(self._client_args.get("db", 1))
        self._aclient: Optional[Tuple[asyncio.AbstractEventLoop, Any]] = None

    # ---------------------------------------------------------------- blocking

    def _transact(self, conversation_id: Text, change: Change) -> Any:
        import redis

        key = self.key_prefix + conversation_id
        with self.red.pipeline() as pipe:
            for _ in range(MAX_ATTEMPTS):
                try:
                    pipe.watch(key)
                    action, new_lock, result = change(_decode(pipe.get(key)))
                    _queue(pipe, key, action, new_lock)
                    pipe.execute()  # raises WatchError if the key changed since WATCH
                    return result
                except redis.WatchError:
                    continue
        raise LockError(f"Could not update the lock of conversation '{conversation_id}': too much contention.")

    def issue_ticket(self, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME) -> int:
        try:
            return self._transact(conversation_id, _issue(self, conversation_id, lock_lifetime))
        except Exception as e:
            raise LockError(f"Error while acquiring lock. Error:\n{e}")

    def update_lock(self, conversation_id: Text) -> None:
        self._transact(conversation_id, _remove_expired)

    def finish_serving(self, conversation_id: Text, ticket_number: int) -> None:
        self._transact(conversation_id, _finish(ticket_number))

    def cleanup(self, conversation_id: Text, ticket_number: int) -> None:
        self._log_deletion(conversation_id, self._transact(conversation_id, _cleanup(ticket_number)))

    # ---------------------------------------------------------------- asyncio, with a deadline

    def _async_client(self) -> Any:
        """Redis's asyncio client for the running event loop (a client belongs to one loop)."""
        import redis.asyncio

        loop = asyncio.get_running_loop()
        if self._aclient is None or self._aclient[0] is not loop:
            args = {**self._client_args, "socket_connect_timeout": self.deadline}
            self._aclient = (loop, redis.asyncio.Redis(**args))
        return self._aclient[1]

    async def _atransact(self, conversation_id: Text, change: Change) -> Any:
        import redis

        key = self.key_prefix + conversation_id

        async def attempts() -> Any:
            async with self._async_client().pipeline() as pipe:
                for _ in range(MAX_ATTEMPTS):
                    try:
                        await pipe.watch(key)
                        action, new_lock, result = change(_decode(await pipe.get(key)))
                        _queue(pipe, key, action, new_lock)
                        await pipe.execute()  # raises WatchError if the key changed since WATCH
                        return result
                    except redis.WatchError:
                        continue
            raise LockError(f"Could not update the lock of conversation '{conversation_id}': too much contention.")

        try:
            return await asyncio.wait_for(attempts(), self.deadline)
        except (asyncio.TimeoutError, redis.TimeoutError):  # the deadline, or the client's socket_timeout
            raise LockError(f"Redis did not answer within {self.deadline:g} s "
                            f"(the lock of conversation '{conversation_id}')") from None
        except redis.RedisError as e:
            raise LockError(f"Redis failed on the lock of conversation '{conversation_id}': {e}") from e

    @asynccontextmanager
    async def lock(
        self,
        conversation_id: Text,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float = 1,
    ) -> AsyncGenerator[TicketLock, None]:
        """Rasa's `LockStore.lock`, on the asyncio client, waiting with `_wait_for_turn`."""
        ticket = await self._atransact(conversation_id, _issue(self, conversation_id, lock_lifetime))
        try:
            yield await self._wait_for_turn(conversation_id, ticket, lock_lifetime, wait_time_in_seconds)
        finally:
            deleted = await self._atransact(conversation_id, _cleanup(ticket))
            self._log_deletion(conversation_id, deleted)

    async def _wait_for_turn(
        self, conversation_id: Text, ticket: int, lifetime: float, wait_time_in_seconds: float
    ) -> TicketLock:
        """Poll until `ticket` is served, renewing its expiry on every poll."""
        while True:
            lock = await self._atransact(conversation_id, _poll(ticket, lifetime))
            if lock is None:  # our ticket is gone: it expired while this server stalled
                raise LockError(f"Could not acquire lock for conversation_id '{conversation_id}'.")
            if not lock.is_locked(ticket):
                return lock
            await asyncio.sleep(wait_time_in_seconds)


def _ttl(lock: TicketLock) -> Optional[int]:
    """Seconds until the last ticket expires (plus a margin); None: no tickets."""
    if not lock.tickets:
        return 60
    return max(1, math.ceil(max(t.expires for t in lock.tickets) - time.time()) + 5)
