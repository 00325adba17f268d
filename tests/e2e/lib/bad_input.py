"""Helpers shared by the bad-input suites (tests/e2e/test_bad_input*.py):
good tokens, connected and joined clients, a room with an actor and a
bystander, and the checks that a bad input touched nobody else and that the
server still serves a fresh client. They run under `with-server --auth jwt`
(CONVENE_JWT_SECRET)."""

from convene import Client, check_eq, env, mint_token, room_empty, uid

MESH = "demo-mesh"


def token(sub, grants=None, **claims):
    """A good token for sub, never the same text twice (a jti); grants are
    merged over {create: true} (cases make their own rooms)."""
    g = {"create": True}
    g.update(grants or {})
    claims.setdefault("jti", uid("jti"))
    return mint_token(env("CONVENE_JWT_SECRET"), sub, grants=g, **claims)


async def conn(sub=None, grants=None, name=None, **claims):
    """A connected client with a good token for sub (client.sub)."""
    sub = sub or uid("u")
    c = await Client.connect(token=token(sub, grants, **claims), name=name or sub)
    c.sub = sub
    return c


async def member(room_id, sub=None, grants=None, **claims):
    """A client joined to room_id."""
    c = await conn(sub, grants, **claims)
    await c.join(room_id)
    return c


async def scene(room=None):
    """A room (a new SFU room unless given) with an actor and a bystander
    joined; the bystander has seen the actor arrive."""
    room = room or uid("room")
    bystander = await member(room, uid("bystander"))
    actor = await member(room, uid("actor"))
    await bystander.expect("user-joined", userId=actor.sub)
    return room, actor, bystander


async def mesh_empty():
    """demo-mesh is shared between cases (max 8): empty at the start of one."""
    await room_empty(MESH)


async def unaffected(*clients, within=0.3):
    """Nothing reached these clients, and they still work."""
    for c in clients:
        await c.no_frame(within=within)
        await c.assert_usable()


async def fresh_client_served():
    """A new client can still join and ping."""
    c = await conn(uid("fresh"))
    j = await c.join(uid("room"))
    check_eq(j.get("userId"), c.sub, "joined.userId of a fresh client")
    await c.ping()
    await c.close()
