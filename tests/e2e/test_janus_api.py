#!/usr/bin/python3
# with-server: --auth none
#
# The same protocol through the stock Janus API (docs/protocol.md, "The same
# protocol through the stock Janus API"): a client of Janus's websockets
# transport (janus-protocol) attaches janus.plugin.convene and sends the
# protocol's messages as `message` bodies; frames come back as plugin events.
# It shares rooms with Convene WebSocket clients.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from convene import (Client, JanusApiClient, case, check, check_eq, main, matches,  # noqa: E402
                     room_empty, room_members, short, uid)

MESH = "demo-mesh"
SDP_OFFER = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"


async def janus_client(name="janus"):
    return await (await JanusApiClient.connect(name=name)).setup()


@case("janus api: joins demo-mesh; a WebSocket client joining after sees it, and it gets user-joined")
async def _():
    await room_empty(MESH)
    uj, uw = uid("janus"), uid("ws")
    j = await janus_client()
    joined = await j.join(MESH, uj, displayName="Via Janus")
    check_eq(joined.get("userId"), uj, "joined.userId")
    check_eq(joined.get("participants"), [], "participants")
    check_eq(joined["data"].get("topology"), "mesh", "data.topology")
    check_eq(joined["data"].get("maxParticipants"), 8, "data.maxParticipants")
    w = await Client.connect(name="ws")
    jw = await w.join(MESH, uw, displayName="Via WebSocket")
    check_eq(jw.get("participants"), [uj], "participants seen by the WebSocket client")
    check(matches(jw["data"]["participants"][0], {"userId": uj, "displayName": "Via Janus"}),
          f"data.participants: {short(jw['data']['participants'])}")
    f = await j.expect("user-joined", userId=uw)
    check_eq(f.get("data", {}).get("displayName"), "Via WebSocket", "user-joined.data.displayName")


@case("janus api: joining after a WebSocket client lists it; the WebSocket client gets user-joined")
async def _():
    await room_empty(MESH)
    uj, uw = uid("janus"), uid("ws")
    w = await Client.connect(name="ws")
    await w.join(MESH, uw)
    j = await janus_client()
    joined = await j.join(MESH, uj)
    check_eq(joined.get("participants"), [uw], "participants seen by the Janus API client")
    f = await w.expect("user-joined", userId=uj)
    check("displayName" in f.get("data", {}), f"user-joined without displayName: {short(f)}")


@case("janus api: the direct reply is an event with the request's transaction and the plugin's name")
async def _():
    j = await janus_client()
    ack = await j.message({"type": "ping", "requestId": "tx-ping"})
    check_eq(ack.get("janus"), "ack", "first reply to a message")
    pong = await j.expect("pong", requestId="tx-ping")
    raw = next(e for e in j.raw_events if e["plugindata"]["data"] is pong or e["plugindata"]["data"] == pong)
    check_eq(raw.get("transaction"), ack.get("transaction"), "transaction of the pong event")
    check_eq(raw.get("sender"), j.handle_id, "sender of the pong event")
    check_eq(raw["plugindata"].get("plugin"), "janus.plugin.convene", "plugindata.plugin")


