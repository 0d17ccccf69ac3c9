/**
 * The page the live benchmarks load in Chromium, served on the Argus origin (so its fetches reach the
 * API as the web app's do). Its script is plain JavaScript in a string: tsx compiles TypeScript
 * functions with helpers that do not exist inside the page, so nothing is passed to page.evaluate
 * but strings.
 *
 * window.bench:
 *   open({ token, cameraId, counter, video, tileWidth, tileHeight, pollDecoded, iceGatheringMs })
 *                  → viewer key; opens a viewer exactly as
 *       command-ui/web/src/wall/live-viewer.ts does (POST offer, answer after ICE gathering, POST answer)
 *   timings(key)   → epoch-ms marks of that viewer (post, offer, answered, connected, track, firstFrame,
 *                    firstDecodedStats when pollDecoded: the first getStats with framesDecoded > 0, polled every 20 ms)
 *   takeFrames(key) → frame records drawn so far (counter mode), removed from the page
 *   inbound(key)   → the inbound-rtp video stats
 *   openMany(opts, count, concurrency) → { keys, errors }
 *   close(key)     → DELETE the viewer, close the peer connection, remove the <video>
 *   clockOffset()  → Date.now() − (performance.timeOrigin + performance.now())
 */

export const BENCH_PAGE_PATH = '/__bench/live';

