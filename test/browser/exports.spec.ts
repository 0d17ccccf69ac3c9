/**
 * Evidence export in a real browser against a real Argus: an analyst chooses a camera, a time range
 * and a case number, watches the pushed progress bar reach "done", downloads the package through the
 * browser, and the real `argus verify-export` command checks the downloaded file with the server's
 * key: VERIFIED. A reversed range is refused at its field.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { ExportJob } from '../../contracts/exports.ts';
import { RecordingsRepository } from '../../storage/repositories/recordings.repository.ts';
import type { TestSystem } from '../helpers/system.ts';
import { browserFixture, signIn } from './browser.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const analyst = { username: 'an.li', password: 'analyst-pass-1' };
let sys: TestSystem;
let cameraId: string;
let segment: string;

const fixture = browserFixture(async (started) => {
  sys = started;
  await sys.createUser({ ...analyst, roles: ['analyst'], displayName: '分析员李' });
  const admin = await sys.login(sys.admin.username, sys.admin.password);
  cameraId = (await sys.api('/api/cameras', { token: admin, body: { name: '南门 2 号', sourceKind: 'rtsp', sourceUrl: 'rtsp://127.0.0.1/south2' } })).body.id;
  await sys.api('/api/cameras', { token: admin, body: { name: '北门 1 号', sourceKind: 'rtsp', sourceUrl: 'rtsp://127.0.0.1/north1' } });
  // A real recorded segment, half an hour ago (inside the screen's default range, the last hour).
  const dir = join(sys.dataDir, 'recordings', cameraId);
  mkdirSync(dir, { recursive: true });
  segment = join(dir, 'segment-a.mp4');
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=320x180:rate=10:duration=2', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', segment]);
  const start = new Date(Date.now() - 30 * 60_000);
  await new RecordingsRepository(sys.argus.database.db).add({ cameraId, startedAt: start, endedAt: new Date(start.getTime() + 2000), path: segment, bytes: readFileSync(segment).length });
  await sys.argus.services.sightings.record({ cameraId, observedAt: new Date(Date.now() - 20 * 60_000), kind: 'plate', score: 0.9, plate: { text: '沪B54321', colour: 'blue', layers: 1 } });
});
afterEach(() => fixture.closePages());
afterAll(() => fixture.stop());

describe('evidence export in the browser', () => {
  it('an analyst exports a camera, watches the progress reach done, downloads the package and the CLI verifies it', async () => {
    const { page, pageErrors } = await fixture.open();
    await signIn(page, sys.baseUrl, analyst);
    await page.locator('[data-screen=exports]').click();
    await page.getByTestId('exports-screen').waitFor();
    // The signing key's fingerprint, as the server publishes it.
    const token = await sys.login(analyst.username, analyst.password);
    const key = (await sys.api('/api/exports/public-key', { token })).body as { pem: string; fingerprint: string };
    await expect.poll(() => page.getByTestId('exports-key').textContent()).toContain(key.fingerprint);

    await page.getByTestId('exports-cameras').selectOption([cameraId]);

    // A reversed range is refused at its field.
    const to = await page.getByTestId('exports-to').inputValue();
    const from = await page.getByTestId('exports-from').inputValue();
    await page.getByTestId('exports-from').fill(to);
    await page.getByTestId('exports-to').fill(from);
    await page.getByTestId('exports-reason').fill('案件 A3101 调取');
    await page.getByTestId('exports-submit').click();
    await expect.poll(() => page.locator('[data-field=to] .field-error').textContent()).toContain('the end of the range must be after its start');
    await page.getByTestId('exports-from').fill(from);
    await page.getByTestId('exports-to').fill(to);

    // Record every state the row's progress bar shows, from before the request on.
    await page.evaluate(() => {
      const w = window as unknown as { exportTrace: string[] };
      w.exportTrace = [];
      const table = document.querySelector('[data-testid=exports-table]')!;
      const note = () => {
        for (const bar of table.querySelectorAll('[data-testid=export-row] [role=progressbar]')) {
          const row = bar.closest('[data-testid=export-row]')!;
          const entry = `${row.getAttribute('data-status')}:${bar.getAttribute('aria-valuenow')}`;
          if (w.exportTrace.at(-1) !== entry) w.exportTrace.push(entry);
        }
      };
      new MutationObserver(note).observe(table, { subtree: true, childList: true, attributes: true });
    });
    await page.getByTestId('exports-reason').fill('案件 A3101 调取');
    await page.getByTestId('exports-submit').click();

    const row = page.getByTestId('export-row').first();
    await row.and(page.locator('[data-status=done]')).waitFor({ timeout: 60_000 });
    await expect.poll(() => row.getByTestId('export-progress').getAttribute('aria-valuenow')).toBe('100');
    expect(await row.getByTestId('export-progress').textContent()).toBe('Done');
    const trace = await page.evaluate(() => (window as unknown as { exportTrace: string[] }).exportTrace);
    // It was seen before it was done, and the bar only moved forward, to 100.
    expect(trace[0]).toMatch(/^(queued|running):\d+$/);
    const values = trace.map((e) => Number(e.split(':')[1]));
    expect(values).toEqual([...values].sort((a, b) => a - b));
    expect(trace.at(-1)).toBe('done:100');

    const jobs = (await sys.api('/api/exports', { token })).body.items as ExportJob[];
    expect(jobs).toHaveLength(1);
    const job = jobs[0]!;
    expect(job).toMatchObject({ status: 'done', reason: '案件 A3101 调取', cameraIds: [cameraId] });
    expect(await row.getByTestId('export-sha256').textContent()).toBe(job.sha256);

    // The browser's download: the package the job recorded.
    const [download] = await Promise.all([page.waitForEvent('download'), row.getByTestId('export-download').click()]);
    expect(download.suggestedFilename()).toBe(`argus-export-${job.id}.tar`);
    const work = join(sys.dataDir, 'browser-download');
    mkdirSync(work, { recursive: true });
    const file = join(work, download.suggestedFilename());
    await download.saveAs(file);
    const bytes = readFileSync(file);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(job.sha256);
    const pem = join(work, 'server-key.pem');
    writeFileSync(pem, key.pem);

    const r = spawnSync(process.execPath, [join(ROOT, 'bin/argus.mjs'), 'verify-export', file, '--public-key', pem], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`VERIFIED: \\d+ files, signed by key ${key.fingerprint} \\(the key given with --public-key\\)`));
    expect(r.stdout).toContain('reason: 案件 A3101 调取');

    // The download through the browser is audited.
    const audited = await sys.argus.database.db.selectFrom('audit_log').select(['action', 'username']).where('action', '=', 'export.download').execute();
    expect(audited).toEqual([{ action: 'export.download', username: analyst.username }]);
    expect(pageErrors).toEqual([]);
  }, 240_000);
});
