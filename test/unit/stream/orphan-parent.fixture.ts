/**
 * Run as a child process by ffmpeg-process.spec.ts: starts a (fake) ffmpeg through the adapter, prints
 * its pid, then waits to be killed. argv: <ffmpeg path>.
 */
import { Writable } from 'node:stream';
import { createLogger } from '../../../config/logger.ts';
import { FfmpegProcess } from '../../../ingest/stream/ffmpeg.process.ts';

const log = createLogger({ log: { level: 'silent', pretty: false } }, new Writable({ write: (_c, _e, cb) => cb() }));
const proc = FfmpegProcess.start({ args: ['-i', 'rtsp://cam/x'], ffmpegPath: process.argv[2]!, frames: false, log });
setTimeout(() => process.stdout.write(`${proc.pid}\n`), 300);
setInterval(() => undefined, 1000);
