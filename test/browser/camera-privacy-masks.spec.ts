/**
 * Privacy masks in a real browser against a real Argus: an administrator draws an area on the
 * camera form's frame by clicking its corners (a double-click closes it), saves, and the API returns
 * the polygon; removing it in the form clears it. Once in Chinese. The camera cannot be reached, so
 * no picture is shown behind the frame and the form says so.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Camera } from '../../contracts/api.ts';
import type { TestSystem } from '../helpers/system.ts';
import { browserFixture, signIn } from './browser.ts';

let sys: TestSystem;
let token: string;
let cameraId: string;
const fixture = browserFixture(async (started) => {
  sys = started;
  token = await started.login(started.admin.username, started.admin.password);
  const created = await started.api('/api/cameras', { token, body: { name: 'Lobby 大厅', sourceKind: 'rtsp', sourceUrl: 'rtsp://127.0.0.1:8554/lobby', enabled: false } });
  cameraId = (created.body as Camera).id;
});
afterEach(() => fixture.closePages());
afterAll(() => fixture.stop());

const getCamera = async () => (await sys.api(`/api/cameras/${cameraId}`, { token })).body as Camera;

describe('privacy mask editor', () => {
  it('draws an area on the frame, saves it with the camera, and removes it (in Chinese)', async () => {
    const { page, pageErrors } = await fixture.open({ locale: 'zh-CN' });
    await signIn(page, sys.baseUrl, sys.admin);
    await page.locator('[data-screen=cameras]').click();
    await page.getByTestId('cameras-screen').waitFor();
    const row = page.locator(`tr[data-camera-id="${cameraId}"]`);
    await row.locator('[data-action=edit]').click();
    const form = page.getByTestId('camera-form');
    await form.waitFor();
    const editor = form.getByTestId('mask-editor');
    expect(await editor.locator('legend').innerText()).toBe('隐私遮挡');
    // The camera's picture goes behind the frame; this camera cannot be reached, so the form says so
    // and the blank frame stays to draw on.
    const snapshot = editor.getByTestId('snapshot');
    await snapshot.waitFor({ state: 'attached' });
    expect(await snapshot.getAttribute('src')).toMatch(new RegExp(`/api/cameras/${cameraId}/snapshot\\?t=\\d+$`));
    await editor.getByTestId('snapshot-failed').waitFor();
    expect(await editor.getByTestId('snapshot-failed').innerText()).toBe('无法获取画面，可在空白画面上绘制。');
    expect(await snapshot.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(0);
    expect(await editor.getByTestId('snapshot-refresh').innerText()).toBe('刷新画面');

    const canvas = editor.getByTestId('mask-canvas');
    await canvas.scrollIntoViewIfNeeded();
    const box = (await canvas.boundingBox())!;
    const at = (x: number, y: number) => ({ position: { x: box.width * x, y: box.height * y } });
    await canvas.click(at(0.1, 0.1));
    await canvas.click(at(0.4, 0.1));
    await canvas.click(at(0.4, 0.5));
    // A half-drawn area is not saved silently.
    await form.getByTestId('camera-save').click();
    await expect.poll(() => editor.locator('.field-error').count()).toBe(1);
    await canvas.dblclick(at(0.1, 0.5));
    await expect.poll(() => editor.getByTestId('mask-shape').count()).toBe(1);
    expect(await editor.getByTestId('mask-list').innerText()).toContain('区域 1 · 4 个顶点');

    await form.getByTestId('camera-save').click();
    await form.waitFor({ state: 'detached' });
    const saved = (await getCamera()).privacyMasks;
    expect(saved).toHaveLength(1);
    const expected = [
      [0.1, 0.1],
      [0.4, 0.1],
      [0.4, 0.5],
      [0.1, 0.5],
    ];
    expect(saved[0]).toHaveLength(4);
    saved[0]!.forEach(([x, y], i) => {
      expect(x).toBeCloseTo(expected[i]![0]!, 1);
      expect(y).toBeCloseTo(expected[i]![1]!, 1);
    });

    // Opened again, the area is there; removing it and saving clears it.
    await row.locator('[data-action=edit]').click();
    await form.waitFor();
    await expect.poll(() => editor.getByTestId('mask-shape').count()).toBe(1);
    await editor.getByTestId('mask-list').getByRole('button').click();
    await expect.poll(() => editor.getByTestId('mask-shape').count()).toBe(0);
    await form.getByTestId('camera-save').click();
    await form.waitFor({ state: 'detached' });
    await expect.poll(async () => (await getCamera()).privacyMasks).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
