import { existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PATH_OUTSIDE_ROOTS, shellQuote } from '@wlm/commons/remote';
import { plugin } from '@wlm/task-data-staging';
import { PluginHarness, rejectionOf } from '../../../env-setup/test/integration/support/plugin-harness';

/*
 * data-staging keeps every path inside the directories it may use, against the stack's sshd: on the
 * resource its work root, on the worker `staging.localRoots` (here a directory of the test's) — as
 * written and with symbolic links resolved — and fails, not retryably, naming the field, before a
 * byte moves or a directory is created.
 */

const RESOURCE = 'confinement-test';
const never = new AbortController().signal;

describe('data-staging paths stay inside their roots', () => {
  let harness: PluginHarness;
  let local: string;
  /** Outside every root: neither the worker's staging root nor the resource's work root. */
  let outside: string;

  beforeAll(() => {
    local = mkdtempSync(join(tmpdir(), 'wlm-confinement-'));
    harness = new PluginHarness(RESOURCE, [], [], [local]);
    writeFileSync(join(local, 'input.txt'), 'data\n');
    outside = mkdtempSync(join(tmpdir(), 'wlm-confinement-outside-'));
    writeFileSync(join(outside, 'secret.txt'), 'not for tasks\n');
    // A link inside the worker's root leading out of it.
    symlinkSync(outside, join(local, 'escape'));
  });
  afterAll(async () => {
    rmSync(local, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
    await harness.close();
  });

  async function failureOf(params: Record<string, unknown>, experimentId: string) {
    const run = harness.context(plugin, { resource: RESOURCE, ...params }, experimentId);
    return rejectionOf(plugin.run(run.ctx, never));
  }

  it('refuses a remote destination that climbs out of the run directory with ..', async () => {
    const experimentId = harness.newExperiment('dotdot');
    const failure = await failureOf(
      {
        direction: 'in',
        files: [{ source: join(local, 'input.txt'), destination: '../../../../../../../tmp/wlm-escaped/' }],
      },
      experimentId,
    );
    expect(failure).toMatchObject({ code: PATH_OUTSIDE_ROOTS, retryable: false });
    expect((failure as Error).message).toMatch(
      /^files\[0\]\.destination: \/tmp\/wlm-escaped\/input\.txt \(on compute resource "confinement-test"\) is outside the directories tasks may use \(resources\.confinement-test\.workRoot and allowedRoots: .*hpc-work\); use a path inside them, or add its directory to resources\.confinement-test\.allowedRoots$/,
    );
    expect(existsSync('/tmp/wlm-escaped')).toBe(false);
  });

  it('refuses an absolute remote source outside the work root', async () => {
    const failure = await failureOf(
      { direction: 'out', files: [{ source: '/etc/passwd', destination: `${local}/` }] },
      harness.newExperiment('absolute'),
    );
    expect(failure).toMatchObject({ code: PATH_OUTSIDE_ROOTS, retryable: false });
    expect((failure as Error).message).toMatch(/^files\[0\]\.source: \/etc\/passwd \(on compute resource/);
    expect(existsSync(join(local, 'passwd'))).toBe(false);
  });

  it('refuses a remote source reached through a symbolic link inside the work root', async () => {
    const experimentId = harness.newExperiment('remote-link');
    const runDir = harness.runDir(experimentId);
    await harness.remote(
      `mkdir -p ${shellQuote(runDir)} && ln -s ${shellQuote(outside)} ${shellQuote(`${runDir}/data`)}`,
    );
    const failure = await failureOf(
      { direction: 'out', files: [{ source: 'data/secret.txt', destination: `${local}/` }] },
      experimentId,
    );
    expect(failure).toMatchObject({ code: PATH_OUTSIDE_ROOTS, retryable: false });
    expect((failure as Error).message).toContain(
      `files[0].source: ${runDir}/data/secret.txt (on compute resource "${RESOURCE}"), a symbolic link to ${outside}/secret.txt, is outside`,
    );
    expect(existsSync(join(local, 'secret.txt'))).toBe(false);
  });

  it('refuses a local source outside staging.localRoots, and one reached through a link inside them', async () => {
    const plain = await failureOf(
      { direction: 'in', files: [{ source: join(outside, 'secret.txt'), destination: 'inputs/' }] },
      harness.newExperiment('local'),
    );
    expect(plain).toMatchObject({ code: PATH_OUTSIDE_ROOTS, retryable: false });
    expect((plain as Error).message).toMatch(
      /^files\[0\]\.source: .*secret\.txt \(on the worker \(.*\)\) is outside/,
    );
    expect((plain as Error).message).toContain(
      `is outside the directories tasks may use (staging.localRoots: ${local}); use a path inside them, or add its directory to staging.localRoots`,
    );

    const linked = await failureOf(
      { direction: 'in', files: [{ source: join(local, 'escape', 'secret.txt'), destination: 'inputs/' }] },
      harness.newExperiment('local-link'),
    );
    expect(linked).toMatchObject({ code: PATH_OUTSIDE_ROOTS, retryable: false });
    expect((linked as Error).message).toContain(`a symbolic link to ${outside}/secret.txt, is outside`);
  });

  it('refuses a local destination through a link, before creating anything there', async () => {
    const experimentId = harness.newExperiment('local-dest');
    await harness.remote(
      `mkdir -p ${shellQuote(`${harness.runDir(experimentId)}/outputs`)} && echo r > ${shellQuote(`${harness.runDir(experimentId)}/outputs/r.txt`)}`,
    );
    const failure = await failureOf(
      { direction: 'out', files: [{ source: 'outputs/r.txt', destination: `${local}/escape/new/` }] },
      experimentId,
    );
    expect(failure).toMatchObject({ code: PATH_OUTSIDE_ROOTS, retryable: false });
    expect((failure as Error).message).toMatch(/^files\[0\]\.destination: /);
    expect(existsSync(join(outside, 'new'))).toBe(false);
  });

  it('still stages inside the roots, through a link that stays inside', async () => {
    const experimentId = harness.newExperiment('inside');
    symlinkSync(local, join(local, 'self'));
    const run = harness.context(
      plugin,
      {
        resource: RESOURCE,
        direction: 'in',
        files: [{ source: join(local, 'self', 'input.txt'), destination: 'inputs/' }],
      },
      experimentId,
    );
    const outputs = await plugin.run(run.ctx, never);
    expect(outputs.files).toEqual([
      expect.objectContaining({ destination: `${harness.runDir(experimentId)}/inputs/input.txt`, bytes: 5 }),
    ]);
  });
});
