import { devNull } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/**
 * ffmpeg command lines as data (CONVENTIONS.md §8). One ffmpeg process per camera stream pulls the
 * camera once and feeds up to three outputs from that one connection:
 *
 *   (a) live relay  — the video copied, never transcoded, as RTP/H.264 (payload type 96) to a UDP port
 *                     on loopback, with SPS/PPS in-band before every key frame so a relay (Janus) and
 *                     the browsers behind it can start decoding at any key frame;
 *   (b) recording   — the video copied into segments of fragmented MP4 (see RECORDING_FORMAT_OPTIONS);
 *   (c) frames      — decoded at the analytics rate and width, raw bgr24 on stdout (pipe:1).
 *
 * Progress (`frame=`, `out_time_us=` ...) goes to fd 3 (`-progress pipe:3`) so that the supervisor sees
 * that video flows even when there is no frame output; stderr carries the log (`level+info`: every line
 * prefixed with its level), which the process adapter reads for errors and the frame size.
 *
 * With privacy masks (a second input: a PNG, see privacy-mask.ts) every output gets the masked picture
 * from one filter graph, and relay and recording are then encoded (x264, MASKED_ENCODE_ARGS) instead
 * of copied: a masked camera costs a decode and an encode instead of forwarding. With both relay and
 * recording, one encode feeds both through the tee muxer (see maskedTeeTarget).
 *
 * The builder returns argument arrays; nothing here runs a process or logs. The URL (with any
 * credentials) appears only in the returned argv.
 */

export const INPUT_KINDS = ['rtsp-tcp', 'rtsp-udp', 'file'] as const;
export type InputKind = (typeof INPUT_KINDS)[number];

/** Hardware decoding. Only `none` for now; presets for vaapi/cuda/qsv slot in beside it. */
export const HW_ACCELS = ['none'] as const;
export type HwAccel = (typeof HW_ACCELS)[number];

export type PresetName = `${InputKind}/${HwAccel}`;

/** The parts of an ffmpeg command line that vary by input kind and hardware acceleration. */
export interface FfmpegPreset {
  /** Options before the first `-i` that are not input options (log level, progress, ...). */
  readonly globalArgs: readonly string[];
  /** Input options placed right before `-i <url>`. */
  readonly inputArgs: readonly string[];
  /** Hardware decoding options, placed before the input options (empty for `none`). */
  readonly hwaccelArgs: readonly string[];
  /**
   * Bitstream filter of the relay output. `dump_extra=freq=keyframe` repeats the SPS/PPS from the
   * stream's extradata (the SDP's sprop-parameter-sets for RTSP) before every key frame: a camera that
   * sends them only in the SDP would otherwise give the relay nothing to start decoding with.
   * `h264_mp4toannexb` turns an MP4 file's length-prefixed H.264 into Annex B, inserting SPS/PPS
   * before every IDR. null: none.
   */
  readonly relayBitstreamFilter: string | null;
}

const GLOBAL_ARGS = ['-hide_banner', '-nostdin', '-loglevel', 'level+info', '-nostats', '-progress', 'pipe:3'] as const;

/** Short probing: the RTSP SDP already names codec and size, so ffmpeg need not read seconds of video first. */
const PROBE_ARGS = ['-analyzeduration', '1000000', '-probesize', '500000'] as const;

/** Socket I/O timeout of the RTSP demuxer (microseconds): a silent camera becomes an error after this. */
export const RTSP_IO_TIMEOUT_US = 5_000_000;

/**
 * Decode with slice threads only. ffmpeg's default frame threading holds one frame per extra thread
 * inside the decoder (measured on 1280×720 at 10 fps with 2 cores: 200 ms more before a frame reaches
 * analytics); slice threading costs no delay and still uses several cores where the camera encodes
 * slices. Only the analytics output decodes (relay and recording copy), except on a masked camera.
 */
const DECODE_ARGS = ['-thread_type', 'slice'] as const;

