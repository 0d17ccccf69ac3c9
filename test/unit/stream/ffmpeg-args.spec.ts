import { devNull } from 'node:os';
import { describe, expect, it } from 'vitest';
import {
  buildFfmpegArgs,
  FFMPEG_PRESETS,
  ffmpegOverridesSchema,
  framesSelectFilter,
  maskedTeeTarget,
  inputKindFor,
  resolvePreset,
} from '../../../ingest/stream/ffmpeg-args.ts';

const URL_WITH_PASSWORD = 'rtsp://admin:s3cr%40t@10.0.0.5:554/Streaming/Channels/102';
const MASKED_ENCODE = [
  '-c:v', 'libx264', '-preset', 'ultrafast', '-profile:v', 'baseline', '-pix_fmt', 'yuv420p',
  '-force_key_frames', 'expr:gte(t,n_forced*2)', '-fps_mode', 'passthrough',
];
const HEAD = ['-hide_banner', '-nostdin', '-loglevel', 'level+info', '-nostats', '-progress', 'pipe:3'];
const RELAY = [
  '-map', '0:v:0', '-c:v', 'copy', '-an', '-bsf:v', 'dump_extra=freq=keyframe',
  '-f', 'rtp', '-payload_type', '96', 'rtp://127.0.0.1:5004?pkt_size=1200',
];
const RECORDING = [
  '-map', '0:v:0', '-c', 'copy', '-f', 'segment', '-segment_time', '60', '-segment_format', 'mp4',
  '-segment_format_options', 'movflags=+frag_keyframe+empty_moov+default_base_moof',
  '-reset_timestamps', '1', '-strftime', '1', '/data/recordings/cam-1/%Y%m%dT%H%M%SZ.mp4',
];
const SELECT_5 = "select='isnan(prev_selected_t)+gt(floor(t*5)\\,floor(prev_selected_t*5))'";
const FRAMES = ['-map', '0:v:0', '-an', '-vf', `${SELECT_5},scale=640:-2`, '-fps_mode', 'passthrough', '-pix_fmt', 'bgr24', '-f', 'rawvideo', 'pipe:1'];
const DECODE = ['-thread_type', 'slice'];

const outputs = {
  relay: { rtpPort: 5004 },
  recording: { dir: '/data/recordings/cam-1', segmentSeconds: 60 },
  frames: { fps: 5, width: 640 },
};

