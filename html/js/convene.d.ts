// convene.d.ts — the API of html/js/convene.js, the Convene browser client.
//
// This file is the contract: the module's JSDoc types are checked against
// it (`npx tsc -p html/js/tsconfig.json`, see tests/README.md). Protocol
// details: docs/protocol.md. Negotiation: docs/negotiation.md.

/** A frame of the Convene protocol (both directions). */
export interface Frame {
    type: string;
    roomId?: string;
    userId?: string;
    targetUserId?: string;
    data?: any;
    requestId?: string | number;
    timestamp?: number;
    tracks?: TrackInfo[];
    participants?: string[];
    [key: string]: any;
}

/** One forwarded track of a server offer (SFU rooms). */
export interface TrackInfo {
    mid: string;
    userId: string;
    kind: 'audio' | 'video';
    trackId: string;
}

/** An `error` frame, or a failure of the library, as an Error. */
export class ConveneError extends Error {
    constructor(code: number, reason: string, message?: string, requestId?: string | number);
    /** The protocol's numeric code (400, 401, 403, 404, 409, 413, 429, 500, 503), or 0 for a local failure. */
    code: number;
    /** The stable reason word (bad_request, forbidden, room_full, ...; "timeout", "closed" for local failures). */
    reason: string;
    requestId?: string | number;
}

/** A minimal event emitter. `on` returns a function that removes the listener. */
export class Emitter {
    on(event: string, listener: (...args: any[]) => void): () => void;
    once(event: string, listener: (...args: any[]) => void): () => void;
    off(event: string, listener: (...args: any[]) => void): void;
    emit(event: string, ...args: any[]): void;
}

// --- reconnect backoff ------------------------------------------------------------

export interface BackoffOptions {
    /** First delay, ms (default 500). */
    baseMs?: number;
    /** Largest delay, ms (default 15000). */
    maxMs?: number;
    /** Growth per attempt (default 2). */
    factor?: number;
    /** Fraction of the delay randomised, 0..1 (default 0.3: delay * (1 - 0.3 * r)). */
    jitter?: number;
}

/** The delay before reconnect attempt `attempt` (0, 1, 2, ...):
 * min(maxMs, baseMs * factor^attempt), reduced by up to `jitter` of itself
 * using `random()` in [0, 1) (Math.random by default). */
export function backoffDelay(attempt: number, options?: BackoffOptions, random?: () => number): number;

// --- signaling ----------------------------------------------------------------------

export type SignalingState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface SignalingOptions {
    /** ws(s)://host:port/ws/webrtc */
    url: string;
    /** JWT, sent as ?token= */
    token?: string;
    /** Reconnect automatically after an unexpected close (default true). Not after 1008 (Unauthorized) or 4000 (kicked). */
    reconnect?: boolean | BackoffOptions;
    /** Application-level ping interval, ms (default 20000; 0: none). A missing pong within the interval closes and reconnects. */
    pingIntervalMs?: number;
    /** How long `request()` waits for its reply, ms (default 10000). */
    requestTimeoutMs?: number;
    /** The WebSocket class (default globalThis.WebSocket), for tests. */
    WebSocket?: any;
}

/**
 * The WebSocket to Convene. Events:
 *  'open' ()                          connected (first time or again)
 *  'close' ({code, reason, willReconnect})
 *  'reconnecting' ({attempt, delayMs})
 *  'frame' (frame)                    every frame received
 *  '<type>' (frame)                   every frame received, by its type ('joined', 'offer', 'user-joined', ...)
 *  'error' (ConveneError)             an `error` frame no request was waiting for
 */
export class SignalingClient extends Emitter {
    constructor(options: SignalingOptions);
    readonly state: SignalingState;
    /** Opens the socket; resolves when open, rejects (ConveneError) if it closes first. */
    connect(): Promise<void>;
    /** Sends a frame (adds `timestamp`). Throws ConveneError('closed') when not open. */
    send(frame: Frame): void;
    /** Sends a frame with a fresh `requestId` and resolves with the first frame that echoes it
     * (of type `expect` when given); rejects with ConveneError for an `error` frame that echoes it,
     * or on timeout ('timeout') or close ('closed'). */
    request(frame: Frame, expect?: string): Promise<Frame>;
    /** Closes for good (no reconnect). */
    close(code?: number, reason?: string): void;
}

// --- stats --------------------------------------------------------------------------------