const RTSP_INPUT = (transport: 'tcp' | 'udp'): string[] => [
  ...DECODE_ARGS,
  '-rtsp_transport',
  transport,
  '-timeout',
  String(RTSP_IO_TIMEOUT_US),
  '-fflags',
  '+genpts',
  ...PROBE_ARGS,
];

export const FFMPEG_PRESETS: Readonly<Record<PresetName, FfmpegPreset>> = Object.freeze({
  'rtsp-tcp/none': {
    globalArgs: GLOBAL_ARGS,
    hwaccelArgs: [],
    inputArgs: RTSP_INPUT('tcp'),
    relayBitstreamFilter: 'dump_extra=freq=keyframe',
  },
  'rtsp-udp/none': {
    globalArgs: GLOBAL_ARGS,
    hwaccelArgs: [],
    inputArgs: RTSP_INPUT('udp'),
    relayBitstreamFilter: 'dump_extra=freq=keyframe',
  },
  'file/none': {
    globalArgs: GLOBAL_ARGS,
    hwaccelArgs: [],
    // Read at the file's own rate, looped forever: a file behaves like a live camera (demos, tests).
    inputArgs: [...DECODE_ARGS, '-re', '-stream_loop', '-1', '-fflags', '+genpts'],
    relayBitstreamFilter: 'h264_mp4toannexb',
  },
});

/**
 * Recording container: fragmented MP4 segments. Chosen over plain MP4, whose index (moov) is written
 * only when a segment closes — a crash or SIGKILL would lose the whole open segment, and it cannot be
 * played while being written. Fragmented MP4 (an empty moov first, then a fragment per key frame) is
 * readable while written, loses at most the last GOP on a crash, is read by ffprobe/ffmpeg, plays in
 * browsers' <video> and MSE without remuxing, and exports as .mp4. MPEG-TS would be as robust but needs
 * remuxing for browsers.
 */
export const RECORDING_FORMAT_OPTIONS = 'movflags=+frag_keyframe+empty_moov+default_base_moof';
/** Segment file names: UTC start time (the process runs with TZ=UTC), e.g. 20250101T120000Z.mp4. */
export const RECORDING_FILE_PATTERN = '%Y%m%dT%H%M%SZ.mp4';
/** Largest RTP packet of the relay: leaves room for SRTP and tunnel headers within a 1500-byte MTU. */
export const RELAY_PACKET_SIZE = 1200;
export const RELAY_PAYLOAD_TYPE = 96;

/** Overrides from configuration: any part of a preset replaced, plus extra arguments per output. */
export const ffmpegOverridesSchema = z
  .object({
    presets: z
      .record(
        z.string().regex(/^(rtsp-tcp|rtsp-udp|file)\/(none)$/, 'a preset name: <rtsp-tcp|rtsp-udp|file>/<none>'),
        z
          .object({
            globalArgs: z.array(z.string()).optional().describe('Replaces the global options'),
            hwaccelArgs: z.array(z.string()).optional().describe('Replaces the hardware decoding options'),
            inputArgs: z.array(z.string()).optional().describe('Replaces the input options before -i'),
            relayBitstreamFilter: z.string().nullable().optional().describe('Replaces the relay bitstream filter; null for none'),
          })
          .strict(),
      )
      .default({})
      .describe('Per-preset replacements of argument lists'),
    relayArgs: z.array(z.string()).default([]).describe('Extra options of the live relay output, before its URL'),
    recordingArgs: z.array(z.string()).default([]).describe('Extra options of the recording output, before its file pattern'),
    framesArgs: z.array(z.string()).default([]).describe('Extra options of the analytics frame output, before pipe:1'),
  })
  .strict()
  .describe('ffmpeg command line overrides');
export type FfmpegOverrides = z.input<typeof ffmpegOverridesSchema>;

export interface FfmpegInputSpec {
  kind: InputKind;
  /** rtsp(s):// URL, credentials included (they stay in argv); or a file path / file:// URL for `file`. */
  url: string;
  hwaccel?: HwAccel;
}

