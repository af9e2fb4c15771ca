"""Scale-out (docs/DEPLOY.md): two Rasa servers sharing one PostgreSQL tracker
store and one Redis lock store, nginx round-robin in front, one action server;
started by stack/cluster.py exactly as `make run-cluster` starts them (on
free loopback ports). Messages go to each Rasa server directly where the test
needs to choose the server, and through nginx otherwise."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import threading
import time
import urllib.error
import uuid
from typing import Dict, List

import pytest

from stack.cluster import Cluster
from stack.lockcheck import CONCURRENT_MESSAGES, send_at_once, turn_problems, turns
from stack.net import free_port, post_message, wait_tcp
from stack.tools import find_tool, missing_tools
from tests.helpers import MODEL
from tests.helpers.clients import secrets_seen

LOCK_LIFETIME = 15  # TICKET_LOCK_LIFETIME: how long a dead server's ticket can hold a conversation


@pytest.fixture(scope="module")
def cluster():
    missing = missing_tools()
    if missing:
        pytest.skip(f"cannot run the cluster: {', '.join(missing)} not installed and `make cluster-deps` "
                    "could not install them from Debian's packages (needs apt-get)")
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: run the tests through `make test`, which trains it")
    c = Cluster(servers=2, port=free_port(), action_port=free_port(), model=str(MODEL),
                lock_lifetime=LOCK_LIFETIME)
    try:
        c.start()
    except Exception:
        print(c.failure_logs)
        raise
    yield c
    c.stop()


@pytest.fixture(scope="module")
def redis_server():
    """A bare Redis on loopback, for the lock store's own tests (no Rasa server): (port, process)."""
    if "redis-server" in missing_tools():
        pytest.skip("redis-server not installed and `make cluster-deps` could not install it")
    port = free_port()
    proc = subprocess.Popen([find_tool("redis-server"), "--bind", "127.0.0.1", "--port", str(port),
                             "--save", "", "--appendonly", "no"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_tcp(port, 20, proc)
        yield port, proc
    finally:
        proc.send_signal(signal.SIGCONT)  # in case a test stopped it
        proc.terminate()
        proc.wait(10)


@pytest.fixture(scope="module")
def redis_port(redis_server) -> int:
    return redis_server[0]


def test_lock_store_issues_each_ticket_once_under_concurrency(redis_port):
    """Eight clients (own connections, as eight servers would have) take 25
    tickets each for one conversation at the same time: 200 distinct tickets."""
    from addons.lock_store import AtomicRedisLockStore

    stores = [AtomicRedisLockStore(host="127.0.0.1", port=redis_port, key_prefix="t1") for _ in range(8)]
    tickets: List[int] = []
    barrier = threading.Barrier(len(stores))

    def take(store) -> None:
        barrier.wait()
        for _ in range(25):
            tickets.append(store.issue_ticket("conv", 60))

    threads = [threading.Thread(target=take, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(tickets) == list(range(200))
    assert len(stores[0].get_lock("conv").tickets) == 200


def test_lock_store_waiter_outlives_a_dead_servers_ticket(redis_port):
    """A ticket left by a crashed server expires after its lifetime; the message
    waiting behind it then gets its turn (with Rasa's store it never would)."""
    import asyncio

    from addons.lock_store import AtomicRedisLockStore

    store = AtomicRedisLockStore(host="127.0.0.1", port=redis_port, key_prefix="t2")
    store.issue_ticket("conv", 2)  # the dead server's ticket: never served, never cleaned up

    async def wait_for_turn() -> float:
        t0 = time.monotonic()
        async with store.lock("conv", lock_lifetime=2, wait_time_in_seconds=0.2):
            return time.monotonic() - t0

    waited = asyncio.run(wait_for_turn())
    assert 1.5 < waited < 6, waited
    assert store.get_lock("conv") is None  # cleaned up after the turn


def test_lock_store_serves_one_holder_at_a_time_on_the_asyncio_client(redis_port):
    """Six holders (each its own store and connections, as six servers would
    have) take one conversation's lock at once through ``lock()``, which talks
    to Redis with the asyncio client: never two inside at a time, each gets its
    turn, in ticket order, and the lock is gone afterwards."""
    from addons.lock_store import AtomicRedisLockStore

    stores = [AtomicRedisLockStore(host="127.0.0.1", port=redis_port, key_prefix="t3") for _ in range(6)]
    inside: List[int] = []
    order: List[int] = []
    most = 0

    async def hold(i: int, store) -> None:
        nonlocal most
        async with store.lock("conv", lock_lifetime=30, wait_time_in_seconds=0.05):
            inside.append(i)
            most = max(most, len(inside))
            order.append(i)
            await asyncio.sleep(0.1)  # a turn's work: others poll Redis meanwhile
            inside.remove(i)

    async def main() -> None:
        await asyncio.gather(*(hold(i, s) for i, s in enumerate(stores)))

    asyncio.run(main())
    assert most == 1 and sorted(order) == list(range(6)), (most, order)
    assert stores[0].get_lock("conv") is None


async def _lock_while_ticking(store, conversation: str) -> tuple:
    """Take a lock as Rasa does; (error, seconds it took, how often a 50 ms
    ticker ran meanwhile on the same event loop)."""
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.05)
            ticks += 1

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0)
    started = time.monotonic()
    error = None
    try:
        async with store.lock(conversation, wait_time_in_seconds=0.1):
            pass
    except Exception as exc:  # what is raised is the point
        error = exc
    took = time.monotonic() - started
    task.cancel()
    return error, took, ticks


def test_a_hung_redis_never_blocks_the_event_loop(redis_server):
    """Rasa takes a conversation's lock on its event loop. With Redis hung
    (the real one, stopped with SIGSTOP: connections are accepted, nothing is
    answered), our lock store gives up after its deadline (LockError: the
    user gets the channels' apology) while the loop goes on serving everyone
    else; Rasa's own store holds the loop for the same time. Once Redis is
    back, the next lock is taken and released as before."""
    from rasa.core.lock_store import LockError, RedisLockStore

    from addons.lock_store import AtomicRedisLockStore

    port, proc = redis_server
    ours = AtomicRedisLockStore(host="127.0.0.1", port=port, key_prefix="t4", socket_timeout=1)
    stock = RedisLockStore(host="127.0.0.1", port=port, key_prefix="t4", socket_timeout=1)
    proc.send_signal(signal.SIGSTOP)
    try:
        error, took, ticks = asyncio.run(_lock_while_ticking(ours, "conv"))
        assert isinstance(error, LockError) and "did not answer within 1 s" in str(error), error
        assert 0.9 < took < 3, took
        assert ticks >= 0.6 * took / 0.05, (ticks, took)  # the loop ran all along

        error, took, ticks = asyncio.run(_lock_while_ticking(stock, "conv"))
        assert isinstance(error, LockError) and took >= 0.9, (error, took)
        assert ticks <= 2, ticks  # the contrast: Rasa's store held the loop
    finally:
        proc.send_signal(signal.SIGCONT)

    # Redis answers again: a fresh conversation's lock is taken, and released
    error, took, _ = asyncio.run(_lock_while_ticking(ours, "after"))
    assert error is None and took < 1, (error, took)
    assert ours.get_lock("after") is None


def test_database_and_redis_passwords_reach_only_the_rasa_servers(cluster):
    """On no command line, in no other process's environment; Redis reads its
    password from a file only its owner can read."""
    passwords = {"TRACKER_DB_PASSWORD": cluster.pg.password, "LOCK_REDIS_PASSWORD": cluster.redis_password}
    procs = {**cluster.front.procs, **{f"rasa-{i}": s.procs["rasa"] for i, s in enumerate(cluster.rasa)}}
    seen = secrets_seen(procs, passwords)
    expected = {name: (["env:TRACKER_DB_PASSWORD", "env:LOCK_REDIS_PASSWORD"] if name.startswith("rasa-") else [])
                for name in procs}
    assert seen == expected, seen
    assert (cluster.base / "redis.conf").stat().st_mode & 0o777 == 0o600


def sender() -> str:
    return f"cluster-{uuid.uuid4().hex[:10]}"


def text(url: str, who: str, message: str) -> str:
    replies = post_message(url, who, message, timeout=90)
    assert replies, f"no reply to {message!r} from {url}"
    return "\n".join(m.get("text", "") for m in replies)


def test_purge_and_forget_on_the_clusters_postgresql(cluster):
    """`make purge` and `make forget` with ENDPOINTS=endpoints.cluster.yml (its
    ${VAR}s from the environment) delete from the cluster's PostgreSQL store
    while the servers run: an idle conversation (its events moved 91 days
    back) goes, a recent one stays until it is forgotten on request."""
    import os
    import sys

    from stack.env import ROOT

    old, recent = sender(), sender()
    for who in (old, recent):
        assert post_message(cluster.url, who, "do micro-credentials expire?", timeout=90)
    with cluster.pg.connect() as conn, conn.cursor() as cur:
        cur.execute("UPDATE events SET timestamp = timestamp - %s WHERE sender_id = %s",
                    (91 * 86400, f"rest:{old}"))
        assert cur.rowcount > 0
        conn.commit()  # Postgres.connect() closes without committing

    def retention(*args: str) -> str:
        env = {k: v for k, v in os.environ.items() if k != "RETENTION_DAYS"}
        env.update({**cluster.env(), "ENDPOINTS": "endpoints.cluster.yml"})
        done = subprocess.run([sys.executable, "-m", "stack.retention", *args], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert "Deleted 1 conversations idle for more than 90 days" in retention("purge")
    assert cluster.events(old) == [] and cluster.events(recent)
    assert f"Deleted the conversation 'rest:{recent}'" in retention("forget", f"rest:{recent}")
    assert cluster.events(recent) == []


def test_conversation_alternating_between_servers_keeps_its_context(cluster):
    a, b = cluster.rasa_urls
    who = sender()
    first = text(a, who, "tell me about the PMP")
    assert "Project Management Professional (PMP) is a professional certification" in first
    follow = text(b, who, "does it expire?")  # the other server: context only from PostgreSQL
    assert "PMP" in follow and "60 professional development units" in follow
    again = text(a, who, "and how much is it?")
    assert "PMP" in again and "US$405" in again
    recorded = [t["user"] for t in turns(cluster.events(who))]
    assert recorded == ["tell me about the PMP", "does it expire?", "and how much is it?"]


def test_ten_simultaneous_messages_are_answered_and_recorded_in_order(cluster):
    """Ten messages of one conversation sent at the same moment, alternately to
    the two servers: the Redis lock store must let only one server at a time
    work on the conversation, so each turn is stored whole before the next."""
    who = sender()
    text(cluster.rasa_urls[0], who, "hi")
    results = send_at_once(cluster.rasa_urls, who, CONCURRENT_MESSAGES)
    problems = turn_problems(cluster, who, CONCURRENT_MESSAGES, results)
    assert not problems, problems
    events = cluster.events(who)
    stamps = [e["timestamp"] for e in events]
    assert stamps == sorted(stamps), "the store's order (events.id) differs from the order of processing"
    # one at a time is shown by the turns above (each closed by action_listen before the next
    # began, each with its own answer), not by timing: a fast answer takes well under 0.5 s


def test_socketio_through_nginx(cluster):
    """The web widget's transport: socket.io's long-polling session is several
    HTTP requests that must all reach the same Rasa server (nginx pins socket.io
    to a server by client address; round-robin would answer 'Invalid session')."""
    import asyncio

    import aiohttp
    import socketio

    async def talk() -> str:
        http = aiohttp.ClientSession()
        client = socketio.AsyncClient(reconnection=False, http_session=http)
        inbox: asyncio.Queue = asyncio.Queue()
        client.on("session_confirm", lambda data: inbox.put_nowait(("confirm", data)))
        client.on("bot_uttered", lambda data: inbox.put_nowait(("bot", data)))
        await client.connect(cluster.url, socketio_path="/socket.io", transports=["polling"], wait_timeout=20)
        try:
            await client.emit("session_request", {})
            kind, who = await asyncio.wait_for(inbox.get(), 20)
            assert kind == "confirm"

            async def answer_with(needle: str) -> str:
                deadline = time.monotonic() + 30
                while True:
                    kind, data = await asyncio.wait_for(inbox.get(), max(0.1, deadline - time.monotonic()))
                    if kind == "bot" and needle in (data.get("text") or ""):
                        return data["text"]

            await client.emit("user_uttered", {"message": "tell me about the PMP", "session_id": who})
            await answer_with("is a professional certification")
            await client.emit("user_uttered", {"message": "does it expire?", "session_id": who})
            return await answer_with("every three years")
        finally:
            await client.disconnect()
            # end engineio's polling tasks before closing their HTTP session
            # (left to asyncio.run, they would open a new one that nobody closes)
            pending = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            await http.close()

    answer = asyncio.run(talk())
    assert "PMP" in answer and "60 professional development units" in answer


CONVERSATIONS = [  # (first message, name every later answer must contain)
    ("tell me about the PMP", "PMP"),
    ("tell me about the CPA", "CPA"),
    ("tell me about Cloud Security Fundamentals", "Cloud Security Fundamentals"),
    ("tell me about Python for Data Analysis", "Python for Data Analysis"),
]
FOLLOW_UPS = ["does it expire?", "how much is it?", "how long does it take?"]


def test_killing_a_server_loses_no_answered_message_and_the_rest_carries_on(cluster):
    a, b = cluster.rasa_urls
    convs = []
    for i, (opening, name) in enumerate(CONVERSATIONS):
        who = sender()
        assert name in text([a, b][i % 2], who, opening)
        convs.append({"sender": who, "name": name, "log": []})

    stop = threading.Event()

    def talk(conv: Dict) -> None:
        """One user: a follow-up through nginx as soon as the last is answered."""
        n = 0
        while not stop.is_set() and n < 200:
            message = FOLLOW_UPS[n % len(FOLLOW_UPS)]
            n += 1
            t0 = time.monotonic()
            try:
                replies = post_message(cluster.url, conv["sender"], message, timeout=90)
                error = None
            except (urllib.error.URLError, OSError, ValueError) as exc:
                replies, error = [], repr(exc)
            conv["log"].append({"message": message, "sent": t0, "done": time.monotonic(), "replies": replies,
                                "error": error, "text": "\n".join(m.get("text", "") for m in replies)})
            time.sleep(0.05)

    threads = [threading.Thread(target=talk, args=(c,)) for c in convs]
    for t in threads:
        t.start()
    try:
        time.sleep(4)
        answered_before = sum(1 for c in convs for m in c["log"] if m["replies"])
        kill_start = time.monotonic()
        cluster.kill_server(0)  # SIGKILL server A's process group, mid-traffic
        killed = time.monotonic()  # A is gone (reaped) from here on
        # Carry on until every conversation has had two more answers. A
        # conversation whose message A was processing when it died waits until
        # A's lock ticket expires (TICKET_LOCK_LIFETIME), then goes on.
        deadline = time.monotonic() + LOCK_LIFETIME + 30
        while time.monotonic() < deadline and not all(
                sum(1 for m in list(c["log"]) if m["replies"] and m["sent"] >= killed) >= 2 for c in convs):
            time.sleep(0.2)
    finally:
        stop.set()
        for t in threads:
            t.join(120)
    assert answered_before >= 8, "too little traffic before the kill to prove anything"

    for conv in convs:
        log = conv["log"]
        after = [m for m in log if m["sent"] >= killed]
        # the other server (through nginx) carries on: everything sent after the kill is answered
        assert after, f"{conv['sender']}: nothing sent after the kill"
        for m in after:
            assert m["replies"], f"{conv['sender']}: {m['message']!r} sent after the kill got no answer ({m['error']})"
        # ... and with the conversation's context
        for m in log:
            if m["replies"]:
                assert conv["name"] in m["text"], (conv["sender"], m["message"], m["text"])
        # no answered message is missing from the tracker store, and they are in order
        recorded = iter(t["user"] for t in turns(cluster.events(conv["sender"])))
        for m in (m for m in log if m["replies"]):
            assert any(u == m["message"] for u in recorded), \
                f"{conv['sender']}: answered {m['message']!r} is not in PostgreSQL (in order)"
        # only a message in flight at the kill may have gone unanswered (nginx
        # answers 502 for a request the dying server had already received)
        lost = [m for m in log if not m["replies"]]
        assert all(m["sent"] < killed and m["done"] >= kill_start for m in lost), lost

    logs = [m for c in convs for m in c["log"]]
    print(f"kill test: {answered_before} answered before the kill, {sum(1 for m in logs if m['replies'])} in all, "
          f"{sum(1 for m in logs if not m['replies'])} lost in flight, slowest answer after the kill "
          f"{max(m['done'] - m['sent'] for m in logs if m['done'] >= kill_start):.1f} s")

    # the surviving server directly, and nginx, still know every conversation
    for conv in convs:
        assert conv["name"] in text(b, conv["sender"], "does it expire?")
        assert conv["name"] in text(cluster.url, conv["sender"], "how much is it?")
