import type { Locator, Page } from 'playwright-core';
import { ConsoleBrowser } from '../support/console-browser';
import { SYSTEM_TOKEN, WlmSystem } from '../support/wlm-system';

/*
 * The web console in a real browser (Debian's chromium through playwright-core) against a real
 * orchestrator, `wlm scheduler` and `wlm worker`s: sign in, submit from the form and watch the DAG
 * turn green without a reload, cancel another experiment, upload a bad DAG and see each problem
 * beside its line, SIGKILL a worker and see it marked failed.
 */

jest.setTimeout(180_000);

let system: WlmSystem;
let browser: ConsoleBrowser;
let diamond: string;
let single: string;

beforeAll(async () => {
  [system, browser] = await Promise.all([
    WlmSystem.start({
      label: 'console',
      workers: [
        { name: 'gpu1', tasks: 'echo', slots: 4, labels: 'site=lab,gpu=a100' },
        { name: 'cpu1', tasks: 'echo', slots: 2, labels: 'site=lab' },
      ],
    }),
    ConsoleBrowser.open(),
  ]);
  diamond = system.type('diamond');
  await system.putDag({
    type: diamond,
    description: 'prepare, two analyses side by side, then a report',
    tasks: [
      { id: 'prepare', type: 'echo', params: { sleepMs: 1500, dataset: '{{inputs.dataset}}' } },
      { id: 'analyse-a', type: 'echo', after: ['prepare'], params: { sleepMs: '{{inputs.sleepMs}}' } },
      { id: 'analyse-b', type: 'echo', after: ['prepare'], params: { sleepMs: 1200 } },
      { id: 'report', type: 'echo', after: ['analyse-a', 'analyse-b'], params: { sleepMs: 300 } },
    ],
  });
  single = system.type('single');
  await system.putDag({
    type: single,
    tasks: [{ id: 'only', type: 'echo', params: { label: '{{inputs.label}}' } }],
  });
});

afterAll(async () => {
  await browser?.close();
  await system?.stop();
});