/** One RTP stream, normalised from getStats(). Rates are over the time since the previous summary. */
export interface TrackStats {
    kind: 'audio' | 'video';
    direction: 'inbound' | 'outbound';
    mid: string | null;
    /** The publisher (SFU: from the server's tracks map; mesh: the peer), when known. */
    userId: string | null;
    ssrc: number;
    rid: string | null;
    codec: string | null;
    bitrateBps: number;
    /** Bytes received (inbound) or sent (outbound) so far: what the next summary's bitrate is computed from. */
    bytes: number;
    /** Packets received (inbound) or sent (outbound) so far. */
    packets: number;
    packetsLost: number;
    /** Lost / (received + lost) over the interval, 0..1. */
    lossRate: number;
    jitterMs: number;
    /** Round-trip time reported by the remote end for this stream, ms, or null. */
    rttMs: number | null;
    framesPerSecond: number | null;
    framesDecoded: number | null;
    framesEncoded: number | null;
    frameWidth: number | null;
    frameHeight: number | null;
}

export interface StatsSummary {
    timestamp: number;
    connectionState: string;
    /** Current round-trip time of the selected candidate pair, ms, or null. */
    rttMs: number | null;
    availableOutgoingBitrate: number | null;
    inbound: TrackStats[];
    outbound: TrackStats[];
}

/** Normalises an RTCStatsReport (or a Map of stats objects). `previous` gives the
 * rates; `midOwners` maps mid -> userId. Pure: no RTCPeerConnection needed. */
export function normalizeStats(report: Map<string, any> | RTCStatsReport, previous?: StatsSummary | null,
    midOwners?: Map<string, string> | null): StatsSummary;

export type Quality = 'good' | 'degraded' | 'poor';
export interface QualityIssue {
    type: 'packet_loss' | 'jitter' | 'rtt' | 'bitrate';
    value: number;
    severity: 'warning' | 'critical';
}
/** Thresholds: loss >= 2% warning, >= 10% critical; jitter >= 30 ms warning, >= 100 ms critical;
 * RTT >= 300 ms warning, >= 1000 ms critical. quality: any critical -> poor, any warning -> degraded. */
export function classifyQuality(sample: { lossRate?: number; jitterMs?: number; rttMs?: number | null }):
    { quality: Quality; issues: QualityIssue[] };

// --- one PeerConnection ----------------------------------------------------------------------

export interface AddStreamOptions {
    /** Publish video as three simulcast layers rid h/m/l (default false). */
    simulcast?: boolean;
    /** Cap of the video sender (or of layer h), bits per second. */
    maxBitrate?: number;
}

/**
 * One RTCPeerConnection with perfect negotiation (the seed guide's
 * WebRTCPeerEngine). With the server the engine is polite. Events:
 *  'signal' ({type: 'offer' | 'answer' | 'ice-candidate', data})   to send to the peer
 *                                     (offers and candidates: the answer to a remote offer
 *                                     is what handleOffer() returns, it is not emitted too)
 *  'track' (RTCTrackEvent)
 *  'connectionstatechange' (state)
 *  'ice-restart' ()                   an ICE restart was started (failed, or disconnected > iceRestartAfterMs)
 *  'datachannel' (RTCDataChannel)     a channel the peer opened
 */
export class PeerEngine extends Emitter {
    constructor(peerId: string, rtcConfig?: RTCConfiguration, polite?: boolean, options?: { iceRestartAfterMs?: number });
    readonly peerId: string;
    readonly polite: boolean;
    readonly pc: RTCPeerConnection | null;
    initialize(): Promise<void>;
    /** Sends the stream's tracks (sendonly transceivers; video as simulcast when asked). */
    addStream(stream: MediaStream, options?: AddStreamOptions): Promise<void>;
    /** Applies an offer and returns the answer to send, or null when the offer was ignored (impolite side, collision). */
    handleOffer(offer: RTCSessionDescriptionInit): Promise<RTCSessionDescriptionInit | null>;
    handleAnswer(answer: RTCSessionDescriptionInit): Promise<void>;
    /** Applies a remote candidate (null: end of candidates); ignored while an ignored offer's candidates arrive. */
    addIceCandidate(candidate: RTCIceCandidateInit | null): Promise<void>;
    getDetailedStats(midOwners?: Map<string, string>): Promise<StatsSummary>;
    restartIce(): void;
    /** Replaces the sent track of that kind (null: send nothing). */
    replaceTrack(kind: 'audio' | 'video', track: MediaStreamTrack | null): Promise<void>;
    setMaxBitrate(bps: number): Promise<void>;
    createDataChannel(label: string, options?: RTCDataChannelInit): RTCDataChannel;
    close(): void;
}