export interface FfmpegRelaySpec {
  rtpPort: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Where ffmpeg writes the relay's SDP; default the null device. (Without it ffmpeg prints the SDP to stdout, which carries frames.) */
  sdpFile?: string;
}

export interface FfmpegRecordingSpec {
  /** The camera's own folder, `<dataDir>/recordings/<cameraId>`. */
  dir: string;
  segmentSeconds: number;
}

export interface FfmpegFramesSpec {
  fps: number;
  /** Output width; the height follows the aspect ratio, rounded to an even number (`scale=<w>:-2`). */
  width: number;
}

/** A privacy mask: a PNG as big as (or with the aspect of) the picture, opaque black where hidden, transparent elsewhere. */
export interface FfmpegMaskSpec {
  /** Absolute path of the PNG (ingest/stream/privacy-mask.ts writes it). */
  file: string;
}

export interface FfmpegCommandSpec {
  input: FfmpegInputSpec;
  relay: FfmpegRelaySpec | null;
  recording: FfmpegRecordingSpec | null;
  frames: FfmpegFramesSpec | null;
  /** With a mask, every output gets the masked picture, so relay and recording are encoded, not copied. */
  mask?: FfmpegMaskSpec | null;
  overrides?: FfmpegOverrides;
}

/** Key frame interval of a masked (encoded) camera's relay and recording: a viewer joins within this, a segment splits on it. */
export const MASKED_KEYFRAME_SECONDS = 2;

/**
 * The encoder of a masked camera's relay and recording: x264 `ultrafast` (the cheapest CPU per
 * frame), Constrained Baseline (every browser's WebRTC H.264 decoder; x264's `baseline` sets
 * constraint_set1), 4:2:0, a forced IDR every MASKED_KEYFRAME_SECONDS, and frames with the
 * camera's own timestamps (no duplicates or drops to a constant rate).
 */
export const MASKED_ENCODE_ARGS: readonly string[] = [
  '-c:v',
  'libx264',
  '-preset',
  'ultrafast',
  '-profile:v',
  'baseline',
  '-pix_fmt',
  'yuv420p',
  '-force_key_frames',
  `expr:gte(t,n_forced*${MASKED_KEYFRAME_SECONDS})`,
  '-fps_mode',
  'passthrough',
];

/**
 * The relay's extra encoder options: `zerolatency` (no look-ahead, no frame threading delay) and
 * SPS/PPS repeated in-band before every IDR (`repeat-headers`): Janus forwards RTP as it comes, so
 * a browser that joins later can start decoding only at an IDR that carries its parameter sets.
 */
export const MASKED_RELAY_ARGS: readonly string[] = ['-tune', 'zerolatency', '-x264-params', 'repeat-headers=1'];

