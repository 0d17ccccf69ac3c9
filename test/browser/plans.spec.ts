/**
 * Emergency plans (预案) administration in a real browser against a real Argus. An administrator
 * writes a plan for the fire type on the Plans screen: three steps (one moved up), the roles to
 * notify, a resource and a camera count; after a reload the editor shows exactly what was saved and
 * the API returns it. A dispatcher's new fire incident gets a copy of the plan with the steps in the
 * edited order, shown on the desk; a later edit of a step changes the plan but not that copy, and
 * deleting the plan removes it. A second active plan for a type is refused by the server and the
 * refusal is shown; the server's validation messages appear at their fields; switching away from
 * unsaved changes asks first. A dispatcher has no Plans screen in the navigation and gets the
 * refusal screen at #/plans; the screen speaks Chinese.
 */
import type { Locator, Page } from 'playwright-core';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { EmergencyPlan, Incident } from '../../contracts/incidents.ts';
import type { TestSystem } from '../helpers/system.ts';
import { browserFixture, signIn } from './browser.ts';

const dispatcher = { username: 'disp.li', password: 'dispatch-pass-2' };

let sys: TestSystem;
let adminToken: string;
let dispatcherToken: string;

const fixture = browserFixture(async (started) => {
  sys = started;
  await sys.createUser({ ...dispatcher, roles: ['dispatcher'], displayName: '调度员李' });
  adminToken = await sys.login(sys.admin.username, sys.admin.password);
  dispatcherToken = await sys.login(dispatcher.username, dispatcher.password);
});
afterEach(() => fixture.closePages());
afterAll(() => fixture.stop());

async function plans(): Promise<EmergencyPlan[]> {
  const res = await sys.api('/api/plans', { token: adminToken });
  expect(res.status).toBe(200);
  return (res.body as { items: EmergencyPlan[] }).items;
}

/** The administrator on the Plans screen, reached through the navigation. */
async function openPlans(locale = 'en-US'): Promise<{ page: Page; pageErrors: string[] }> {
  const { page, pageErrors } = await fixture.open({ locale });
  await signIn(page, sys.baseUrl, sys.admin);
  await page.getByTestId('main-nav').locator('[data-screen=plans]').click();
  await page.getByTestId('plans-screen').waitFor();
  expect(page.url()).toContain('#/plans');
  return { page, pageErrors };
}

const form = (page: Page) => page.getByTestId('plan-form');
const stepInputs = (page: Page) => form(page).locator('[data-testid=plan-step-row] input');
const stepTexts = (page: Page) => stepInputs(page).evaluateAll((inputs) => inputs.map((i) => (i as HTMLInputElement).value));
const row = (page: Page, planId: string) => page.locator(`[data-testid=plan-row][data-plan-id="${planId}"]`);

/** Start a new plan and wait until the incident types are there to choose from. */
async function newPlan(page: Page, type: string): Promise<Locator> {
  await page.getByTestId('plan-new').click();
  const f = form(page);
  await f.waitFor();
  expect(await f.getAttribute('data-plan-id')).toBe('');
  await expect.poll(() => f.locator('select[name=incidentType] option').count()).toBeGreaterThan(3);
  await f.locator('select[name=incidentType]').selectOption(type);
  return f;
}

/** Save and wait for the form to show the stored plan; its id. */
async function saveNew(page: Page): Promise<string> {
  await page.getByTestId('plan-save').click();
  await expect.poll(() => form(page).getAttribute('data-plan-id')).not.toBe('');
  return (await form(page).getAttribute('data-plan-id'))!;
}