// --- a room -----------------------------------------------------------------------------------

export interface RoomOptions {
    url: string;
    token?: string;
    roomId: string;
    /** Needed with auth "none" (development); with tokens the token's sub is the id. */
    userId?: string;
    displayName?: string;
    /** Extra RTCConfiguration; iceServers from `joined` are added. */
    rtcConfig?: RTCConfiguration;
    /** Publish video as simulcast h/m/l in SFU rooms (default true). */
    simulcast?: boolean;
    /** Open a data channel (default true). */
    dataChannel?: boolean;
    /** Send nothing (receive-only; join announces publish {audio:false, video:false}). */
    receiveOnly?: boolean;
    reconnect?: boolean | BackoffOptions;
    /** For tests: ms after which a stuck 'disconnected' connection restarts ICE (default 4000). */
    iceRestartAfterMs?: number;
}

export interface Participant {
    userId: string;
    displayName: string;
    media: { audio: boolean; video: boolean };
    /** The participant's media, once it arrives. */
    stream: MediaStream | null;
}

export interface JoinedInfo {
    roomId: string;
    userId: string;
    topology: 'sfu' | 'mesh';
    participants: Participant[];
    maxParticipants: number | null;
    iceServers: RTCIceServer[];
}

export interface QualityEvent {
    /** The remote participant whose stream this is (inbound), or null for our own sending (outbound). */
    userId: string | null;
    direction: 'uplink' | 'downlink';
    quality: Quality;
    issues: QualityIssue[];
    stats: TrackStats | null;
}

/**
 * A room in SFU or mesh topology, the same API for both (the seed guide's
 * WebRTCSFUEngine). Events:
 *  'joined' (JoinedInfo)
 *  'participant-joined' (Participant)     'participant-left' (Participant, reason)
 *  'participant-updated' (Participant)    (mute state)
 *  'stream' ({userId, stream})            a participant's media arrived (or changed)
 *  'stream-removed' ({userId})
 *  'data' ({userId, data, targetUserId?}) from the data channel
 *  'message' ({userId, data})             a signaling `message`
 *  'quality' (QualityEvent)               from startQualityMonitoring
 *  'quality-warning' (Frame)              the server's quality-warning frame
 *  'state' ('connecting'|'joined'|'reconnecting'|'left'|'kicked'|'closed')
 *  'kicked' ({reason})  'room-closed' ({reason})  'error' (ConveneError)
 */
export class RoomEngine extends Emitter {
    constructor(options: RoomOptions);
    readonly roomId: string;
    readonly userId: string | null;
    readonly topology: 'sfu' | 'mesh' | null;
    readonly participants: Map<string, Participant>;
    readonly localStream: MediaStream | null;
    readonly signaling: SignalingClient;
    /** Connects, joins, and starts publishing the local stream if one was set. Rejects with ConveneError (403, 404, 503, ...). */
    join(): Promise<JoinedInfo>;
    leave(): Promise<void>;
    /** Sets what to publish (before or after join). */
    setLocalStream(stream: MediaStream): Promise<void>;
    /** Mutes/unmutes (track.enabled) and announces it with a `media` frame. */
    setAudioEnabled(enabled: boolean): void;
    setVideoEnabled(enabled: boolean): void;
    replaceTrack(kind: 'audio' | 'video', track: MediaStreamTrack | null): Promise<void>;
    /** getDisplayMedia, then sends the screen instead of the camera until stopScreenShare() or the share ends. */
    shareScreen(): Promise<MediaStream>;
    stopScreenShare(): Promise<void>;
    setMaxBitrate(bps: number): Promise<void>;
    /** Sends on the data channel(s): to everyone, or to one participant. */
    send(data: any, targetUserId?: string): void;
    /** Sends a signaling `message` frame. */
    sendMessage(data: any, targetUserId?: string): void;
    /** SFU: choose the simulcast layer received from a participant. */
    subscribe(userId: string, layer: 'h' | 'm' | 'l' | 'auto'): Promise<void>;
    /** Every intervalMs (default 5000): collects stats, sends them to the server (`stats`), emits 'quality'. */
    startQualityMonitoring(intervalMs?: number): void;
    stopQualityMonitoring(): void;
    /** Stats of every PeerConnection, by peer ('sfu' in SFU rooms, the peer's user id in mesh rooms). */
    getAllStats(): Promise<Record<string, StatsSummary>>;
}