@case("janus api: message relays both ways (targeted and broadcast), offers too, userId = sender")
async def _():
    await room_empty(MESH)
    uj, uw = uid("janus"), uid("ws")
    j = await janus_client()
    await j.join(MESH, uj)
    w = await Client.connect(name="ws")
    await w.join(MESH, uw)
    await j.expect("user-joined", userId=uw)

    await j.message({"type": "message", "targetUserId": uw, "data": {"from": "janus", "n": [1, 2]}})
    f = await w.expect("message")
    check_eq((f.get("userId"), f.get("data")), (uj, {"from": "janus", "n": [1, 2]}), "message at ws")
    await w.send({"type": "message", "targetUserId": uj, "data": {"from": "ws"}})
    f = await j.expect("message")
    check_eq((f.get("userId"), f.get("data")), (uw, {"from": "ws"}), "message at janus")
    await j.message({"type": "message", "data": "to all"})
    f = await w.expect("message")
    check_eq((f.get("userId"), f.get("data")), (uj, "to all"), "broadcast at ws")
    await w.send({"type": "message", "data": "to all from ws"})
    f = await j.expect("message")
    check_eq((f.get("userId"), f.get("data")), (uw, "to all from ws"), "broadcast at janus")
    # mesh signalling through the API: offer in data, relayed as data. The
    # member that was there first (janus) offers to the newcomer (ws), as
    # the contract orders; the newcomer may offer once it has answered.
    offer = {"type": "offer", "sdp": SDP_OFFER}
    await j.message({"type": "offer", "targetUserId": uw, "data": offer})
    f = await w.expect("offer")
    check_eq((f.get("userId"), f.get("data")), (uj, offer), "offer at ws")
    answer = {"type": "answer", "sdp": SDP_OFFER}
    await w.send({"type": "answer", "targetUserId": uj, "data": answer})
    f = await j.expect("answer")
    check_eq((f.get("userId"), f.get("data")), (uw, answer), "answer at janus")
    await w.send({"type": "offer", "targetUserId": uj, "data": offer})
    f = await j.expect("offer")
    check_eq((f.get("userId"), f.get("data")), (uw, offer), "renegotiation offer from the newcomer at janus")
    await w.no_frame("message")
    await j.no_frame("message")


@case("janus api: detaching the handle gives the WebSocket client user-left {reason: disconnected}")
async def _():
    await room_empty(MESH)
    uj, uw = uid("janus"), uid("ws")
    j = await janus_client()
    await j.join(MESH, uj)
    w = await Client.connect(name="ws")
    await w.join(MESH, uw)
    await j.detach()
    f = await w.expect("user-left", userId=uj)
    check_eq(f.get("data"), {"reason": "disconnected"}, "user-left.data")
    check_eq(await room_members(MESH), [uw], "demo-mesh members after the detach")


@case("janus api: destroying the session, or closing its socket, gives user-left {reason: disconnected}")
async def _():
    await room_empty(MESH)
    uw = uid("ws")
    w = await Client.connect(name="ws")
    await w.join(MESH, uw)
    j1, j2 = await janus_client("janus1"), await janus_client("janus2")
    u1, u2 = uid("janus1"), uid("janus2")
    await j1.join(MESH, u1)
    await j2.join(MESH, u2)
    await j1.destroy()
    f = await w.expect("user-left", userId=u1)
    check_eq(f.get("data"), {"reason": "disconnected"}, "user-left.data after destroy")
    await j2.close()
    f = await w.expect("user-left", userId=u2)
    check_eq(f.get("data"), {"reason": "disconnected"}, "user-left.data after the socket closed")


@case("janus api: errors come as events with requestId; the handle stays usable")
async def _():
    j = await janus_client()
    for body, code in [
        ({"type": "no-such-type", "requestId": "e-1"}, 400),
        ({"type": "message", "data": {}, "requestId": "e-2"}, 409),
        ({"requestId": "e-3"}, 400),
        ({"type": "join", "roomId": 5, "requestId": "e-4"}, 400),
    ]:
        await j.message(body)
        await j.expect_error(code, body["requestId"])
        await j.ping()
    room = uid("room")
    await j.join(room, uid("janus"))
    await j.message({"type": "join", "roomId": room, "requestId": "e-5"})
    await j.expect_error(409, "e-5")
    await j.ping()


@case("janus api: a Janus API client and a WebSocket client with the same userId: the newer replaces")
async def _():
    room = uid("room")
    u = uid("dup")
    w = await Client.connect(name="ws")
    await w.join(room, u)
    j = await janus_client()
    joined = await j.join(room, u)
    check_eq(joined.get("participants"), [], "participants seen by the replacing connection")
    k = await w.expect("kicked")
    check_eq(k.get("data", {}).get("reason"), "replaced", "kicked.data.reason")
    code, _ = await w.wait_closed()
    check_eq(code, 4000, "close code of the replaced WebSocket")
    await j.ping()


if __name__ == "__main__":
    main()