/** Characters the tee muxer reads as syntax in a slave's address: such an address gets two encoders instead. */
const TEE_SPECIAL = /[|[\]\\'"]/;

/**
 * The tee muxer's target for a masked camera's one encode: the relay's RTP and the recording's
 * segments from the same x264 stream (relay settings: `zerolatency`, in-band SPS/PPS, which the MP4
 * segments keep too; their avcC comes from the encoder's global header). Null when an address holds
 * a character the tee syntax would misread: the caller then encodes twice.
 */
export function maskedTeeTarget(rtpUrl: string, recording: FfmpegRecordingSpec): string | null {
  const pattern = join(recording.dir, RECORDING_FILE_PATTERN);
  if (TEE_SPECIAL.test(rtpUrl) || TEE_SPECIAL.test(pattern)) return null;
  const segment = [
    'f=segment',
    `segment_time=${recording.segmentSeconds}`,
    'segment_format=mp4',
    `segment_format_options=${RECORDING_FORMAT_OPTIONS}`,
    'reset_timestamps=1',
    'strftime=1',
  ].join(':');
  return `[f=rtp:payload_type=${RELAY_PAYLOAD_TYPE}]${rtpUrl}|[${segment}]${pattern}`;
}

/**
 * The filter graph of a masked camera: the mask (input 1) scaled to the camera's picture, laid over
 * it (the transparent part leaves the picture as it is), then one copy per output. The analytics
 * frames get their rate and size inside the graph (`-vf` cannot be used on a mapped graph output).
 * Returns the graph and the output labels in the order relay, recording, frames (null: no such output).
 */
export function maskFilterGraph(outputs: { relay: boolean; recording: boolean; frames: FfmpegFramesSpec | null }): {
  graph: string;
  relay: string | null;
  recording: string | null;
  frames: string | null;
} {
  const labels: string[] = [];
  const relay = outputs.relay ? '[relay]' : null;
  const recording = outputs.recording ? '[rec]' : null;
  const frames = outputs.frames ? '[frames]' : null;
  if (relay) labels.push(relay);
  if (recording) labels.push(recording);
  if (outputs.frames) labels.push('[fsel]');
  let graph = `[1:v][0:v]scale2ref[mask][cam];[cam][mask]overlay=format=auto,format=yuv420p,split=${labels.length}${labels.join('')}`;
  if (outputs.frames) graph += `;[fsel]${framesSelectFilter(outputs.frames.fps)},scale=${outputs.frames.width}:-2[frames]`;
  return { graph, relay, recording, frames };
}

/** The preset for an input kind and hardware acceleration, with configured replacements applied. */
export function resolvePreset(kind: InputKind, hwaccel: HwAccel = 'none', overrides?: FfmpegOverrides): FfmpegPreset {
  const name: PresetName = `${kind}/${hwaccel}`;
  const base = FFMPEG_PRESETS[name];
  const o = overrides?.presets?.[name];
  if (!o) return base;
  return {
    globalArgs: o.globalArgs ?? base.globalArgs,
    hwaccelArgs: o.hwaccelArgs ?? base.hwaccelArgs,
    inputArgs: o.inputArgs ?? base.inputArgs,
    relayBitstreamFilter: o.relayBitstreamFilter !== undefined ? o.relayBitstreamFilter : base.relayBitstreamFilter,
  };
}

/** The input kind for a source URL: rtsp(s) by transport, file:// and absolute paths as `file`. */
export function inputKindFor(url: string, transport: 'tcp' | 'udp' = 'tcp'): InputKind {
  if (/^rtsps?:\/\//i.test(url)) return transport === 'udp' ? 'rtsp-udp' : 'rtsp-tcp';
  if (/^file:/i.test(url) || isAbsolute(url)) return 'file';
  throw new Error('unsupported stream source: only rtsp://, rtsps:// and file: sources are handled by ffmpeg sessions');
}

/** What ffmpeg gets after `-i` for a file source: `file:<path>` (URL escapes decoded, no protocol guessing from ':'). */
function fileInput(url: string): string {
  const path = /^file:\/\//i.test(url) ? fileURLToPath(url) : url.replace(/^file:/i, '');
  return `file:${path}`;
}

/**
 * The analytics output's rate: the first frame of each 1/fps slot of the stream's time. Not ffmpeg's
 * `fps` filter, which holds frames back to choose the nearest one for each slot (measured: 200 ms more
 * from camera to analytics at 10 → 5 fps); `select` decides on each frame as it is decoded. A source
 * slower than fps gives every frame once.
 */
export function framesSelectFilter(fps: number): string {
  const f = Number(fps.toFixed(6));
  return `select='isnan(prev_selected_t)+gt(floor(t*${f})\\,floor(prev_selected_t*${f}))'`;
}

/** The whole ffmpeg argument array (without the program name) for one camera stream. */
export function buildFfmpegArgs(spec: FfmpegCommandSpec): string[] {
  const { input, relay, recording, frames } = spec;
  if (!relay && !recording && !frames) throw new Error('an ffmpeg session needs at least one output (relay, recording or frames)');
  const preset = resolvePreset(input.kind, input.hwaccel ?? 'none', spec.overrides);
  const rtpUrl = relay ? `rtp://${relay.host ?? '127.0.0.1'}:${relay.rtpPort}?pkt_size=${RELAY_PACKET_SIZE}` : null;
  // A masked camera with relay and recording encodes once, for both (tee), unless per-output extra
  // arguments were configured (they could not be told apart in one output).
  const tee =
    spec.mask && rtpUrl && recording && !(spec.overrides?.relayArgs?.length || spec.overrides?.recordingArgs?.length) ? maskedTeeTarget(rtpUrl, recording) : null;
  const args: string[] = [...preset.globalArgs];
  // (A relay inside tee is not a top-level RTP output: ffmpeg neither writes nor prints its SDP.)
  if (relay && !tee) args.push('-sdp_file', relay.sdpFile ?? devNull);
  args.push(...preset.hwaccelArgs, ...preset.inputArgs, '-i', input.kind === 'file' ? fileInput(input.url) : input.url);
  const mask = spec.mask ? maskFilterGraph({ relay: relay !== null, recording: recording !== null && !tee, frames }) : null;
  if (spec.mask && mask) {
    if (!isAbsolute(spec.mask.file)) throw new Error('the privacy mask file must be an absolute path');
    // One PNG picture; overlay keeps using it after its end (eof_action=repeat, the default).
    args.push('-f', 'png_pipe', '-i', `file:${spec.mask.file}`, '-filter_complex', mask.graph);
  }

  if (relay) {
    if (!Number.isInteger(relay.rtpPort) || relay.rtpPort < 1 || relay.rtpPort > 65535) throw new Error('relay rtpPort must be 1..65535');
  }
  if (recording && !(recording.segmentSeconds >= 1)) throw new Error('recording segmentSeconds must be at least 1');
  if (tee && mask?.relay) {
    args.push('-map', mask.relay, ...MASKED_ENCODE_ARGS, ...MASKED_RELAY_ARGS, '-flags', '+global_header', '-an', '-f', 'tee', tee);
  } else if (relay) {
    if (mask?.relay) args.push('-map', mask.relay, ...MASKED_ENCODE_ARGS, ...MASKED_RELAY_ARGS, '-an');
    else {
      args.push('-map', '0:v:0', '-c:v', 'copy', '-an');
      if (preset.relayBitstreamFilter) args.push('-bsf:v', preset.relayBitstreamFilter);
    }
    args.push(
      ...(spec.overrides?.relayArgs ?? []),
      '-f',
      'rtp',
      '-payload_type',
      String(RELAY_PAYLOAD_TYPE),
      rtpUrl!,
    );
  }

  if (recording && !tee) {
    args.push(
      ...(mask?.recording ? ['-map', mask.recording, ...MASKED_ENCODE_ARGS, '-an'] : ['-map', '0:v:0', '-c', 'copy']),
      '-f',
      'segment',
      '-segment_time',
      String(recording.segmentSeconds),
      '-segment_format',
      'mp4',
      '-segment_format_options',
      RECORDING_FORMAT_OPTIONS,
      '-reset_timestamps',
      '1',
      '-strftime',
      '1',
      ...(spec.overrides?.recordingArgs ?? []),
      join(recording.dir, RECORDING_FILE_PATTERN),
    );
  }

  if (frames) {
    if (!(frames.fps > 0)) throw new Error('frames fps must be positive');
    if (!Number.isInteger(frames.width) || frames.width < 16 || frames.width % 2 !== 0) throw new Error('frames width must be an even whole number >= 16');
    args.push(
      ...(mask?.frames ? ['-map', mask.frames, '-an'] : ['-map', '0:v:0', '-an', '-vf', `${framesSelectFilter(frames.fps)},scale=${frames.width}:-2`]),
      // Frames out as selected: no duplicates to make a constant rate (rawvideo would get them).
      '-fps_mode',
      'passthrough',
      '-pix_fmt',
      'bgr24',
      ...(spec.overrides?.framesArgs ?? []),
      '-f',
      'rawvideo',
      'pipe:1',
    );
  }
  return args;
}