describe('emergency plans screen', () => {
  let planId: string;
  let incidentId: string;
  const STEPS = ['Confirm the address and the floor', 'Call the fire brigade (119)', 'Evacuate the neighbouring shops'];
  const ORDERED = [STEPS[0], STEPS[2], STEPS[1]];

  it('creates a plan with reordered steps, a resource and a camera count, stored exactly as shown', async () => {
    const { page, pageErrors } = await openPlans();
    expect(await page.getByTestId('plan-row').count()).toBe(0);

    const f = await newPlan(page, 'fire');
    await f.locator('input[name=name]').fill('商铺火灾处置预案');
    // One empty step to start with; two more added, then the third moved above the second.
    expect(await stepInputs(page).count()).toBe(1);
    await stepInputs(page).nth(0).fill(STEPS[0]!);
    await page.getByTestId('plan-add-step').click();
    await expect.poll(() => page.evaluate(() => (document.activeElement as HTMLInputElement | null)?.name)).toBe('steps.1');
    await stepInputs(page).nth(1).fill(STEPS[1]!);
    await page.getByTestId('plan-add-step').click();
    await stepInputs(page).nth(2).fill(STEPS[2]!);
    expect(await stepTexts(page)).toEqual(STEPS);
    // The first step cannot move up nor the last down.
    expect(await f.locator('[data-testid=plan-step-row]').nth(0).locator('[data-action=up]').isDisabled()).toBe(true);
    expect(await f.locator('[data-testid=plan-step-row]').nth(2).locator('[data-action=down]').isDisabled()).toBe(true);
    await f.locator('[data-testid=plan-step-row]').nth(2).locator('[data-action=up]').click();
    expect(await stepTexts(page)).toEqual(ORDERED);

    await f.locator('input[name=notify][value=commander]').check();
    await f.locator('input[name=notify][value=patrol]').check();
    expect(await f.getByTestId('plan-resource-row').count()).toBe(0);
    await page.getByTestId('plan-add-resource').click();
    await f.locator('select[name="resources.0.kind"]').selectOption('fire');
    await f.locator('input[name="resources.0.count"]').fill('2');
    await f.locator('input[name=cameraCount]').fill('6');
    expect(await f.locator('input[name=active]').isChecked()).toBe(true);
    expect(await f.getAttribute('data-dirty')).toBe('true');

    planId = await saveNew(page);
    expect(await form(page).getAttribute('data-dirty')).toBe('false');
    await expect.poll(() => page.locator('.flash-slot').innerText()).toContain('商铺火灾处置预案');
    await expect.poll(() => row(page, planId).count()).toBe(1);
    expect(await row(page, planId).getByTestId('plan-row-type').innerText()).toBe('Fire');
    expect(await row(page, planId).getByTestId('plan-row-steps').innerText()).toBe('3');
    expect(await row(page, planId).getByTestId('plan-row-state').innerText()).toBe('Active');

    // Stored as edited.
    const stored = (await sys.api(`/api/plans/${planId}`, { token: adminToken })).body as EmergencyPlan;
    expect(stored).toMatchObject({
      id: planId,
      incidentType: 'fire',
      name: '商铺火灾处置预案',
      steps: ORDERED,
      notify: ['commander', 'patrol'],
      resources: [{ kind: 'fire', count: 2 }],
      cameraCount: 6,
      active: true,
    });

    // After a reload the editor shows the same.
    await page.reload();
    await page.getByTestId('plans-screen').waitFor();
    await row(page, planId).getByTestId('plan-row-name').click();
    await expect.poll(() => form(page).getAttribute('data-plan-id')).toBe(planId);
    expect(await form(page).locator('select[name=incidentType]').inputValue()).toBe('fire');
    expect(await form(page).locator('select[name=incidentType]').isDisabled()).toBe(true);
    expect(await form(page).locator('input[name=name]').inputValue()).toBe('商铺火灾处置预案');
    expect(await stepTexts(page)).toEqual(ORDERED);
    const notified = await form(page)
      .locator('input[name=notify]:checked')
      .evaluateAll((inputs) => inputs.map((i) => (i as HTMLInputElement).value));
    expect(notified).toEqual(['commander', 'patrol']);
    expect(await form(page).getByTestId('plan-resource-row').count()).toBe(1);
    expect(await form(page).locator('select[name="resources.0.kind"]').inputValue()).toBe('fire');
    expect(await form(page).locator('input[name="resources.0.count"]').inputValue()).toBe('2');
    expect(await form(page).locator('input[name=cameraCount]').inputValue()).toBe('6');
    expect(await form(page).locator('input[name=active]').isChecked()).toBe(true);
    expect(await form(page).getAttribute('data-dirty')).toBe('false');
    expect(pageErrors).toEqual([]);
  });

  it("gives a dispatcher's new incident of the type a copy of the plan, steps in the edited order", async () => {
    const res = await sys.api('/api/incidents', { token: dispatcherToken, body: { type: 'fire', priority: 'P2', address: '南京东路 100 号' } });
    expect(res.status).toBe(201);
    const incident = res.body as Incident;
    incidentId = incident.id;
    expect(incident.plan).toMatchObject({ planId, name: '商铺火灾处置预案', notify: ['commander', 'patrol'], resources: [{ kind: 'fire', count: 2 }], cameraCount: 6 });
    expect(incident.plan!.steps.map((s) => s.text)).toEqual(ORDERED);

    // The dispatcher's desk shows the checklist in that order; Plans is not in the dispatcher's navigation.
    const { page, pageErrors } = await fixture.open();
    await signIn(page, sys.baseUrl, dispatcher);
    const nav = page.getByTestId('main-nav');
    expect(await nav.locator('[data-screen=incidents]').count()).toBe(1);
    expect(await nav.locator('[data-screen=plans]').count()).toBe(0);
    await page.goto(`${sys.baseUrl}/#/incidents/${incidentId}`);
    const plan = page.getByTestId('plan');
    await plan.waitFor();
    expect(await plan.locator('h3').innerText()).toContain('商铺火灾处置预案');
    expect(await plan.getByTestId('plan-step').locator('span:first-child').allInnerTexts()).toEqual(ORDERED);
    expect(pageErrors).toEqual([]);
  });

  it('edits a step (the incident keeps its copy) and deletes the plan after confirming', async () => {
    const { page, pageErrors } = await openPlans();
    await row(page, planId).click();
    await expect.poll(() => form(page).getAttribute('data-plan-id')).toBe(planId);
    await stepInputs(page).nth(1).fill('Evacuate the shops on both sides');
    await expect.poll(() => page.getByTestId('plan-unsaved').count()).toBe(1);
    await page.getByTestId('plan-save').click();
    await expect.poll(() => form(page).getAttribute('data-dirty')).toBe('false');
    const edited = [ORDERED[0], 'Evacuate the shops on both sides', ORDERED[2]];
    expect(((await sys.api(`/api/plans/${planId}`, { token: adminToken })).body as EmergencyPlan).steps).toEqual(edited);
    const incident = (await sys.api(`/api/incidents/${incidentId}`, { token: adminToken })).body as Incident;
    expect(incident.plan!.steps.map((s) => s.text)).toEqual(ORDERED);

    // Delete: the dialog can be cancelled; confirmed, the plan is gone from the list and the server.
    await page.getByTestId('plan-delete').click();
    const dialog = page.locator('dialog.dialog[open]');
    await dialog.waitFor();
    expect(await dialog.innerText()).toContain('商铺火灾处置预案');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect(await row(page, planId).count()).toBe(1);
    await page.getByTestId('plan-delete').click();
    await dialog.getByRole('button', { name: 'Delete plan' }).click();
    await row(page, planId).waitFor({ state: 'detached' });
    expect(await page.getByTestId('plan-form').count()).toBe(0);
    expect((await sys.api(`/api/plans/${planId}`, { token: adminToken })).status).toBe(404);
    expect(await plans()).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it("shows the server's refusal of a second active plan for a type, and its validation messages at their fields", async () => {
    const first = await sys.api('/api/plans', { token: adminToken, body: { incidentType: 'theft', name: '盗窃现场处置', steps: ['保护现场'] } });
    expect(first.status).toBe(201);
    const { page, pageErrors } = await openPlans();
    await row(page, (first.body as EmergencyPlan).id).waitFor();

    // Empty name, an empty step and a resource count of 0: each message at its field, nothing stored.
    const f = await newPlan(page, 'theft');
    await page.getByTestId('plan-add-resource').click();
    await f.locator('input[name="resources.0.count"]').fill('0');
    await page.getByTestId('plan-save').click();
    await f.locator('[data-field=name] .field-error').waitFor();
    expect(await f.locator('input[name=name]').getAttribute('aria-invalid')).toBe('true');
    expect(await f.locator('[data-testid=plan-step-row] .field-error').count()).toBe(1);
    expect(await f.locator('input[name="steps.0"]').getAttribute('aria-invalid')).toBe('true');
    expect(await f.locator('[data-testid=plan-resource-row] .field-error').count()).toBe(1);
    expect(await f.getByRole('alert').first().getAttribute('data-error-code')).toBe('E_VALIDATION');
    // Editing a field clears its message.
    await f.locator('input[name=name]').fill('盗窃现场处置（第二版）');
    expect(await f.locator('[data-field=name] .field-error').count()).toBe(0);
    expect(await f.locator('[data-testid=plan-step-row] .field-error').count()).toBe(1);
    await f.locator('input[name="steps.0"]').fill('询问报警人');
    await f.locator('input[name="resources.0.count"]').fill('1');
    expect(await f.locator('.field-error').count()).toBe(0);

    // Valid, but theft has an active plan: the server's 409 and its message are shown.
    await page.getByTestId('plan-save').click();
    const refusal = f.locator('[data-error-code=E_CONFLICT]');
    await refusal.waitFor();
    expect(await refusal.innerText()).toContain('Incident type theft has an active plan already; deactivate it first.');
    expect(await form(page).getAttribute('data-plan-id')).toBe('');
    expect((await plans()).filter((p) => p.incidentType === 'theft')).toHaveLength(1);

    // As an inactive plan it is stored.
    await f.locator('input[name=active]').uncheck();
    const secondId = await saveNew(page);
    expect(await f.locator('[data-error-code]').count()).toBe(0);
    expect(await row(page, secondId).getAttribute('data-active')).toBe('false');
    expect(await row(page, secondId).getByTestId('plan-row-state').innerText()).toBe('Inactive');
    const theft = (await plans()).filter((p) => p.incidentType === 'theft');
    expect(theft.map((p) => [p.name, p.active])).toEqual([
      ['盗窃现场处置', true],
      ['盗窃现场处置（第二版）', false],
    ]);

    // Activating it while the first is active is refused too (a change, not only a creation).
    await form(page).locator('input[name=active]').check();
    await page.getByTestId('plan-save').click();
    await f.locator('[data-error-code=E_CONFLICT]').waitFor();
    expect(((await sys.api(`/api/plans/${secondId}`, { token: adminToken })).body as EmergencyPlan).active).toBe(false);
    expect(pageErrors).toEqual([]);
  });

  it('asks before discarding unsaved changes when another plan is chosen', async () => {
    const { page } = await openPlans();
    const [a, b] = (await plans()).filter((p) => p.incidentType === 'theft');
    await row(page, a!.id).click();
    await expect.poll(() => form(page).getAttribute('data-plan-id')).toBe(a!.id);
    await form(page).locator('input[name=name]').fill('改了但没保存');
    await row(page, b!.id).click();
    const dialog = page.locator('dialog.dialog[open]');
    await dialog.waitFor();
    // Cancel: still on the first plan with the edit.
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect(await form(page).getAttribute('data-plan-id')).toBe(a!.id);
    expect(await form(page).locator('input[name=name]').inputValue()).toBe('改了但没保存');
    // Discard: the other plan opens, the first is unchanged on the server.
    await row(page, b!.id).click();
    await dialog.getByRole('button', { name: 'Discard changes' }).click();
    await expect.poll(() => form(page).getAttribute('data-plan-id')).toBe(b!.id);
    expect(((await sys.api(`/api/plans/${a!.id}`, { token: adminToken })).body as EmergencyPlan).name).toBe('盗窃现场处置');
    // Without changes a switch asks nothing.
    await row(page, a!.id).click();
    await expect.poll(() => form(page).getAttribute('data-plan-id')).toBe(a!.id);
    expect(await page.locator('dialog.dialog[open]').count()).toBe(0);
  });

  it('refuses the screen and the API to a dispatcher', async () => {
    const { page } = await fixture.open();
    await signIn(page, sys.baseUrl, dispatcher);
    expect(await page.getByTestId('main-nav').locator('[data-screen=plans]').count()).toBe(0);
    await page.goto(`${sys.baseUrl}/#/plans`);
    await page.getByTestId('forbidden').waitFor();
    expect(await page.getByTestId('plans-screen').count()).toBe(0);
    const refused = await sys.api('/api/plans', { token: dispatcherToken, body: { incidentType: 'fight', name: 'x', steps: ['y'] } });
    expect(refused.status).toBe(403);
  });

  it('speaks Chinese', async () => {
    const { page, pageErrors } = await openPlans('zh-CN');
    expect(await page.getByTestId('main-nav').locator('[data-screen=plans]').innerText()).toBe('预案管理');
    expect(await page.locator('.screen-title').innerText()).toBe('预案管理');
    const [a] = (await plans()).filter((p) => p.incidentType === 'theft');
    expect(await row(page, a!.id).getByTestId('plan-row-type').innerText()).toBe('盗窃');
    expect(await row(page, a!.id).getByTestId('plan-row-state').innerText()).toBe('启用');
    const f = await newPlan(page, 'fire');
    expect(await f.locator('select[name=incidentType] option:checked').innerText()).toBe('火灾');
    expect(await f.getByTestId('plan-steps').locator('legend').innerText()).toBe('处置步骤（按顺序）');
    expect(await f.locator('input[name=notify][value=dispatcher]').locator('..').innerText()).toBe('调度员');
    expect(await page.getByTestId('plan-save').innerText()).toBe('保存');
    expect(pageErrors).toEqual([]);
  });
});
