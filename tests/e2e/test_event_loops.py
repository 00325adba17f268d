#!/usr/bin/python3
# with-server: --event-loops 2 --set transport.loop_affinity=true
#
# Room affinity of Janus event loops (docs/architecture.md, "Event loops"):
# Janus runs 2 static event loops with allow_loop_indication, and the
# Convene transport (loop_affinity = true) attaches each socket's handle, at
# its first `join`, on the loop of the join's room (src/cv_placement.c).
#
# What is checked, from two sides: the transport's own account
# (query_transport: event_loops.placed per loop, rooms) and the core's
# (admin loops_info: handles per loop), so a placement that the core did not
# carry out is seen. Janus 1.1.2 never takes a manually placed handle off its
# loop's count (ice.c), so the core's counts are compared as growth from
# before each case, not as absolute numbers. Media must flow with the
# placement: cvload runs a meeting in two rooms, checked as in
# test_cvload.py.
import asyncio
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from convene import Client, admin_request, case, check, check_eq, main, uid  # noqa: E402
from cvload_check import check_summary, run_cvload  # noqa: E402


async def placement():
    reply = await admin_request({"janus": "query_transport", "transport": "janus.transport.convene",
                                 "request": {}})
    return (reply.get("response") or {}).get("event_loops") or {}


async def core_loops():
    """Handles per event loop as the core counts them, by loop id."""
    reply = await admin_request({"janus": "loops_info"})
    return {loop["id"]: loop["handles"] for loop in reply.get("loops") or []}


async def wait_placed(expected, timeout=5.0):
    """Waits until the transport's placed counts (sorted) are `expected`."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        p = await placement()
        if sorted(p.get("placed") or []) == sorted(expected):
            return p
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"placed per loop {p.get('placed')}, expected {expected} (in any order): {p}")
        await asyncio.sleep(0.05)


def growth(before, after):
    return {k: after.get(k, 0) - before.get(k, 0) for k in after}


@case("query_transport: affinity over Janus's 2 event loops, nothing placed when idle")
async def _():
    p = await wait_placed([0, 0])
    check_eq(p.get("affinity"), True, "event_loops.affinity")
    check_eq(p.get("rooms"), 0, "event_loops.rooms")
    check_eq(len(await core_loops()), 2, "the core's event loops")


@case("a room's PeerConnections share one loop; the next room takes the other; leaving frees both")
async def _():
    await wait_placed([0, 0])
    before = await core_loops()
    room_a, room_b = uid("loops-a"), uid("loops-b")
    clients = []
    for i in range(3):
        c = await Client.connect(name=f"a{i}")
        await c.join(room_a, uid("a"))
        clients.append(c)
    p = await wait_placed([3, 0])
    check_eq(p.get("rooms"), 1, "rooms placed")
    home_a = p["placed"].index(3)
    for i in range(2):
        c = await Client.connect(name=f"b{i}")
        await c.join(room_b, uid("b"))
        clients.append(c)
    p = await wait_placed([3, 2])
    check_eq(p["placed"][home_a], 3, f"room A's loop {home_a} (placed {p['placed']})")
    check_eq(p.get("rooms"), 2, "rooms placed")
    # The core put the handles where the transport said
    grown = growth(before, await core_loops())
    check_eq(sorted(grown.values()), [2, 3], f"the core's handles per loop grew by {grown}")
    check_eq(grown.get(home_a), 3, f"the core's growth on room A's loop {home_a} ({grown})")
    for c in clients:
        await c.close()
    p = await wait_placed([0, 0])
    check_eq(p.get("rooms"), 0, "rooms placed after everybody left")


@case("a socket whose first frame is not a join is left to the core; it still joins and is served")
async def _():
    await wait_placed([0, 0])
    before = await core_loops()
    c = await Client.connect(name="pinger")
    await c.ping()
    joined = await c.join(uid("loops-ping"), uid("p"))
    check(joined is not None, "joined")
    p = await placement()
    check_eq(p.get("placed"), [0, 0], "placed by the transport")
    check_eq(sum(growth(before, await core_loops()).values()), 1, "handles the core added")
    await c.assert_usable()
    await c.close()


@case("media flows with the placement: cvload meeting of 3 in each of 2 rooms", timeout=45)
async def _():
    await wait_placed([0, 0])
    status, s, err = await run_cvload("convene", "--scenario", "meeting", "--participants", "3", "--rooms", "2",
                                      "--duration", "6", "--ramp", "20")
    check_summary(status, s, err, peers=6, publishers_per_room=3, seconds=6, rooms=2)
    await wait_placed([0, 0], timeout=10)


if __name__ == "__main__":
    main()
