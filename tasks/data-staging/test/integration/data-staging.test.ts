import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TaskFailure } from '@wlm/commons/plugin';
import { STAGING_FAILURE_CODES, plugin } from '@wlm/task-data-staging';
import type { DataStagingOutputs } from '@wlm/task-data-staging';
import { PluginHarness, rejectionOf } from '../../../env-setup/test/integration/support/plugin-harness';

const RESOURCE = 'data-staging-test';
/** A storage resource: the same sshd under another name, so its files are this machine's. */
const STORAGE = 'data-staging-archive';
const never = new AbortController().signal;

function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

describe('data-staging on the stack sshd', () => {
  let harness: PluginHarness;
  let local: string;
  const text = 'id,value\n1,42\n';
  const binary = randomBytes(300_000);
  const script = '#!/bin/sh\necho ran\n';

  beforeAll(() => {
    harness = new PluginHarness(RESOURCE, [STORAGE]);
    local = mkdtempSync(join(tmpdir(), "wlm staging 'test' "));
    writeFileSync(join(local, 'result.csv'), text);
    writeFileSync(join(local, 'mesh.bin'), binary);
    writeFileSync(join(local, 'run.sh'), script);
    writeFileSync(join(local, 'empty.txt'), '');
    chmodSync(join(local, 'run.sh'), 0o750);
    mkdirSync(join(local, 'many'));
    for (const name of ['a.csv', 'b.csv', 'c.csv', 'notes.txt', '.hidden.csv']) {
      writeFileSync(join(local, 'many', name), `${name}\n`);
    }
  });
  afterAll(async () => {
    rmSync(local, { recursive: true, force: true });
    await harness.close();
  });

  async function stage(params: Record<string, unknown>, experimentId: string) {
    const run = harness.context(plugin, { resource: RESOURCE, ...params }, experimentId);
    const outputs: DataStagingOutputs = await plugin.run(run.ctx, never);
    return { outputs, progress: run.progress };
  }

  it('stages in and back out, verified by checksum, keeping permissions and inlining small text', async () => {
    expect.hasAssertions();
    const experimentId = harness.newExperiment('staging');
    const runDir = harness.runDir(experimentId);
    const { outputs } = await stage(
      {
        direction: 'in',
        files: [
          { source: join(local, 'result.csv'), destination: 'inputs/' },
          { source: join(local, 'mesh.bin'), destination: 'inputs/mesh-renamed.bin' },
          { source: join(local, 'run.sh'), destination: `${runDir}/bin/` },
          { source: join(local, 'empty.txt'), destination: 'inputs/' },
        ],
        inlineContentBytes: 1024,
      },
      experimentId,
    );
    expect(outputs).toEqual({
      resource: RESOURCE,
      direction: 'in',
      files: [
        {
          source: join(local, 'result.csv'),
          destination: `${runDir}/inputs/result.csv`,
          bytes: text.length,
          sha256: sha256(text),
          content: text,
        },
        {
          source: join(local, 'mesh.bin'),
          destination: `${runDir}/inputs/mesh-renamed.bin`,
          bytes: binary.length,
          sha256: sha256(binary),
        },
        {
          source: join(local, 'run.sh'),
          destination: `${runDir}/bin/run.sh`,
          bytes: script.length,
          sha256: sha256(script),
          content: script,
        },
        {
          source: join(local, 'empty.txt'),
          destination: `${runDir}/inputs/empty.txt`,
          bytes: 0,
          sha256: sha256(''),
          content: '',
        },
      ],
      totalBytes: text.length + binary.length + script.length,
    });
    // What is on the resource, seen by the resource itself.
    expect(
      await harness.remote(`cd '${runDir}' && sha256sum inputs/mesh-renamed.bin && cat inputs/result.csv`),
    ).toBe(`${sha256(binary)}  inputs/mesh-renamed.bin\n${text}`);
    expect(await harness.remote(`cd '${runDir}' && stat -c %a bin/run.sh && ./bin/run.sh`)).toBe(
      '750\nran\n',
    );
    expect(await harness.remote(`cd '${runDir}' && find . -name '*.part' | wc -l`)).toBe('0\n');

    const back = join(local, `back-${experimentId}`);
    const out = await stage(
      {
        direction: 'out',
        files: [
          { source: 'inputs/mesh-renamed.bin', destination: `${back}/` },
          { source: `${runDir}/inputs/result.csv`, destination: `${back}/sub/copy.csv` },
        ],
        inlineContentBytes: 64,
      },
      experimentId,
    );
    expect(out.outputs.files).toEqual([
      {
        source: `${runDir}/inputs/mesh-renamed.bin`,
        destination: `${back}/mesh-renamed.bin`,
        bytes: binary.length,
        sha256: sha256(binary),
      },
      {
        source: `${runDir}/inputs/result.csv`,
        destination: `${back}/sub/copy.csv`,
        bytes: text.length,
        sha256: sha256(text),
        content: text,
      },
    ]);
    expect(readFileSync(join(back, 'mesh-renamed.bin')).equals(binary)).toBe(true);
    expect(readFileSync(join(back, 'sub', 'copy.csv'), 'utf8')).toBe(text);
    expect(readdirSync(back).sort()).toEqual(['mesh-renamed.bin', 'sub']);
  });

  it('expands globs on both sides like a shell: regular files, no dotfiles', async () => {
    const experimentId = harness.newExperiment('staging');
    const runDir = harness.runDir(experimentId);
    const { outputs } = await stage(
      { direction: 'in', files: [{ source: join(local, 'many', '*.csv'), destination: 'inputs/csv/' }] },
      experimentId,
    );
    expect(outputs.files.map((file) => file.destination)).toEqual(
      ['a.csv', 'b.csv', 'c.csv'].map((name) => `${runDir}/inputs/csv/${name}`),
    );
    expect(await harness.remote(`ls -A '${runDir}/inputs/csv'`)).toBe('a.csv\nb.csv\nc.csv\n');

    // On the resource: a directory and a dotfile that match are left out as well.
    await harness.remote(`cd '${runDir}/inputs/csv' && mkdir d.csv && echo h > .h.csv && echo z > z.txt`);
    const back = join(local, `globbed-${experimentId}`);
    const out = await stage(
      { direction: 'out', files: [{ source: 'inputs/csv/[a-b]*.csv', destination: `${back}/` }] },
      experimentId,
    );
    expect(out.outputs.files.map((file) => [file.source, file.destination])).toEqual([
      [`${runDir}/inputs/csv/a.csv`, `${back}/a.csv`],
      [`${runDir}/inputs/csv/b.csv`, `${back}/b.csv`],
    ]);
    expect(readdirSync(back).sort()).toEqual(['a.csv', 'b.csv']);
    expect(readFileSync(join(back, 'b.csv'), 'utf8')).toBe('b.csv\n');
  });

  it('reports progress per file and about every 10% of the bytes, with percents', async () => {
    const experimentId = harness.newExperiment('staging');
    const big = join(local, `big-${experimentId}.bin`);
    writeFileSync(big, randomBytes(4 * 1024 * 1024));
    const { progress } = await stage(
      {
        direction: 'in',
        files: [
          { source: big, destination: 'inputs/' },
          { source: join(local, 'result.csv'), destination: 'inputs/' },
        ],
      },
      experimentId,
    );
    const percents = progress.map((event) => event.percent);
    expect(percents.every((percent) => percent !== undefined)).toBe(true);
    expect(percents).toEqual([...(percents as number[])].sort((a, b) => a - b));
    expect(percents.at(-1)).toBe(100);
    const messages = progress.map((event) => event.message);
    expect(messages.filter((message) => message.startsWith('file '))).toEqual([
      expect.stringMatching(/^file 1\/2: .*big-.*\.bin → .*\/inputs\/big-.*\.bin \(4\.00 MiB\)$/),
      expect.stringMatching(/^file 2\/2: .*result\.csv → .*\/inputs\/result\.csv \(14 B\)$/),
    ]);
    const byteEvents = progress.filter((event) => event.message.endsWith(' staged'));
    expect(byteEvents.length).toBeGreaterThanOrEqual(9);
    expect(byteEvents.length).toBeLessThanOrEqual(10);
    expect(messages).toContain('verifying the checksums of 2 files');
    expect(messages.at(-1)).toBe('staged 2 files (4.00 MiB), checksums verified');
  });

  it('fails a missing source on the worker, not retryable, naming the path and the side', async () => {
    const missing = join(local, 'nope.csv');
    const { ctx } = harness.context(
      plugin,
      { resource: RESOURCE, direction: 'in', files: [{ source: missing, destination: 'inputs/' }] },
      harness.newExperiment('staging'),
    );
    const failure = await rejectionOf(plugin.run(ctx, never));
    expect(failure).toBeInstanceOf(TaskFailure);
    expect(failure).toMatchObject({ code: STAGING_FAILURE_CODES.SOURCE_MISSING, retryable: false });
    expect((failure as Error).message).toMatch(
      new RegExp(`^source ${missing} does not exist on the worker \\(.+\\)$`),
    );

    const glob = harness.context(
      plugin,
      {
        resource: RESOURCE,
        direction: 'in',
        files: [{ source: join(local, 'many', '*.parquet'), destination: 'in/' }],
      },
      harness.newExperiment('staging'),
    );
    const none = await rejectionOf(plugin.run(glob.ctx, never));
    expect(none).toMatchObject({ code: 'STAGING_SOURCE_MISSING', retryable: false });
    expect((none as Error).message).toContain(
      `no file matches the source "${join(local, 'many', '*.parquet')}" on the worker`,
    );
  });

  it('fails a missing source on the resource, not retryable, naming the path and the side', async () => {
    const experimentId = harness.newExperiment('staging');
    const runDir = harness.runDir(experimentId);
    const { ctx } = harness.context(
      plugin,
      {
        resource: RESOURCE,
        direction: 'out',
        files: [{ source: 'outputs/result.csv', destination: `${local}/` }],
      },
      experimentId,
    );
    const failure = await rejectionOf(plugin.run(ctx, never));
    expect(failure).toMatchObject({ code: 'STAGING_SOURCE_MISSING', retryable: false });
    expect((failure as Error).message).toBe(
      `source ${runDir}/outputs/result.csv does not exist on compute resource "${RESOURCE}"`,
    );

    const glob = harness.context(
      plugin,
      {
        resource: RESOURCE,
        direction: 'out',
        files: [{ source: 'outputs/*.csv', destination: `${local}/` }],
      },
      experimentId,
    );
    const none = await rejectionOf(plugin.run(glob.ctx, never));
    expect(none).toMatchObject({ code: 'STAGING_SOURCE_MISSING', retryable: false });
    expect((none as Error).message).toBe(
      `no file matches the source "outputs/*.csv" on compute resource "${RESOURCE}" (${runDir}/outputs/*.csv)`,
    );
  });

  it('refuses a directory as a source, and a file destination that is a directory', async () => {
    const experimentId = harness.newExperiment('staging');
    const dirSource = harness.context(
      plugin,
      {
        resource: RESOURCE,
        direction: 'in',
        files: [{ source: join(local, 'many'), destination: 'inputs/' }],
      },
      experimentId,
    );
    const notAFile = await rejectionOf(plugin.run(dirSource.ctx, never));
    expect(notAFile).toMatchObject({ code: STAGING_FAILURE_CODES.SOURCE_NOT_A_FILE, retryable: false });
    expect((notAFile as Error).message).toContain(
      `stage its files with a glob such as "${join(local, 'many')}/*"`,
    );

    const intoDir = harness.context(
      plugin,
      { resource: RESOURCE, direction: 'out', files: [{ source: 'inputs/x', destination: local }] },
      experimentId,
    );
    await harness.remote(
      `mkdir -p '${harness.runDir(experimentId)}/inputs' && echo x > '${harness.runDir(experimentId)}/inputs/x'`,
    );
    const isDir = await rejectionOf(plugin.run(intoDir.ctx, never));
    expect(isDir).toMatchObject({ code: STAGING_FAILURE_CODES.DESTINATION_INVALID, retryable: false });
    expect((isDir as Error).message).toMatch(
      /^destination .* is a directory on the worker \(.+\); end the destination with "\/" to stage into it$/,
    );
    expect((isDir as Error).message).toContain(`destination ${local} is`);
    expect(statSync(local).isDirectory()).toBe(true);
  });

  it('fails two sources with one destination before copying anything', async () => {
    const experimentId = harness.newExperiment('staging');
    const { ctx } = harness.context(
      plugin,
      {
        resource: RESOURCE,
        direction: 'in',
        files: [
          { source: join(local, 'many', 'a.csv'), destination: 'inputs/same.csv' },
          { source: join(local, 'many', 'b.csv'), destination: 'inputs/same.csv' },
        ],
      },
      experimentId,
    );
    const failure = await rejectionOf(plugin.run(ctx, never));
    expect(failure).toMatchObject({ code: STAGING_FAILURE_CODES.DESTINATION_INVALID, retryable: false });
    expect((failure as Error).message).toContain('would both be staged to');
  });

  it('fails an unknown resource with RESOURCE_UNKNOWN, not retryable', async () => {
    const { ctx } = harness.context(
      plugin,
      {
        resource: 'elsewhere',
        direction: 'in',
        files: [{ source: join(local, 'result.csv'), destination: 'x' }],
      },
      harness.newExperiment('staging'),
    );
    await expect(rejectionOf(plugin.run(ctx, never))).resolves.toMatchObject({
      code: 'RESOURCE_UNKNOWN',
      retryable: false,
    });
  });

  it('stages between a storage resource and the compute resource, both ways, through the worker', async () => {
    const experimentId = harness.newExperiment('storage');
    const runDir = harness.runDir(experimentId);
    const archive = mkdtempSync(join(tmpdir(), 'wlm-archive-'));
    try {
      writeFileSync(join(archive, 'dataset.csv'), text);
      const into = await stage(
        {
          direction: 'in',
          storage: STORAGE,
          files: [{ source: join(archive, 'dataset.csv'), destination: 'inputs/' }],
          inlineContentBytes: 1024,
        },
        experimentId,
      );
      expect(into.outputs).toEqual({
        resource: RESOURCE,
        direction: 'in',
        storage: STORAGE,
        files: [
          {
            source: join(archive, 'dataset.csv'),
            destination: `${runDir}/inputs/dataset.csv`,
            bytes: text.length,
            sha256: sha256(text),
            content: text,
          },
        ],
        totalBytes: text.length,
      });

      const back = await stage(
        {
          direction: 'out',
          storage: STORAGE,
          files: [{ source: 'inputs/dataset.csv', destination: `${archive}/results/` }],
        },
        experimentId,
      );
      expect(back.outputs).toMatchObject({
        storage: STORAGE,
        files: [{ destination: join(archive, 'results', 'dataset.csv'), sha256: sha256(text) }],
      });
      expect(readFileSync(join(archive, 'results', 'dataset.csv'), 'utf8')).toBe(text);
    } finally {
      rmSync(archive, { recursive: true, force: true });
    }
  });

  it('fails an unknown storage resource with RESOURCE_UNKNOWN before copying anything', async () => {
    const experimentId = harness.newExperiment('nostorage');
    const error = await rejectionOf(
      stage(
        {
          direction: 'in',
          storage: 'nowhere',
          files: [{ source: join(local, 'result.csv'), destination: 'inputs/' }],
        },
        experimentId,
      ),
    );
    expect(error).toBeInstanceOf(TaskFailure);
    expect(error).toMatchObject({ code: 'RESOURCE_UNKNOWN', retryable: false });
  });
});
