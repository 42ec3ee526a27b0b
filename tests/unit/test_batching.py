"""Keyed rounds (servers/runtime/batching.py) with real asyncio concurrency: no database, no sleeps
beyond handing control to the loop (a round waits on an event the test sets)."""

from __future__ import annotations

import asyncio

import pytest

from servers.runtime.batching import KeyedRounds, Ticket, Unanswered


class Front:
    """A round function that records its rounds and, when told, holds a key's round open."""

    def __init__(self) -> None:
        self.rounds: list[tuple[str, list[str]]] = []
        self.gates: dict[str, asyncio.Event] = {}
        self.started: dict[str, asyncio.Event] = {}

    def hold_open(self, key: str) -> asyncio.Event:
        """The key's next round waits, once started, until the event returned is set."""
        self.gates[key] = asyncio.Event()
        self.started[key] = asyncio.Event()
        return self.gates[key]

    async def run(self, key: str, batch: list[Ticket[str, str, str]]) -> None:
        self.rounds.append((key, [t.item for t in batch]))
        if key in self.gates:
            self.started[key].set()
            await self.gates.pop(key).wait()
        for ticket in batch:
            if ticket.item.startswith("bad"):
                ticket.fail(ValueError(ticket.item))
            else:
                ticket.settle(f"{key}:{ticket.item}")


async def _turns(n: int = 5) -> None:
    for _ in range(n):
        await asyncio.sleep(0)


async def test_items_arriving_while_a_round_runs_go_together_in_the_next_in_order():
    front = Front()
    rounds: KeyedRounds[str, str, str] = KeyedRounds(front.run, round_size=10)
    gate = front.hold_open("room")
    first = asyncio.create_task(rounds.submit("room", "a"))
    await front.started["room"].wait()
    later = [asyncio.create_task(rounds.submit("room", item)) for item in ("b", "c", "d")]
    await _turns()
    assert front.rounds == [("room", ["a"])]  # alone, at once: batching adds no waiting
    gate.set()
    assert await asyncio.gather(first, *later) == ["room:a", "room:b", "room:c", "room:d"]
    assert front.rounds == [("room", ["a"]), ("room", ["b", "c", "d"])]
    assert not rounds.busy


async def test_a_round_takes_at_most_round_size_items():
    front = Front()
    rounds: KeyedRounds[str, str, str] = KeyedRounds(front.run, round_size=2)
    gate = front.hold_open("room")
    first = asyncio.create_task(rounds.submit("room", "a"))
    await front.started["room"].wait()
    later = [asyncio.create_task(rounds.submit("room", item)) for item in "bcde"]
    await _turns()
    gate.set()
    await asyncio.gather(first, *later)
    assert [items for _, items in front.rounds] == [["a"], ["b", "c"], ["d", "e"]]


async def test_keys_run_side_by_side_and_one_held_open_does_not_hold_up_another():
    front = Front()
    rounds: KeyedRounds[str, str, str] = KeyedRounds(front.run, round_size=10)
    gate = front.hold_open("slow")
    slow = asyncio.create_task(rounds.submit("slow", "a"))
    await front.started["slow"].wait()
    assert await asyncio.wait_for(rounds.submit("quick", "b"), 1) == "quick:b"
    assert not slow.done()
    gate.set()
    assert await slow == "slow:a"


async def test_one_items_failure_is_its_own_and_the_others_get_their_results():
    front = Front()
    rounds: KeyedRounds[str, str, str] = KeyedRounds(front.run, round_size=10)
    outcomes = await asyncio.gather(*(rounds.submit("room", item) for item in ("a", "bad-b", "c")),
                                    return_exceptions=True)
    assert outcomes[0] == "room:a" and outcomes[2] == "room:c"
    assert isinstance(outcomes[1], ValueError) and str(outcomes[1]) == "bad-b"


async def test_a_round_that_raises_fails_its_items_and_the_key_goes_on():
    calls: list[list[str]] = []

    async def run(key: str, batch: list[Ticket[str, str, str]]) -> None:
        calls.append([t.item for t in batch])
        if len(calls) == 1:
            raise ConnectionError("the database is away")
        for ticket in batch:
            ticket.settle(ticket.item.upper())

    rounds: KeyedRounds[str, str, str] = KeyedRounds(run, round_size=10)
    failed = await asyncio.gather(rounds.submit("room", "a"), rounds.submit("room", "b"), return_exceptions=True)
    assert all(isinstance(o, ConnectionError) for o in failed)
    assert await rounds.submit("room", "c") == "C"
    assert not rounds.busy


async def test_a_round_that_forgets_an_item_fails_it_rather_than_leave_it_waiting():
    async def run(key: str, batch: list[Ticket[str, str, str]]) -> None:
        batch[0].settle("answered")

    rounds: KeyedRounds[str, str, str] = KeyedRounds(run, round_size=10)
    outcomes = await asyncio.gather(rounds.submit("room", "a"), rounds.submit("room", "b"), return_exceptions=True)
    assert outcomes[0] == "answered" and isinstance(outcomes[1], Unanswered)


