#!/usr/bin/python3
# with-server: --auth jwt
#
# The stock Janus API with auth = "jwt": the join body carries the token
# (docs/protocol.md, "The same protocol through the stock Janus API").
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from convene import (Client, JanusApiClient, broken_token, case, check_eq, env, main,  # noqa: E402
                     mint_token, uid)

SECRET = env("CONVENE_JWT_SECRET")


async def janus_client(name="janus"):
    return await (await JanusApiClient.connect(name=name)).setup()


@case("janus api jwt: join without a token is 401; with a good one, joined with userId = sub")
async def _():
    j = await janus_client()
    await j.message({"type": "join", "roomId": "demo", "userId": uid("nobody"), "requestId": "no-token"})
    await j.expect_error(401, "no-token")
    sub = uid("alice")
    joined = await j.join("demo", token=mint_token(SECRET, sub))
    check_eq(joined.get("userId"), sub, "joined.userId")


@case("janus api jwt: refused tokens (bad signature, expired, alg none, malformed) are 401")
async def _():
    j = await janus_client()
    for kind in ("bad_signature", "expired", "alg_none", "malformed", "not_yet_valid"):
        rid = f"t-{kind}"
        await j.message({"type": "join", "roomId": "demo", "token": broken_token(kind, SECRET), "requestId": rid})
        await j.expect_error(401, rid)
    await j.ping()


@case("janus api jwt: a userId other than the token's sub is 403; a token for another room is 403")
async def _():
    j = await janus_client()
    sub = uid("alice")
    await j.message({"type": "join", "roomId": "demo", "userId": uid("mallory"),
                     "token": mint_token(SECRET, sub), "requestId": "forged"})
    await j.expect_error(403, "forged")
    await j.message({"type": "join", "roomId": "demo", "token": mint_token(SECRET, sub, room=uid("r1")),
                     "requestId": "room"})
    await j.expect_error(403, "room")
    joined = await j.join("demo", sub, token=mint_token(SECRET, sub))
    check_eq(joined.get("userId"), sub, "joined.userId")


@case("janus api jwt: a Janus API client and a WebSocket client see each other and exchange messages")
async def _():
    room = uid("room")
    uj, uw = uid("janus"), uid("ws")
    w = await Client.connect(token=mint_token(SECRET, uw, grants={"create": True}), name="ws")
    await w.join(room)
    j = await janus_client()
    joined = await j.join(room, token=mint_token(SECRET, uj, name="Janus User"))
    check_eq(joined.get("participants"), [uw], "participants seen by the Janus API client")
    f = await w.expect("user-joined", userId=uj)
    check_eq(f.get("data", {}).get("displayName"), "Janus User", "user-joined.data.displayName")
    await w.send({"type": "message", "targetUserId": uj, "data": "hi janus"})
    f = await j.expect("message", userId=uw)
    check_eq(f.get("data"), "hi janus", "message.data at janus")
    await j.message({"type": "message", "data": "hi all"})
    f = await w.expect("message", userId=uj)
    check_eq(f.get("data"), "hi all", "message.data at ws")
    await j.detach()
    f = await w.expect("user-left", userId=uj)
    check_eq(f.get("data"), {"reason": "disconnected"}, "user-left.data")


if __name__ == "__main__":
    main()
