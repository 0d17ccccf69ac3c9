/**
 * Screenshots of the web application in both languages, against a real Argus with a few sites,
 * cameras and users (for reviews and the documentation). Not a test.
 *
 *   npx tsx test/browser/capture-screens.ts [output folder, default test-results/screens]
 *
 * Camera states are recorded through the camera repository, as the ingest role will record them.
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Camera, CameraStatus, Site } from '../../contracts/api.ts';
import { CamerasRepository } from '../../storage/repositories/cameras.repository.ts';
import { startTestSystem } from '../helpers/system.ts';
import { ensureWebBuilt, launchChromium, newPage, signIn } from './browser.ts';

const outDir = resolve(process.argv[2] ?? 'test-results/screens');
mkdirSync(outDir, { recursive: true });

ensureWebBuilt();
const browser = await launchChromium();
const sys = await startTestSystem();
try {
  const token = await sys.login(sys.admin.username, sys.admin.password);
  const post = async <T>(path: string, body: unknown): Promise<T> => {
    const res = await sys.api(path, { token, body });
    if (res.status !== 201) throw new Error(`POST ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body as T;
  };
  const north = await post<Site>('/api/sites', { name: '北环卡口', kind: 'checkpoint', code: 'KK-001', latitude: 30.3125, longitude: 120.1452 });
  const east = await post<Site>('/api/sites', { name: '东站检查站', kind: 'station', code: 'JC-02', latitude: 30.2907, longitude: 120.2131 });
  const seeds: Array<[Record<string, unknown>, CameraStatus | null, string | null]> = [
    [{ name: '北环卡口 1 号 入城', sourceKind: 'rtsp', sourceUrl: 'rtsp://admin:Kk-2024@10.12.0.21:554/Streaming/Channels/101', siteId: north.id, ptz: true }, 'online', null],
    [{ name: '北环卡口 2 号 出城', sourceKind: 'rtsp', sourceUrl: 'rtsp://admin:Kk-2024@10.12.0.22:554/Streaming/Channels/101', siteId: north.id }, 'online', null],
    [{ name: '东站广场 球机', sourceKind: 'onvif', sourceUrl: 'http://10.14.3.9:80', siteId: east.id, ptz: true }, 'degraded', 'frame rate 4 fps, expected 12'],
    [{ name: '解放路 / 中山路 路口', sourceKind: 'rtsp', sourceUrl: 'rtsp://10.16.8.40:554/h264/ch1/main/av_stream' }, 'offline', 'connection refused'],
    [{ name: '演示 / demo', sourceKind: 'rtsp', sourceUrl: 'rtsp://127.0.0.1:8554/demo' }, null, null],
    [{ name: '仓库后门', sourceKind: 'rtsp', sourceUrl: 'rtsp://10.18.1.3:554/live', enabled: false }, 'disabled', null],
  ];
  const repository = new CamerasRepository(sys.argus.database.db);
  for (const [body, status, reason] of seeds) {
    const camera = await post<Camera>('/api/cameras', body);
    if (status) await repository.setStatus(camera.id, status, reason);
  }
  await sys.createUser({ username: 'patrol.li', password: 'patrol-password-7', roles: ['patrol'], displayName: '李巡' });
  await post('/api/users', { username: 'cmd.zhang', displayName: '张指挥', password: 'initial-password-1', roles: ['commander', 'dispatcher'] });

  for (const locale of ['zh-CN', 'en'] as const) {
    const { page, context } = await newPage(browser, { locale });
    const shot = (name: string) => page.screenshot({ path: `${outDir}/${name}-${locale}.png` });
    await page.goto(`${sys.baseUrl}/`);
    const login = page.getByTestId('login-form');
    await login.locator('input[name=username]').fill(sys.admin.username);
    await login.locator('input[name=password]').fill('wrong-password');
    await login.locator('button[type=submit]').click();
    await login.getByRole('alert').waitFor();
    await shot('login-error');

    await signIn(page, sys.baseUrl, sys.admin);
    await page.getByTestId('overview').waitFor();
    await page.waitForFunction(() => document.querySelector('[data-testid=count-total] .stat-value')?.textContent === '6');
    await shot('overview');

    await page.goto(`${sys.baseUrl}/#/cameras`);
    await page.locator('tr[data-camera-id]').first().waitFor();
    await shot('cameras');

    await page.goto(`${sys.baseUrl}/#/cameras/new`);
    const form = page.getByTestId('camera-form');
    await form.locator('input[name=sourceUrl]').fill('rtsp//10.12.0.30/101');
    await form.getByTestId('camera-save').click();
    await form.locator('.field-error').first().waitFor();
    await shot('camera-form-errors');
    await form.locator('input[name=name]').fill('北环卡口 3 号');
    await form.locator('input[name=sourceUrl]').fill('rtsp://admin:Kk-2024@10.12.0.30:554/Streaming/Channels/101');
    await form.locator('select[name=siteId]').selectOption(north.id);
    await form.locator('input[name=latitude]').fill('30.3127');
    await form.locator('input[name=longitude]').fill('120.1449');
    await shot('camera-form');

    await page.goto(`${sys.baseUrl}/#/users`);
    await page.locator('tr[data-username]').first().waitFor();
    await shot('users');
    await page.goto(`${sys.baseUrl}/#/checkpoint`);
    await page.getByTestId('terminal-screen').waitFor();
    await shot('checkpoint-terminal');
    await context.close();
  }

  const { page, context } = await newPage(browser, { locale: 'zh-CN' });
  await signIn(page, sys.baseUrl, { username: 'patrol.li', password: 'patrol-password-7' });
  await page.goto(`${sys.baseUrl}/#/cameras`);
  await page.getByTestId('forbidden').waitFor();
  await page.screenshot({ path: `${outDir}/forbidden-patrol-zh-CN.png` });
  await context.close();
  console.log(`screenshots in ${outDir}`);
} finally {
  await browser.close();
  await sys.stop();
}
