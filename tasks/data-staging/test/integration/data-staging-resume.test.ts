import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  statfsSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TaskFailure } from '@wlm/commons/plugin';
import type { TaskContext } from '@wlm/commons/plugin';
import { STAGING_FAILURE_CODES, plugin } from '@wlm/task-data-staging';
import type { DataStagingParams } from '@wlm/task-data-staging';
import { PluginHarness, rejectionOf } from '../../../env-setup/test/integration/support/plugin-harness';

const RESOURCE = 'data-staging-resume-test';
const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const never = new AbortController().signal;

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Mounting a tmpfs needs root (CAP_SYS_ADMIN); where it works, a real full disk can be tested. */
function canMountTmpfs(): boolean {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return false;
  const probe = mkdtempSync(join(tmpdir(), 'wlm-tmpfs-probe-'));
  try {
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe]).status === 0;
    if (mounted) spawnSync('umount', [probe]);
    return mounted;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}

/** Runs `test` with a fresh tmpfs of `bytes` mounted on a temporary directory. */
async function withTmpfs(bytes: number, test: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'wlm-tmpfs-'));
  expect(spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', dir]).status).toBe(0);
  try {
    await test(dir);
  } finally {
    spawnSync('umount', ['-l', dir]);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Writes zeros into `dir` until its filesystem is full. */
function fillUp(dir: string): void {
  const fd = openSync(join(dir, 'filler'), 'w');
  const block = Buffer.alloc(64 * 1024);
  try {
    for (;;) writeSync(fd, block);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    closeSync(fd);
  }
}

/** `ctx`, reporting progress as the plugin does, that fills `disk` up once the first file is staged. */
function fillingUpMidTransfer(
  ctx: TaskContext<DataStagingParams>,
  disk: string,
): { ctx: TaskContext<DataStagingParams>; filled: () => boolean } {
  let filled = false;
  return {
    ctx: {
      ...ctx,
      progress: (message) => {
        if (message.endsWith(' staged') && !filled) {
          filled = true;
          fillUp(disk);
        }
      },
    },
    filled: () => filled,
  };
}

const itWithTmpfs = canMountTmpfs() ? it : it.skip;

describe('data-staging resumes, stops and checks space on the stack sshd', () => {
  let harness: PluginHarness;
  let local: string;
  const data = randomBytes(2 * MiB);
  const half = data.subarray(0, MiB);

  beforeAll(() => {
    // The tmpfs of the disk-full tests is mounted in the temporary directory, outside the work root.
    harness = new PluginHarness(RESOURCE, [], [tmpdir()]);
    local = mkdtempSync(join(tmpdir(), 'wlm-staging-resume-'));
    writeFileSync(join(local, 'data.bin'), data);
  });
  afterAll(async () => {
    rmSync(local, { recursive: true, force: true });
    await harness.close();
  });

  function context(params: Record<string, unknown>, experimentId: string) {
    return harness.context(plugin, { resource: RESOURCE, ...params }, experimentId);
  }

  /** Puts `bytes` at `path` (relative to the run directory) on the resource. */
  async function putRemote(experimentId: string, path: string, bytes: Buffer): Promise<void> {
    const target = `${harness.runDir(experimentId)}/${path}`;
    await harness.remote(`mkdir -p "$(dirname '${target}')" && cat > '${target}'`, bytes);
  }

  it('continues a partial upload whose bytes are a prefix of the source', async () => {
    expect.hasAssertions();
    const experimentId = harness.newExperiment('resume');
    await putRemote(experimentId, 'inputs/data.bin.part', half);
    const { ctx, progress } = context(
      { direction: 'in', files: [{ source: join(local, 'data.bin'), destination: 'inputs/' }] },
      experimentId,
    );
    const outputs = await plugin.run(ctx, never);
    expect(outputs.files).toEqual([
      {
        source: join(local, 'data.bin'),
        destination: `${harness.runDir(experimentId)}/inputs/data.bin`,
        bytes: data.length,
        sha256: sha256(data),
        resumedFrom: MiB,
      },
    ]);
    expect(progress.map((event) => event.message)).toContainEqual(
      expect.stringMatching(/\(2\.00 MiB, 1\.00 MiB copied before\)$/),
    );
    // The kept megabyte counts as staged at once.
    expect(progress.find((event) => event.message.endsWith(' staged'))?.percent).toBe(50);
    expect(
      await harness.remote(`cd '${harness.runDir(experimentId)}/inputs' && sha256sum data.bin && ls`),
    ).toBe(`${sha256(data)}  data.bin\ndata.bin\n`);
  });

  it('continues a partial download whose bytes are a prefix of the source', async () => {
    const experimentId = harness.newExperiment('resume');
    await putRemote(experimentId, 'outputs/data.bin', data);
    const target = join(local, `down-${experimentId}`);
    mkdirSync(target);
    writeFileSync(join(target, 'data.bin.part'), half);
    const { ctx } = context(
      { direction: 'out', files: [{ source: 'outputs/data.bin', destination: `${target}/` }] },
      experimentId,
    );
    const outputs = await plugin.run(ctx, never);
    expect(outputs.files[0]).toMatchObject({ resumedFrom: MiB, sha256: sha256(data), bytes: data.length });
    expect(readFileSync(join(target, 'data.bin')).equals(data)).toBe(true);
    expect(existsSync(join(target, 'data.bin.part'))).toBe(false);
  });

  it('starts over when the partial copy is not a prefix of the source, or longer than it', async () => {
    const experimentId = harness.newExperiment('resume');
    await putRemote(experimentId, 'inputs/wrong.bin.part', randomBytes(MiB));
    await putRemote(experimentId, 'inputs/long.bin.part', Buffer.concat([data, Buffer.from('more')]));
    const { ctx } = context(
      {
        direction: 'in',
        files: [
          { source: join(local, 'data.bin'), destination: 'inputs/wrong.bin' },
          { source: join(local, 'data.bin'), destination: 'inputs/long.bin' },
        ],
      },
      experimentId,
    );
    const outputs = await plugin.run(ctx, never);
    for (const file of outputs.files) {
      expect(file.resumedFrom).toBeUndefined();
      expect(file.sha256).toBe(sha256(data));
    }
    expect(
      await harness.remote(`cd '${harness.runDir(experimentId)}/inputs' && sha256sum wrong.bin long.bin`),
    ).toBe(`${sha256(data)}  wrong.bin\n${sha256(data)}  long.bin\n`);
  });

  it('stops a large transfer on abort, leaving a .part that the next run continues', async () => {
    const experimentId = harness.newExperiment('resume');
    const big = randomBytes(64 * MiB);
    const bigFile = join(local, `big-${experimentId}.bin`);
    writeFileSync(bigFile, big);
    const params = { direction: 'in', files: [{ source: bigFile, destination: 'inputs/big.bin' }] };
    const controller = new AbortController();
    const { ctx } = context(params, experimentId);
    const aborting: TaskContext<DataStagingParams> = {
      ...ctx,
      progress: (message, percent) => {
        if (message.endsWith(' staged') && percent !== undefined && percent < 100) {
          controller.abort(new Error('task cancelled'));
        }
      },
    };
    await expect(plugin.run(aborting, controller.signal)).rejects.toThrow('task cancelled');
    const inputs = `${harness.runDir(experimentId)}/inputs`;
    const left = Number(await harness.remote(`stat -c %s '${inputs}/big.bin.part'`));
    expect(left).toBeGreaterThan(0);
    expect(left).toBeLessThan(big.length);
    expect(await harness.remote(`ls '${inputs}'`)).toBe('big.bin.part\n');

    const again = context(params, experimentId);
    const outputs = await plugin.run(again.ctx, never);
    expect(outputs.files[0]).toMatchObject({ resumedFrom: left, sha256: sha256(big), bytes: big.length });
    expect(await harness.remote(`sha256sum '${inputs}/big.bin'`)).toBe(`${sha256(big)}  ${inputs}/big.bin\n`);
  });

  it('fails retryably on a checksum mismatch, removing the wrong copy so that a retry starts over', async () => {
    const experimentId = harness.newExperiment('resume');
    await putRemote(experimentId, 'outputs/data.bin', data);
    const target = join(local, `mismatch-${experimentId}`);
    const params = { direction: 'out', files: [{ source: 'outputs/data.bin', destination: `${target}/` }] };
    const { ctx } = context(params, experimentId);
    const corrupting: TaskContext<DataStagingParams> = {
      ...ctx,
      progress: (message) => {
        // Between the copy and its verification: a bit flips on the worker's disk.
        if (message.startsWith('verifying')) {
          const fd = openSync(join(target, 'data.bin.part'), 'r+');
          writeSync(fd, Buffer.from([(data[1000] ?? 0) ^ 0xff]), 0, 1, 1000);
          closeSync(fd);
        }
      },
    };
    const failure = await rejectionOf(plugin.run(corrupting, never));
    expect(failure).toMatchObject({ code: STAGING_FAILURE_CODES.CHECKSUM_MISMATCH, retryable: true });
    expect((failure as Error).message).toContain(`1 copy differs from the source on the worker (`);
    expect((failure as Error).message).toContain(`(source sha256 ${sha256(data)}, copy `);
    expect(readdirSync(target)).toEqual([]);

    const retry = context(params, experimentId);
    const outputs = await plugin.run(retry.ctx, never);
    expect(outputs.files[0]).toEqual({
      source: `${harness.runDir(experimentId)}/outputs/data.bin`,
      destination: join(target, 'data.bin'),
      bytes: data.length,
      sha256: sha256(data),
    });
    expect(readFileSync(join(target, 'data.bin')).equals(data)).toBe(true);
  });

  it('fails before copying when the resource has less free space than the files need', async () => {
    const experimentId = harness.newExperiment('resume');
    const df = await harness.remote(`df -Pk '${harness.resource.workRoot}' | tail -1`);
    const free = Number(df.trim().split(/\s+/)[3]) * 1024;
    // Sparse: as large as the resource's free space and a GiB more, without using any of the worker's.
    const huge = join(local, `huge-${experimentId}.bin`);
    writeFileSync(huge, '');
    truncateSync(huge, free + GiB);
    const { ctx } = context(
      { direction: 'in', files: [{ source: huge, destination: 'inputs/' }] },
      experimentId,
    );
    const failure = await rejectionOf(plugin.run(ctx, never));
    expect(failure).toBeInstanceOf(TaskFailure);
    expect(failure).toMatchObject({ code: STAGING_FAILURE_CODES.DISK_FULL, retryable: false });
    const message = (failure as Error).message;
    const [, freeSeen, needed] = /\((\d+) bytes\) free, .* \((\d+) bytes\) needed/.exec(message) ?? [];
    expect(Number(needed)).toBe(free + GiB);
    expect(Number(freeSeen)).toBeLessThan(free + GiB);
    expect(message).toMatch(
      new RegExp(
        `^not enough space on compute resource "${RESOURCE}" in .*/${experimentId}/1/inputs \\(filesystem /.*\\): `,
      ),
    );
    expect(await harness.remote(`ls -A '${harness.runDir(experimentId)}/inputs'`)).toBe('');
  });

  it("fails before copying when the worker's disk has less free space than the files need", async () => {
    const experimentId = harness.newExperiment('resume');
    const target = join(local, `full-${experimentId}`);
    mkdirSync(target);
    const space = statfsSync(target);
    const size = space.bavail * space.bsize + GiB;
    await harness.remote(
      `mkdir -p '${harness.runDir(experimentId)}/outputs' && truncate -s ${size} '${harness.runDir(experimentId)}/outputs/huge.bin'`,
    );
    const { ctx } = context(
      { direction: 'out', files: [{ source: 'outputs/huge.bin', destination: `${target}/` }] },
      experimentId,
    );
    const failure = await rejectionOf(plugin.run(ctx, never));
    expect(failure).toMatchObject({ code: 'STAGING_DISK_FULL', retryable: false });
    expect((failure as Error).message).toMatch(
      new RegExp(
        `^not enough space on the worker \\(.+\\) in ${target} \\(filesystem device \\d+\\): .* \\(${size} bytes\\) needed`,
      ),
    );
    expect(existsSync(join(target, 'huge.bin.part'))).toBe(false);
  });

  itWithTmpfs('fails with STAGING_DISK_FULL when the worker disk fills up during a download', async () => {
    await withTmpfs(8 * MiB, async (disk) => {
      const experimentId = harness.newExperiment('resume');
      await putRemote(experimentId, 'outputs/data4.bin', randomBytes(4 * MiB));
      const { ctx } = context(
        { direction: 'out', files: [{ source: 'outputs/data4.bin', destination: `${disk}/` }] },
        experimentId,
      );
      const filling = fillingUpMidTransfer(ctx, disk);
      const failure = await rejectionOf(plugin.run(filling.ctx, never));
      expect(filling.filled()).toBe(true);
      expect(failure).toMatchObject({ code: STAGING_FAILURE_CODES.DISK_FULL, retryable: false });
      expect((failure as Error).message).toMatch(
        new RegExp(`^disk full while writing ${disk}/data4\\.bin\\.part on the worker \\(.+\\): ENOSPC`),
      );
    });
  });

  itWithTmpfs('fails with STAGING_DISK_FULL when the resource disk fills up during an upload', async () => {
    await withTmpfs(8 * MiB, async (disk) => {
      // The stack's sshd runs on this machine: it writes to the same tmpfs.
      expect((await harness.remote(`df -Pk '${disk}' | tail -1`)).trim()).toMatch(new RegExp(` ${disk}$`));
      const source = join(local, 'data4.bin');
      writeFileSync(source, randomBytes(4 * MiB));
      const { ctx } = context(
        { direction: 'in', files: [{ source, destination: `${disk}/` }] },
        harness.newExperiment('resume'),
      );
      const filling = fillingUpMidTransfer(ctx, disk);
      const failure = await rejectionOf(plugin.run(filling.ctx, never));
      expect(filling.filled()).toBe(true);
      expect(failure).toMatchObject({ code: STAGING_FAILURE_CODES.DISK_FULL, retryable: false });
      expect((failure as Error).message).toMatch(
        new RegExp(
          `^not enough space on compute resource "${RESOURCE}" in ${disk} \\(filesystem ${disk}\\) ` +
            `while writing ${disk}/data4\\.bin\\.part: .* free, .* needed`,
        ),
      );
    });
  });
});
