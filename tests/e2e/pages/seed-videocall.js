// seed-videocall.js — the React `VideoCall` client from the seed guide
// (/work/shared/seed/webrtc-implementation-guide.md, "Client Integration")
// ported to plain browser JavaScript with the same logic: same message
// shapes, same handlers for joined / user-joined / user-left / offer /
// answer / ice-candidate, same createPeerConnection / handleOffer /
// handleAnswer / handleIceCandidate / closePeerConnection code, and
// getUserMedia({audio: true, video: {width: 1280, height: 720}}) then join.
//
// The ONLY differences from the original:
//  1. React state and refs -> plain variables: `localStream` is a variable
//     assigned right after getUserMedia, before `join` (the React original
//     reads the `localStream` state through the effect's closure, where it
//     is still null); `remoteStreams` and `peers` are Maps updated in place;
//     `ws` is a variable. The JSX (a muted local <video>, one <video> per
//     remote stream) is a render() that does the same with DOM elements.
//  2. The WebSocket URL is passed in (`${wsUrl}?token=${token}`) instead of
//     `wss://your-server.com/ws/webrtc?token=${token}`.
//  3. `iceServers: []` instead of Google's STUN server (network rule: no
//     traffic to public addresses).
// For the tests, `window.VideoCall`, `window.remoteStreams` (peer id ->
// MediaStream) and `window.peers` (peer id -> RTCPeerConnection) are exposed;
// VideoCall() returns the effect's cleanup function.

(function () {
    'use strict';

    const remoteStreams = new Map();   // useState<Map<string, MediaStream>>
    const peers = new Map();           // useRef<Map<string, RTCPeerConnection>>
    window.remoteStreams = remoteStreams;
    window.peers = peers;

    function VideoCall({ roomId, userId, token, wsUrl }) {
        let localStream = null;        // useState<MediaStream | null>
        let ws = null;                 // useRef<WebSocket | null>

        function setLocalStream(stream) {
            localStream = stream;
            render();
        }

        function setRemoteStreams(update) {
            const next = update(new Map(remoteStreams));
            remoteStreams.clear();
            next.forEach((v, k) => remoteStreams.set(k, v));
            render();
        }

        // The component's JSX: local video, then one video per remote stream.
        function render() {
            let root = document.getElementById('videocall');
            if (!root) {
                root = document.createElement('div');
                root.id = 'videocall';
                document.body.appendChild(root);
            }
            let local = root.querySelector('video[data-local]');
            if (!local) {
                local = document.createElement('video');
                local.dataset.local = '1';
                local.autoplay = true;
                local.muted = true;
                local.playsInline = true;
                local.width = 160;
                root.prepend(local);
            }
            if (localStream && local.srcObject !== localStream)
                local.srcObject = localStream;
            for (const v of root.querySelectorAll('video[data-peer]')) {
                if (!remoteStreams.has(v.dataset.peer)) {
                    v.srcObject = null;
                    v.remove();
                }
            }
            for (const [peerId, stream] of remoteStreams.entries()) {
                let v = root.querySelector(`video[data-peer="${CSS.escape(peerId)}"]`);
                if (!v) {
                    v = document.createElement('video');
                    v.dataset.peer = peerId;
                    v.autoplay = true;
                    v.playsInline = true;
                    v.width = 160;
                    root.appendChild(v);
                }
                if (v.srcObject !== stream)
                    v.srcObject = stream;
            }
        }

        // --- useEffect(() => { ... }, [roomId, userId, token]) ---

        // Connect to signaling server
        ws = new WebSocket(`${wsUrl}?token=${token}`);

        ws.onopen = async () => {
            // Get local media
            const stream = await navigator.mediaDevices.getUserMedia({
                audio: true,
                video: { width: 1280, height: 720 }
            });
            setLocalStream(stream);

            // Join room
            ws?.send(JSON.stringify({
                type: 'join',
                roomId,
                userId,
                timestamp: Date.now()
            }));
        };

        ws.onmessage = async (event) => {
            const message = JSON.parse(event.data);

            switch (message.type) {
                case 'joined':
                    // Create peer connections for existing participants
                    for (const participantId of message.participants) {
                        await createPeerConnection(participantId, true);
                    }
                    break;

                case 'user-joined':
                    // New user joined, create peer connection
                    await createPeerConnection(message.userId, false);
                    break;

                case 'user-left':
                    // User left, close peer connection
                    closePeerConnection(message.userId);
                    break;

                case 'offer':
                    await handleOffer(message.userId, message.data);
                    break;

                case 'answer':
                    await handleAnswer(message.userId, message.data);
                    break;

                case 'ice-candidate':
                    await handleIceCandidate(message.userId, message.data);
                    break;
            }
        };

        async function createPeerConnection(peerId, polite) {
            const pc = new RTCPeerConnection({
                iceServers: []
            });

            // Add local tracks
            localStream?.getTracks().forEach(track => {
                pc.addTrack(track, localStream);
            });

            // Handle ICE candidates
            pc.onicecandidate = (event) => {
                if (event.candidate) {
                    ws?.send(JSON.stringify({
                        type: 'ice-candidate',
                        roomId,
                        userId,
                        targetUserId: peerId,
                        data: event.candidate,
                        timestamp: Date.now()
                    }));
                }
            };

            // Handle remote tracks
            pc.ontrack = (event) => {
                setRemoteStreams(prev => {
                    const newMap = new Map(prev);
                    newMap.set(peerId, event.streams[0]);
                    return newMap;
                });
            };

            // Handle negotiation
            pc.onnegotiationneeded = async () => {
                try {
                    await pc.setLocalDescription();
                    ws?.send(JSON.stringify({
                        type: 'offer',
                        roomId,
                        userId,
                        targetUserId: peerId,
                        data: pc.localDescription,
                        timestamp: Date.now()
                    }));
                } catch (error) {
                    console.error('Negotiation error:', error);
                }
            };

            peers.set(peerId, pc);

            // Create offer if not polite
            if (!polite) {
                const offer = await pc.createOffer();
                await pc.setLocalDescription(offer);
                ws?.send(JSON.stringify({
                    type: 'offer',
                    roomId,
                    userId,
                    targetUserId: peerId,
                    data: offer,
                    timestamp: Date.now()
                }));
            }
        }

        async function handleOffer(peerId, offer) {
            let pc = peers.get(peerId);
            if (!pc) {
                await createPeerConnection(peerId, true);
                pc = peers.get(peerId);
            }

            await pc.setRemoteDescription(offer);
            const answer = await pc.createAnswer();
            await pc.setLocalDescription(answer);

            ws?.send(JSON.stringify({
                type: 'answer',
                roomId,
                userId,
                targetUserId: peerId,
                data: answer,
                timestamp: Date.now()
            }));
        }

        async function handleAnswer(peerId, answer) {
            const pc = peers.get(peerId);
            if (pc) {
                await pc.setRemoteDescription(answer);
            }
        }

        async function handleIceCandidate(peerId, candidate) {
            const pc = peers.get(peerId);
            if (pc) {
                await pc.addIceCandidate(candidate);
            }
        }

        function closePeerConnection(peerId) {
            const pc = peers.get(peerId);
            if (pc) {
                pc.close();
                peers.delete(peerId);
            }

            setRemoteStreams(prev => {
                const newMap = new Map(prev);
                newMap.delete(peerId);
                return newMap;
            });
        }

        render();

        return () => {
            // Cleanup
            localStream?.getTracks().forEach(track => track.stop());
            peers.forEach(pc => pc.close());
            ws?.close();
        };
    }

    window.VideoCall = VideoCall;
})();
