// contract-check.ts — compiled (never run) by `npx tsc -p html/js/tsconfig.json`:
// every export of html/js/convene.js must be assignable to the declaration
// of the same name in html/js/convene.d.ts (the contract), and nothing the
// contract declares may be missing. A mismatch is a compile error here.
import * as impl from '#convene-impl';
import type * as api from '../../html/js/convene.js';

// Values: functions and classes (constructor signature, static side and
// instance members all checked structurally).
export const checks = {
    ConveneError: impl.ConveneError satisfies typeof api.ConveneError,
    Emitter: impl.Emitter satisfies typeof api.Emitter,
    backoffDelay: impl.backoffDelay satisfies typeof api.backoffDelay,
    SignalingClient: impl.SignalingClient satisfies typeof api.SignalingClient,
    normalizeStats: impl.normalizeStats satisfies typeof api.normalizeStats,
    classifyQuality: impl.classifyQuality satisfies typeof api.classifyQuality,
    PeerEngine: impl.PeerEngine satisfies typeof api.PeerEngine,
    RoomEngine: impl.RoomEngine satisfies typeof api.RoomEngine,
};

// Instances, both ways where the contract's members are all there is to it.
declare const room: InstanceType<typeof impl.RoomEngine>;
export const roomAsApi: api.RoomEngine = room;
declare const peer: InstanceType<typeof impl.PeerEngine>;
export const peerAsApi: api.PeerEngine = peer;
declare const sig: InstanceType<typeof impl.SignalingClient>;
export const sigAsApi: api.SignalingClient = sig;
declare const err: InstanceType<typeof impl.ConveneError>;
export const errAsApi: api.ConveneError = err;

// Every value the contract exports is implemented, and checked above.
type ApiValues = keyof typeof api;
type Missing = Exclude<ApiValues, keyof typeof impl>;
type Unchecked = Exclude<ApiValues, keyof typeof checks>;
export const noneMissing: [Missing] extends [never] ? true : Missing = true;
export const noneUnchecked: [Unchecked] extends [never] ? true : Unchecked = true;
