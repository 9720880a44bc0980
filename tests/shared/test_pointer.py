import json
import time

import pytest
import redis

from shared.errors import RedisUnavailable
from shared.pointer import KEYS, ModelPointer, connect


def test_pointer_moves_with_its_history_entry(redis_client: redis.Redis) -> None:
    pointer = ModelPointer(redis_client)
    assert pointer.current() is None
    first = pointer.move("v1", actor="trainer", reason="first model")
    second = pointer.move("v2", actor="operator", reason="better silhouette")
    assert pointer.current() == "v2"
    assert first["previous"] is None and second["previous"] == "v1"
    history = pointer.history()
    assert [h["version"] for h in history] == ["v2", "v1"]
    assert history[0]["actor"] == "operator" and history[0]["reason"] == "better silhouette"
    assert history[0]["previous"] == "v1"


def test_pointer_and_history_change_in_one_transaction(redis_client: redis.Redis) -> None:
    """A MONITOR sees SET and LPUSH between one MULTI and its EXEC."""
    pointer = ModelPointer(redis_client)
    with redis_client.monitor() as monitor:
        pointer.move("v9", actor="test", reason="atomicity")
        commands = []
        for event in monitor.listen():
            commands.append(event["command"].split()[0].upper())
            if commands[-1] == "EXEC":
                break
    block = commands[commands.index("MULTI") :]
    assert block[:4] == ["MULTI", "SET", "LPUSH", "LTRIM"] and block[-1] == "EXEC"


def test_the_channel_message_arrives(redis_client: redis.Redis) -> None:
    subscriber = redis_client.pubsub(ignore_subscribe_messages=True)
    subscriber.subscribe(KEYS.model_updates)
    time.sleep(0.05)
    ModelPointer(redis_client).move("v3", actor="test", reason="announce")
    message = None
    deadline = time.monotonic() + 5
    while message is None and time.monotonic() < deadline:
        message = subscriber.get_message(timeout=0.5)
    subscriber.close()
    assert message is not None and json.loads(message["data"]) == {"version": "v3"}


def test_latest_dataset_pointer(redis_client: redis.Redis) -> None:
    pointer = ModelPointer(redis_client)
    assert pointer.latest_dataset() is None
    pointer.set_latest_dataset("d1")
    assert pointer.latest_dataset() == "d1"


def test_redis_away_is_a_project_error_naming_the_key() -> None:
    from tools.stack import free_port

    pointer = ModelPointer(connect(f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=0.3))
    with pytest.raises(RedisUnavailable, match="musicrec:model:current"):
        pointer.current()


def test_move_if_is_a_compare_and_set(redis_client: redis.Redis) -> None:
    pointer = ModelPointer(redis_client)
    assert pointer.move_if("v1", expected=None, actor="trainer", reason="first")["previous"] is None
    assert pointer.move_if("v0", expected=None, actor="trainer", reason="started before v1") is None
    assert pointer.current() == "v1" and len(pointer.history()) == 1  # the loser moved nothing
    [lost] = pointer.superseded()  # and is recorded, not lost
    assert {k: lost[k] for k in ("version", "pointer_at_start", "superseded_by", "actor", "reason")} == {
        "version": "v0", "pointer_at_start": None, "superseded_by": "v1", "actor": "trainer", "reason": "started before v1"}
    assert pointer.move_if("v2", expected="v1", actor="trainer", reason="from v1")["previous"] == "v1"
    assert [h["version"] for h in pointer.history()] == ["v2", "v1"] and len(pointer.superseded()) == 1


def test_of_many_racing_compare_and_sets_from_one_version_exactly_one_wins(services) -> None:
    """Eight clients, each on its own connection, all moving from v0 at once."""
    import threading

    setup = ModelPointer(connect(services.redis_url))
    setup.client.flushdb()
    setup.move("v0", actor="test", reason="start")
    barrier, outcomes = threading.Barrier(8), {}

    def race(n: int) -> None:
        pointer = ModelPointer(connect(services.redis_url))
        barrier.wait()
        outcomes[n] = pointer.move_if(f"v{n + 1}", expected="v0", actor="trainer", reason=f"racer {n}")
        pointer.client.close()

    threads = [threading.Thread(target=race, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    winners = [entry for entry in outcomes.values() if entry is not None]
    assert len(outcomes) == 8 and len(winners) == 1
    assert setup.current() == winners[0]["version"]
    assert [h["version"] for h in setup.history()] == [winners[0]["version"], "v0"]
    losers = setup.superseded()  # each of the seven others, superseded by the winner
    assert sorted(s["version"] for s in losers) == sorted(f"v{n + 1}" for n, entry in outcomes.items() if entry is None)
    assert {(s["pointer_at_start"], s["superseded_by"]) for s in losers} == {("v0", winners[0]["version"])}
    setup.client.flushdb()
    setup.client.close()