async def test_a_cancelled_waiter_does_not_cancel_the_round_the_others_wait_on():
    front = Front()
    rounds: KeyedRounds[str, str, str] = KeyedRounds(front.run, round_size=10)
    first_gate = front.hold_open("room")
    first = asyncio.create_task(rounds.submit("room", "a"))
    await front.started["room"].wait()
    leaving = asyncio.create_task(rounds.submit("room", "b"))
    staying = asyncio.create_task(rounds.submit("room", "c"))
    await _turns()
    second_gate = front.hold_open("room")  # the round of b and c waits too, once started
    first_gate.set()
    assert await first == "room:a"
    await front.started["room"].wait()
    assert front.rounds[-1] == ("room", ["b", "c"])
    leaving.cancel()
    await _turns()
    assert leaving.cancelled() and not staying.done()
    second_gate.set()
    assert await asyncio.wait_for(staying, 1) == "room:c"
    assert not rounds.busy


async def test_a_waiter_cancelled_before_its_round_still_has_its_item_go():
    """The item is not taken back (a hold may already be on its way into a transaction); its outcome,
    a failure here, goes to nobody without a never-retrieved warning."""
    front = Front()
    rounds: KeyedRounds[str, str, str] = KeyedRounds(front.run, round_size=10)
    gate = front.hold_open("room")
    first = asyncio.create_task(rounds.submit("room", "a"))
    await front.started["room"].wait()
    gone = asyncio.create_task(rounds.submit("room", "bad-gone"))
    await _turns()
    gone.cancel()
    await _turns()
    gate.set()
    assert await first == "room:a"
    await _turns()
    assert front.rounds == [("room", ["a"]), ("room", ["bad-gone"])]
    assert not rounds.busy


async def test_a_ticket_handed_on_answers_its_submitter_from_a_later_round():
    seen: list[list[tuple[str, int]]] = []
    tries: dict[str, int] = {}
    rounds: KeyedRounds[str, str, str]

    async def run(key: str, batch: list[Ticket[str, str, str]]) -> None:
        seen.append([(t.item, tries.get(t.item, 0)) for t in batch])
        for ticket in batch:
            tries[ticket.item] = tries.get(ticket.item, 0) + 1
            if ticket.item == "again" and tries["again"] == 1:
                rounds.hand_on(ticket)
            elif ticket.item == "later" and tries["later"] == 1:
                rounds.hand_on(ticket, after=0.01)
            else:
                ticket.settle(f"{ticket.item}#{tries[ticket.item]}")

    rounds = KeyedRounds(run, round_size=10)
    outcomes = await asyncio.wait_for(asyncio.gather(
        rounds.submit("p", "again"), rounds.submit("p", "later"), rounds.submit("p", "once")), 2)
    assert outcomes == ["again#2", "later#2", "once#1"]
    assert seen[0] == [("again", 0), ("later", 0), ("once", 0)]
    assert seen[1] == [("again", 1)]
    assert seen[2] == [("later", 1)]
    assert not rounds.busy


async def test_stop_cancels_rounds_running_items_waiting_and_items_handed_on_for_later():
    front = Front()
    rounds: KeyedRounds[str, str, str] = KeyedRounds(front.run, round_size=1)
    front.hold_open("room")  # never set: the round is still running when stop comes
    running = asyncio.create_task(rounds.submit("room", "a"))
    await front.started["room"].wait()
    waiting = asyncio.create_task(rounds.submit("room", "b"))
    await _turns()

    async def postpone(key: str, batch: list[Ticket[str, str, str]]) -> None:
        for ticket in batch:
            later_rounds.hand_on(ticket, after=60)

    later_rounds: KeyedRounds[str, str, str] = KeyedRounds(postpone, round_size=10)
    postponed = asyncio.create_task(later_rounds.submit("p", "c"))
    await _turns()
    assert later_rounds.busy

    await rounds.stop()
    await later_rounds.stop()
    for task in (running, waiting, postponed):
        with pytest.raises(asyncio.CancelledError):
            await task
    assert front.rounds == [("room", ["a"])]
    assert not rounds.busy and not later_rounds.busy
    # A stopped batcher that is fed again starts afresh (nothing of the old rounds is left behind).
    assert await asyncio.wait_for(rounds.submit("room", "d"), 1) == "room:d"


async def test_stop_right_after_a_submit_leaves_nothing_behind():
    front = Front()
    rounds: KeyedRounds[str, str, str] = KeyedRounds(front.run, round_size=10)
    submitted = asyncio.create_task(rounds.submit("room", "a"))
    await asyncio.sleep(0)  # queued, its round created but not yet started
    await rounds.stop()
    with pytest.raises(asyncio.CancelledError):
        await submitted
    assert not rounds.busy
    assert await asyncio.wait_for(rounds.submit("room", "b"), 1) == "room:b"


def test_a_round_takes_at_least_one_item():
    with pytest.raises(ValueError):
        KeyedRounds(Front().run, round_size=0)
