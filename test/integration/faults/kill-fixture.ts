/**
 * A child process for kill-restart.spec.ts: the real sighting path (fault-rig.ts) on a PostgreSQL
 * schema, fed with a deterministic stream of numbered reads, 20 a second, from FAULT_FROM to FAULT_TO.
 * It prints (stdout, synchronous on a pipe) one line per event:
 *
 *   READY                       the pipeline is open (and the leftover sweep ran)
 *   ISSUE <n>                   read n is handed to the writer
 *   ACK <n>                     read n's record was stored (the writer resolved without a failure)
 *   REFINED <n>                 its refinement was stored
 *   DONE                        every read was issued and settled, and the spool is empty
 *
 * Env: FAULT_SCHEMA, FAULT_DATA_DIR, FAULT_CAMERA_ID, FAULT_FROM, FAULT_TO, FAULT_DATABASE_URL,
 * FAULT_NO_RECOVERY=1 (no recovery sweep: kill-restart.spec.ts must then fail).
 */
import { join } from 'node:path';
import { pino } from 'pino';
import { removeLeftoverEvidenceTemp } from '../../../storage/sighting-spool.ts';
import { openRig, readActions } from './fault-rig.ts';

const env = process.env;
const from = Number(env.FAULT_FROM);
const to = Number(env.FAULT_TO);
const cameraId = env.FAULT_CAMERA_ID!;
const dataDir = env.FAULT_DATA_DIR!;
const say = (line: string) => process.stdout.write(`${line}\n`);
const log = pino({ level: 'warn' }, pino.destination(2));

// This process is the only writer of its data folder: every leftover temporary file is a crash's.
await removeLeftoverEvidenceTemp(join(dataDir, 'evidence'), 0);
const rig = await openRig({
  databaseUrl: env.FAULT_DATABASE_URL!,
  schema: env.FAULT_SCHEMA!,
  dataDir,
  log,
  // FAULT_NO_RECOVERY=1 (a check that the spec fails without the recovery sweep): nothing is old enough to sweep.
  recover: env.FAULT_NO_RECOVERY === '1' ? { everyMs: 3_600_000, graceMs: 86_400_000 } : { everyMs: 1_000, graceMs: 500 },
  matchDelayMs: 40,
});
say('READY');
const work: Array<Promise<void>> = [];
const started = Date.now();
for (let n = from; n <= to; n++) {
  say(`ISSUE ${n}`);
  const { record, refine } = readActions(n, Date.now());
  const failedBefore = rig.writer.stats.failed;
  const recorded = rig.writer.apply(cameraId, [record]).then(() => {
    if (rig.writer.stats.failed === failedBefore) say(`ACK ${n}`);
  });
  work.push(recorded);
  work.push(
    new Promise<void>((done) =>
      setTimeout(() => {
        const before = rig.writer.stats.failed;
        void rig.writer.apply(cameraId, [refine]).then(() => {
          if (rig.writer.stats.failed === before) say(`REFINED ${n}`);
          done();
        });
      }, 150),
    ),
  );
  const due = started + (n - from + 1) * 50;
  await new Promise((r) => setTimeout(r, Math.max(0, due - Date.now())));
}
await Promise.all(work);
// Let it finish: what earlier runs left in the spool (and what queued behind it) is stored before the end.
for (const until = Date.now() + 60_000; (rig.sightings.spoolStats()?.count ?? 0) > 0 && Date.now() < until; ) {
  await new Promise((r) => setTimeout(r, 100));
}
say('DONE');
await rig.close();