describe('the web console', () => {
  it('asks for a token, and keeps it for the session', async () => {
    const { page } = browser;
    await page.goto(system.url);
    await page.locator('#token').waitFor();
    await browser.shot('login');
    await page.fill('#token', 'not-the-token');
    await page.click('button[type=submit]');
    await expectText(page.locator('.form-error'), 'refused');
    await page.fill('#token', SYSTEM_TOKEN);
    await page.click('button[type=submit]');
    await page.locator('h1', { hasText: 'Experiments' }).waitFor();
    await page.reload();
    await page.locator('h1', { hasText: 'Experiments' }).waitFor();
    await page.locator('.live.online').waitFor();
  });

  it('submits an experiment from the form and shows its DAG turning green live', async () => {
    const { page } = browser;
    await page.click('a.tab:has-text("Submit")');
    await page.selectOption('#submit-type', diamond);
    // The form asks for exactly the inputs the DAG uses.
    await page.locator('#input-dataset').waitFor();
    expect(await page.locator('#submit-inputs input').count()).toBe(2);
    await page.fill('#input-dataset', 'run-42.h5');
    await page.fill('#input-sleepMs', '2500');
    await page.fill('#submit-priority', '7');
    await browser.shot('submit');
    await page.click('#submit-button');
    await landOnExperiment(page);
    await page.locator('#dag .dag-node').first().waitFor();
    await page.locator('#dag .dag-node[data-state="RUNNING"]').first().waitFor({ timeout: 30_000 });
    await page.click('#dag .dag-node[data-task="analyse-a"]');
    await page.locator('#task-panel .progress-block').waitFor({ timeout: 30_000 });
    await browser.shot('experiment-running');
    // The DAG has four tasks: the fourth node turning green is the last.
    await page.locator('#dag .dag-node[data-state="COMPLETED"]').nth(3).waitFor({ timeout: 60_000 });
    await expectText(page.locator('.subtitle .badge'), 'COMPLETED');
    await page.click('#dag .dag-node[data-task="analyse-a"]');
    await expectText(page.locator('#task-log'), 'echo started');
    expect(await page.locator('#audit tbody tr').count()).toBeGreaterThan(8);
    await browser.shot('experiment');
  });

  it('keeps the inputs of the type chosen last when an earlier choice answers later', async () => {
    const { page } = browser;
    let answerSingle: () => void = () => undefined;
    const singleAsked = new Promise<void>((asked) => {
      void page.route(`**/api/dags/${single}`, async (route) => {
        asked();
        await new Promise<void>((release) => (answerSingle = release));
        await route.continue();
      });
    });
    await page.click('a.tab:has-text("Submit")');
    await page.locator('#submit-type').waitFor();
    await page.selectOption('#submit-type', single);
    await singleAsked;
    await page.selectOption('#submit-type', diamond);
    await page.locator('#input-dataset').waitFor();
    const lateAnswer = page.waitForResponse(`**/api/dags/${single}`);
    answerSingle();
    await (await lateAnswer).finished();
    await page.unroute(`**/api/dags/${single}`);
    // One more round trip, so the late answer has been handled when the form is read.
    await page.evaluate(() => fetch('/healthz').then(() => undefined));
    expect(
      await page.locator('#submit-inputs input').evaluateAll((inputs) => inputs.map((i) => i.id)),
    ).toEqual(['input-dataset', 'input-sleepMs']);
  });

  it('cancels a running experiment', async () => {
    const { page } = browser;
    const id = await system.submit(diamond, { dataset: 'long.h5', sleepMs: 60_000 });
    await page.goto(`${system.url}/#/experiments/${id}`);
    await page
      .locator('#dag .dag-node[data-task="analyse-a"][data-state="RUNNING"]')
      .waitFor({ timeout: 30_000 });
    page.once('dialog', (dialog) => void dialog.accept());
    await page.click('#action-cancel');
    await expectText(page.locator('.subtitle .badge'), 'CANCELLED');
    await page
      .locator('#dag .dag-node[data-task="analyse-a"][data-state="CANCELLED"]')
      .waitFor({ timeout: 30_000 });
    expect(await page.locator('#action-resume').isVisible()).toBe(true);
    await page.click('a.tab:has-text("Experiments")');
    await page.locator(`#experiments tr[data-id="${id}"] .badge`, { hasText: 'CANCELLED' }).waitFor();
    await browser.shot('experiments');
  });

  it('shows the problems of a bad DAG beside their lines', async () => {
    const { page } = browser;
    await page.click('a.tab:has-text("Master DAGs")');
    await page.locator(`#dags a:has-text("${diamond}")`).waitFor();
    const bad = [
      `type: ${system.type('broken')}`,
      'tasks:',
      '  - id: fetch',
      '    type: echo',
      '  - id: crunch',
      '    type: echo',
      '    after: [fetch, missing]',
      '    retries: 3',
    ].join('\n');
    await page.fill('#dag-yaml', bad);
    await page.click('#dag-upload');
    await page.locator('#dag-problems li').first().waitFor();
    // line 7 is `after: [fetch, missing]`, line 8 the unknown field
    await page.locator('.gutter .bad[data-line="7"]').waitFor();
    await page.locator('.gutter .bad[data-line="8"]').waitFor();
    await expectText(page.locator('#dag-problems li[data-line="7"]'), 'missing');
    await expectText(page.locator('#dag-problems li[data-line="8"]'), 'retries');
    // …and beside the line itself.
    await expectText(page.locator('#dag-notes .note[data-line="7"]'), 'unknown task "missing"');
    await page.locator('#dag-editor').scrollIntoViewIfNeeded();
    await browser.shot('dag-upload-errors');
    await page.goto(`${system.url}/#/dags/${diamond}`);
    await page.locator('#dag .dag-node').first().waitFor();
    await browser.shot('dag');
  });

  it('lists a dead letter, shows its body and replays it to its queue', async () => {
    const { page } = browser;
    const requests = system.cluster.topology.queues.schedulerRequests;
    // Not a TaskRequest: the scheduler dead-letters it as invalid.
    await system.cluster.broker.publishRaw(requests, Buffer.from('{"v":1,"note":"console test"}'));
    await page.click('a.tab:has-text("Dead letters")');
    const row = page.locator('#dead-letters tbody tr').first();
    for (let attempt = 0; attempt < 40 && (await row.count()) === 0; attempt += 1) {
      await page.waitForTimeout(250);
      await page.click('button:has-text("Refresh")');
    }
    await row.click();
    await expectText(page.locator('#dead-letter'), 'console test');
    await expectText(page.locator('#dead-letter .facts'), requests);
    await browser.shot('dead-letters');
    await page.click('#replay');
    await expectText(page.locator('.toast'), `Replayed to ${requests}`);
  });

  it('marks a SIGKILLed worker failed on the workers page', async () => {
    const { page } = browser;
    const victim = system.cluster.workerId('cpu1');
    await page.click('a.tab:has-text("Workers")');
    await page.locator(`#workers tr[data-worker="${victim}"][data-state="alive"]`).waitFor();
    system.cluster.worker(victim).kill('SIGKILL');
    await page
      .locator(`#workers tr[data-worker="${victim}"][data-state="failed"]`)
      .waitFor({ timeout: 45_000 });
    // Failed workers come first.
    expect(await page.locator('#workers tbody tr').first().getAttribute('data-worker')).toBe(victim);
    await page.locator('#incidents .badge', { hasText: 'failed' }).first().waitFor();
    await browser.shot('workers');
  });
});

/** Waits for the submit form to land on the new experiment; says what the form shows when it does not. */
async function landOnExperiment(page: Page): Promise<void> {
  try {
    await page.waitForURL((url) => url.hash.startsWith('#/experiments/'), { timeout: 30_000 });
  } catch (error) {
    const form = page.locator('#submit-form');
    const invalid = await form.locator(':invalid').evaluateAll((fields) => fields.map((field) => field.id));
    const shown = await form.innerText();
    throw new Error(`the form stayed; invalid fields [${invalid.join(', ')}]; it shows:\n${shown}`, {
      cause: error,
    });
  }
}

/** Waits until one of the elements `locator` finds shows `text` (a timeout fails the test). */
async function expectText(locator: Locator, text: string): Promise<void> {
  const match = locator.filter({ hasText: text }).first();
  await match.waitFor({ timeout: 30_000 });
  expect(await match.textContent()).toContain(text);
}