const PAGE_SCRIPT = String.raw`
(() => {
  const viewers = new Map();
  let nextKey = 1;
  const epoch = (t) => performance.timeOrigin + t;

  // decodeFrameCounter of test/helpers/rtsp-camera.ts, on RGBA rows 0..cell of a canvas.
  function decodeCounter(rgba, width) {
    const cell = width / 32;
    const y = Math.floor(cell / 2);
    const r = Math.max(0, Math.floor(cell / 4) - 1);
    const luma = (i) => {
      const cx = Math.floor((i + 0.5) * cell);
      let sum = 0;
      let n = 0;
      for (let yy = y - r; yy <= y + r; yy++) {
        for (let xx = cx - r; xx <= cx + r; xx++) {
          const o = (yy * width + xx) * 4;
          sum += 0.299 * rgba[o] + 0.587 * rgba[o + 1] + 0.114 * rgba[o + 2];
          n++;
        }
      }
      return sum / n;
    };
    if (luma(0) < 160 || luma(1) > 96) return null;
    let value = 0;
    for (let i = 2; i < 32; i++) value = value * 2 + (luma(i) >= 128 ? 1 : 0);
    return value;
  }

  function waitForIceGathering(pc, timeoutMs) {
    if (pc.iceGatheringState === 'complete') return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        pc.removeEventListener('icegatheringstatechange', onChange);
        resolve();
      };
      const onChange = () => {
        if (pc.iceGatheringState === 'complete') done();
      };
      const timer = setTimeout(done, timeoutMs);
      pc.addEventListener('icegatheringstatechange', onChange);
    });
  }

  async function open(opts) {
    const key = nextKey++;
    const auth = { authorization: 'Bearer ' + opts.token };
    const v = { key, token: opts.token, viewerId: null, pc: null, video: null, marks: {}, frames: [], closed: false, error: null };
    viewers.set(key, v);
    v.marks.post = epoch(performance.now());
    const res = await fetch('/api/live/' + encodeURIComponent(opts.cameraId) + '/viewers', {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: '{}',
    });
    if (res.status !== 201) throw new Error('open viewer: ' + res.status + ' ' + (await res.text()));
    const offer = await res.json();
    v.marks.offer = epoch(performance.now());
    v.viewerId = offer.viewerId;
    const pc = new RTCPeerConnection({ iceServers: [] });
    v.pc = pc;
    if (opts.video !== false) {
      const video = document.createElement('video');
      video.muted = true;
      video.autoplay = true;
      video.playsInline = true;
      // A tile's size: 640×360 unless asked (many small tiles for the viewers benchmark).
      video.width = opts.tileWidth || 640;
      video.height = opts.tileHeight || 360;
      document.getElementById('wall').appendChild(video);
      v.video = video;
    }
    pc.onconnectionstatechange = () => {
      if (pc.connectionState === 'connected' && !v.marks.connected) v.marks.connected = epoch(performance.now());
      if (pc.connectionState === 'failed') v.error = 'connection failed';
    };
    pc.ontrack = (event) => {
      if (!v.marks.track) v.marks.track = epoch(performance.now());
      if (!v.video) return;
      v.video.srcObject = event.streams[0] || new MediaStream([event.track]);
      v.video.play().catch(() => undefined);
      watchFrames(v, !!opts.counter);
    };
    await pc.setRemoteDescription({ type: 'offer', sdp: offer.sdp });
    const answer = await pc.createAnswer();
    await pc.setLocalDescription(answer);
    await waitForIceGathering(pc, opts.iceGatheringMs || 3000);
    const sdp = (pc.localDescription && pc.localDescription.sdp) || answer.sdp;
    const answered = await fetch('/api/live/viewers/' + encodeURIComponent(offer.viewerId) + '/answer', {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'answer', sdp }),
    });
    if (answered.status !== 204) throw new Error('answer: ' + answered.status + ' ' + (await answered.text()));
    v.marks.answered = epoch(performance.now());
    if (opts.pollDecoded) void pollFirstDecoded(v);
    return key;
  }

  // The first getStats reading with framesDecoded > 0 (what the web app's tiles look at, once a second there).
  async function pollFirstDecoded(v) {
    while (!v.closed && !v.marks.firstDecodedStats) {
      const report = await v.pc.getStats();
      report.forEach((s) => {
        if (s.type === 'inbound-rtp' && s.kind === 'video' && s.framesDecoded > 0 && !v.marks.firstDecodedStats) v.marks.firstDecodedStats = epoch(performance.now());
      });
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  function watchFrames(v, counter) {
    const video = v.video;
    let canvas = null;
    let ctx = null;
    const onFrame = (now, meta) => {
      if (v.closed) return;
      if (!v.marks.firstFrame) {
        v.marks.firstFrame = epoch(now);
        v.marks.firstFrameCallback = epoch(performance.now());
      }
      if (counter) {
        const w = meta.width;
        const rows = Math.ceil(w / 32);
        if (!canvas || canvas.width !== w) {
          canvas = document.createElement('canvas');
          canvas.width = w;
          canvas.height = rows;
          ctx = canvas.getContext('2d', { willReadFrequently: true });
        }
        // The top rows of the picture only: that is where the counter is.
        ctx.drawImage(video, 0, 0, w, rows, 0, 0, w, rows);
        const n = decodeCounter(ctx.getImageData(0, 0, w, rows).data, w);
        v.frames.push({
          n,
          now: epoch(now),
          done: epoch(performance.now()),
          received: meta.receiveTime !== undefined ? epoch(meta.receiveTime) : null,
          expectedDisplay: epoch(meta.expectedDisplayTime),
          presented: epoch(meta.presentationTime),
          presentedFrames: meta.presentedFrames,
          rtpTimestamp: meta.rtpTimestamp !== undefined ? meta.rtpTimestamp : null,
        });
      }
      video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
  }

  async function inbound(key) {
    const v = viewers.get(key);
    if (!v || !v.pc) return null;
    const report = await v.pc.getStats();
    let found = null;
    report.forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'video') found = s;
    });
    if (!found) return { connectionState: v.pc.connectionState, error: v.error };
    return {
      connectionState: v.pc.connectionState,
      error: v.error,
      timestamp: found.timestamp,
      framesReceived: found.framesReceived ?? 0,
      framesDecoded: found.framesDecoded ?? 0,
      framesDropped: found.framesDropped ?? 0,
      framesPerSecond: found.framesPerSecond ?? null,
      packetsReceived: found.packetsReceived ?? 0,
      packetsLost: found.packetsLost ?? 0,
      nackCount: found.nackCount ?? 0,
      pliCount: found.pliCount ?? 0,
      bytesReceived: found.bytesReceived ?? 0,
      jitterBufferDelay: found.jitterBufferDelay ?? null,
      jitterBufferEmittedCount: found.jitterBufferEmittedCount ?? null,
      totalDecodeTime: found.totalDecodeTime ?? null,
      frameWidth: found.frameWidth ?? null,
      frameHeight: found.frameHeight ?? null,
    };
  }

  async function close(key) {
    const v = viewers.get(key);
    if (!v) return null;
    v.closed = true;
    viewers.delete(key);
    let status = null;
    if (v.viewerId) {
      const res = await fetch('/api/live/viewers/' + encodeURIComponent(v.viewerId), { method: 'DELETE', headers: { authorization: 'Bearer ' + v.token } });
      status = res.status;
    }
    if (v.pc) v.pc.close();
    if (v.video) {
      v.video.pause();
      v.video.srcObject = null;
      v.video.remove();
    }
    return status;
  }

  // Open count viewers, at most concurrency at a time; failures are returned, not thrown.
  async function openMany(opts, count, concurrency) {
    const keys = [];
    const errors = [];
    let left = count;
    const worker = async () => {
      while (left > 0) {
        left--;
        try {
          keys.push(await open(opts));
        } catch (e) {
          errors.push(String((e && e.message) || e));
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, count)) }, worker));
    return { keys, errors };
  }

  window.bench = {
    open,
    openMany,
    inbound,
    close,
    timings: (key) => ({ ...(viewers.get(key) || { marks: {} }).marks }),
    takeFrames: (key) => {
      const v = viewers.get(key);
      if (!v) return [];
      const out = v.frames;
      v.frames = [];
      return out;
    },
    inboundAll: async () => Promise.all([...viewers.keys()].map(async (k) => ({ key: k, stats: await inbound(k) }))),
    closeAll: async () => Promise.all([...viewers.keys()].map((k) => close(k))),
    count: () => viewers.size,
    clockOffset: () => Date.now() - (performance.timeOrigin + performance.now()),
  };
})();
`;

export const BENCH_PAGE_HTML = `<!doctype html>
<html><head><meta charset="utf-8"><title>Argus live benchmark</title>
<style>body{margin:0;background:#000}#wall{display:flex;flex-wrap:wrap;gap:0}video{display:block}</style></head>
<body><div id="wall"></div><script>${PAGE_SCRIPT}</script></body></html>`;