describe('ffmpeg argument presets', () => {
  it('rtsp-tcp/none: one connection, three outputs, exact argv', () => {
    expect(buildFfmpegArgs({ input: { kind: 'rtsp-tcp', url: URL_WITH_PASSWORD }, ...outputs })).toEqual([
      ...HEAD,
      '-sdp_file', devNull,
      ...DECODE, '-rtsp_transport', 'tcp', '-timeout', '5000000', '-fflags', '+genpts', '-analyzeduration', '1000000', '-probesize', '500000',
      '-i', URL_WITH_PASSWORD,
      ...RELAY,
      ...RECORDING,
      ...FRAMES,
    ]);
  });

  it('rtsp-udp/none differs only in the transport', () => {
    expect(buildFfmpegArgs({ input: { kind: 'rtsp-udp', url: URL_WITH_PASSWORD }, ...outputs })).toEqual([
      ...HEAD,
      '-sdp_file', devNull,
      ...DECODE, '-rtsp_transport', 'udp', '-timeout', '5000000', '-fflags', '+genpts', '-analyzeduration', '1000000', '-probesize', '500000',
      '-i', URL_WITH_PASSWORD,
      ...RELAY,
      ...RECORDING,
      ...FRAMES,
    ]);
  });

  it('file/none reads at native rate, loops, and converts MP4 H.264 to Annex B for the relay', () => {
    expect(
      buildFfmpegArgs({ input: { kind: 'file', url: 'file:///srv/demo/a%20b.mp4' }, relay: { rtpPort: 5004, sdpFile: '/tmp/cam.sdp' }, recording: null, frames: null }),
    ).toEqual([
      ...HEAD,
      '-sdp_file', '/tmp/cam.sdp',
      ...DECODE, '-re', '-stream_loop', '-1', '-fflags', '+genpts',
      '-i', 'file:/srv/demo/a b.mp4',
      '-map', '0:v:0', '-c:v', 'copy', '-an', '-bsf:v', 'h264_mp4toannexb',
      '-f', 'rtp', '-payload_type', '96', 'rtp://127.0.0.1:5004?pkt_size=1200',
    ]);
  });

  it('frames only: no relay, so no -sdp_file; plain absolute paths work as file inputs', () => {
    expect(buildFfmpegArgs({ input: { kind: 'file', url: '/media/x.avi' }, relay: null, recording: null, frames: { fps: 2, width: 320 } })).toEqual([
      ...HEAD,
      ...DECODE, '-re', '-stream_loop', '-1', '-fflags', '+genpts',
      '-i', 'file:/media/x.avi',
      '-map', '0:v:0', '-an', '-vf', `${framesSelectFilter(2)},scale=320:-2`, '-fps_mode', 'passthrough', '-pix_fmt', 'bgr24', '-f', 'rawvideo', 'pipe:1',
    ]);
  });

  it('the relay never transcodes', () => {
    const args = buildFfmpegArgs({ input: { kind: 'rtsp-tcp', url: URL_WITH_PASSWORD }, relay: { rtpPort: 6000 }, recording: null, frames: null });
    const codecs = args.flatMap((a, i) => (a === '-c:v' || a === '-c' || a === '-vcodec' ? [args[i + 1]] : []));
    expect(codecs).toEqual(['copy']);
    expect(args).not.toContain('-vf');
  });

  it('without a privacy mask nothing changes: one input, no filter graph, relay and recording copied', () => {
    for (const mask of [undefined, null]) {
      const args = buildFfmpegArgs({ input: { kind: 'rtsp-tcp', url: URL_WITH_PASSWORD }, ...outputs, mask });
      expect(args).toEqual(buildFfmpegArgs({ input: { kind: 'rtsp-tcp', url: URL_WITH_PASSWORD }, ...outputs }));
      expect(args.filter((a) => a === '-i')).toHaveLength(1);
      expect(args).not.toContain('-filter_complex');
      expect(args).not.toContain('libx264');
    }
  });

  it('with a privacy mask: the PNG as a second input, one graph, one encode teed to relay and recording, frames from the masked picture', () => {
    const MASK = '/data/masks/cam-1-0123456789abcdef.png';
    expect(buildFfmpegArgs({ input: { kind: 'rtsp-tcp', url: URL_WITH_PASSWORD }, ...outputs, mask: { file: MASK } })).toEqual([
      ...HEAD,
      ...DECODE, '-rtsp_transport', 'tcp', '-timeout', '5000000', '-fflags', '+genpts', '-analyzeduration', '1000000', '-probesize', '500000',
      '-i', URL_WITH_PASSWORD,
      '-f', 'png_pipe', '-i', `file:${MASK}`,
      '-filter_complex',
      '[1:v][0:v]scale2ref[mask][cam];[cam][mask]overlay=format=auto,format=yuv420p,split=2[relay][fsel];' +
        `[fsel]${SELECT_5},scale=640:-2[frames]`,
      '-map', '[relay]', ...MASKED_ENCODE, '-tune', 'zerolatency', '-x264-params', 'repeat-headers=1', '-flags', '+global_header', '-an',
      '-f', 'tee',
      '[f=rtp:payload_type=96]rtp://127.0.0.1:5004?pkt_size=1200|' +
        '[f=segment:segment_time=60:segment_format=mp4:segment_format_options=movflags=+frag_keyframe+empty_moov+default_base_moof:reset_timestamps=1:strftime=1]' +
        '/data/recordings/cam-1/%Y%m%dT%H%M%SZ.mp4',
      '-map', '[frames]', '-an', '-fps_mode', 'passthrough', '-pix_fmt', 'bgr24', '-f', 'rawvideo', 'pipe:1',
    ]);
  });

  it('with a privacy mask and per-output extra arguments, or an address the tee syntax would misread: two encodes', () => {
    const MASK = { file: '/data/masks/m.png' };
    const twice = (args: string[]) => {
      expect(args.filter((a) => a === 'libx264')).toHaveLength(2);
      expect(args).not.toContain('tee');
      expect(args[args.indexOf('-filter_complex') + 1]).toContain('split=3[relay][rec][fsel]');
      expect(args).toContain('-sdp_file');
    };
    twice(buildFfmpegArgs({ input: { kind: 'rtsp-tcp', url: URL_WITH_PASSWORD }, ...outputs, mask: MASK, overrides: { recordingArgs: ['-segment_list_size', '5'] } }));
    twice(buildFfmpegArgs({ input: { kind: 'rtsp-tcp', url: URL_WITH_PASSWORD }, ...outputs, recording: { dir: '/data/rec|x', segmentSeconds: 60 }, mask: MASK }));
    expect(maskedTeeTarget('rtp://127.0.0.1:5004?pkt_size=1200', { dir: "/data/it's", segmentSeconds: 10 })).toBeNull();
    expect(maskedTeeTarget('rtp://127.0.0.1:5004?pkt_size=1200', { dir: '/data/rec/cam', segmentSeconds: 10 })).toContain('segment_time=10');
  });

  it('with a privacy mask, the graph splits into exactly the outputs there are, and no -vf or copy is left', () => {
    const mask = { file: '/data/masks/m.png' };
    const relayOnly = buildFfmpegArgs({ input: { kind: 'file', url: '/media/street.mp4' }, relay: { rtpPort: 5004 }, recording: null, frames: null, mask });
    expect(relayOnly[relayOnly.indexOf('-filter_complex') + 1]).toBe('[1:v][0:v]scale2ref[mask][cam];[cam][mask]overlay=format=auto,format=yuv420p,split=1[relay]');
    // The file preset's Annex B filter is for copied MP4 H.264; the encoder writes Annex B itself.
    expect(relayOnly).not.toContain('-bsf:v');
    expect(relayOnly).not.toContain('copy');
    const framesOnly = buildFfmpegArgs({ input: { kind: 'rtsp-tcp', url: URL_WITH_PASSWORD }, relay: null, recording: null, frames: { fps: 5, width: 640 }, mask });
    expect(framesOnly[framesOnly.indexOf('-filter_complex') + 1]).toBe(
      `[1:v][0:v]scale2ref[mask][cam];[cam][mask]overlay=format=auto,format=yuv420p,split=1[fsel];[fsel]${SELECT_5},scale=640:-2[frames]`,
    );
    expect(framesOnly).not.toContain('-vf');
    expect(framesOnly).not.toContain('libx264');
    expect(framesOnly).not.toContain('-sdp_file');
    expect(() => buildFfmpegArgs({ input: { kind: 'rtsp-tcp', url: URL_WITH_PASSWORD }, ...outputs, mask: { file: 'masks/m.png' } })).toThrow(/absolute/);
  });

  it('puts the URL with its password only in argv, as given, once', () => {
    const args = buildFfmpegArgs({ input: { kind: 'rtsp-tcp', url: URL_WITH_PASSWORD }, ...outputs });
    expect(args.filter((a) => a.includes('s3cr%40t'))).toEqual([URL_WITH_PASSWORD]);
  });

  it('applies configured overrides per preset and per output', () => {
    const overrides = ffmpegOverridesSchema.parse({
      presets: { 'rtsp-tcp/none': { inputArgs: ['-rtsp_transport', 'tcp', '-timeout', '2000000'], relayBitstreamFilter: null } },
      relayArgs: ['-ssrc', '1234'],
      framesArgs: ['-threads', '1'],
    });
    const args = buildFfmpegArgs({ input: { kind: 'rtsp-tcp', url: 'rtsp://cam/x' }, relay: { rtpPort: 5004 }, recording: null, frames: { fps: 1, width: 320 }, overrides });
    expect(args).toEqual([
      ...HEAD,
      '-sdp_file', devNull,
      '-rtsp_transport', 'tcp', '-timeout', '2000000',
      '-i', 'rtsp://cam/x',
      '-map', '0:v:0', '-c:v', 'copy', '-an', '-ssrc', '1234', '-f', 'rtp', '-payload_type', '96', 'rtp://127.0.0.1:5004?pkt_size=1200',
      '-map', '0:v:0', '-an', '-vf', `${framesSelectFilter(1)},scale=320:-2`, '-fps_mode', 'passthrough', '-pix_fmt', 'bgr24', '-threads', '1', '-f', 'rawvideo', 'pipe:1',
    ]);
    // Other presets are untouched.
    expect(resolvePreset('rtsp-udp', 'none', overrides)).toBe(FFMPEG_PRESETS['rtsp-udp/none']);
    expect(() => ffmpegOverridesSchema.parse({ presets: { 'rtmp/none': {} } })).toThrow();
    expect(() => ffmpegOverridesSchema.parse({ unknown: 1 })).toThrow();
  });

  it('refuses commands without outputs and bad output values', () => {
    const input = { kind: 'rtsp-tcp' as const, url: 'rtsp://cam/x' };
    expect(() => buildFfmpegArgs({ input, relay: null, recording: null, frames: null })).toThrow(/at least one output/);
    expect(() => buildFfmpegArgs({ input, relay: { rtpPort: 70000 }, recording: null, frames: null })).toThrow(/rtpPort/);
    expect(() => buildFfmpegArgs({ input, relay: null, recording: null, frames: { fps: 5, width: 641 } })).toThrow(/width/);
    expect(() => buildFfmpegArgs({ input, relay: null, recording: { dir: '/d', segmentSeconds: 0 }, frames: null })).toThrow(/segmentSeconds/);
  });

  it('chooses the input kind from the URL and transport', () => {
    expect(inputKindFor('rtsp://cam/x', 'tcp')).toBe('rtsp-tcp');
    expect(inputKindFor('RTSPS://cam/x', 'udp')).toBe('rtsp-udp');
    expect(inputKindFor('file:///a.mp4')).toBe('file');
    expect(inputKindFor('/a.mp4')).toBe('file');
    expect(() => inputKindFor('http://cam/x.mjpg')).toThrow(/unsupported/);
  });
});
