import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { FrameAnalyzer } from '../analyzer.ts';
import type { AnalyzeMessage, CloseMessage, SerializedError, WorkerInit, WorkerReply } from './protocol.ts';

/**
 * An analysis worker thread: holds its own ONNX Runtime sessions and analyses one frame at a time
 * (the pool never sends a second before the first is answered).
 */

function serialize(err: unknown): SerializedError {
  const e = err as Error & { code?: unknown };
  return { name: e?.name ?? 'Error', message: e?.message ?? String(err), ...(typeof e?.code === 'string' ? { code: e.code } : {}) };
}

const port = parentPort;
if (!port) throw new Error('analysis.worker.ts must run in a worker thread');
const init = workerData as WorkerInit;
if (init.nice > 0) {
  // Linux keeps a nice value per thread: pid 0 here is this worker thread alone (ONNX Runtime with one
  // intra-op thread runs in it). Where that is not allowed, the worker runs at the process's priority.
  try {
    setPriority(0, init.nice);
  } catch {
    // not fatal
  }
}
const analyzer = new FrameAnalyzer({ modelsDir: init.modelsDir, threads: init.threads }, init.models);
const post = (reply: WorkerReply) => port.postMessage(reply);

try {
  await analyzer.load(init.preload, init.preloadEmbeddings);
  post({ type: 'ready' });
} catch (err) {
  post({ type: 'init-failed', error: serialize(err) });
}

let current: Promise<unknown> = Promise.resolve();

port.on('message', (msg: AnalyzeMessage | CloseMessage) => {
  if (msg.type === 'close') {
    // Never exit inside an ONNX Runtime call: finish it, release the sessions, then leave.
    void current.finally(async () => {
      await analyzer.close().catch(() => undefined);
      port.close();
      process.exit(0);
    });
    return;
  }
  if (msg.type !== 'analyze') return;
  const image = { width: msg.width, height: msg.height, order: msg.order, data: new Uint8Array(msg.pixels) };
  current = analyzer.analyze(image, msg.request).then(
    (outcome) => post({ type: 'result', id: msg.id, outcome }),
    (err: unknown) => post({ type: 'error', id: msg.id, error: serialize(err) }),
  );
});
