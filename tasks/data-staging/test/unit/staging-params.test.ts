import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDagDefinition, renderParams } from '@wlm/commons/dag';
import { dataStagingParamsSchema, plugin } from '@wlm/task-data-staging';

function issuesOf(params: unknown): string[] {
  const result = dataStagingParamsSchema.safeParse(params);
  expect(result.success).toBe(false);
  return result.success
    ? []
    : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

const base = { resource: 'hpc', direction: 'in' } as const;

describe('data-staging params', () => {
  it('defaults inlineContentBytes to 0', () => {
    const params = { ...base, files: [{ source: '/data/a.csv', destination: 'inputs/' }] };
    expect(plugin.inputSchema.parse(params)).toEqual({ ...params, inlineContentBytes: 0 });
  });

  it('takes globs with a directory destination, in both directions', () => {
    expect(() =>
      dataStagingParamsSchema.parse({
        ...base,
        files: [{ source: '/data/run_[0-9]*.csv', destination: '/x/' }],
      }),
    ).not.toThrow();
    expect(() =>
      dataStagingParamsSchema.parse({
        ...base,
        direction: 'out',
        files: [{ source: 'outputs/*.csv', destination: '/results/' }],
        inlineContentBytes: 65536,
      }),
    ).not.toThrow();
  });

  it('wants at least one file, a known direction and a bounded inlineContentBytes', () => {
    expect(issuesOf({ ...base, files: [] })).toEqual(['files: list at least one file to stage']);
    expect(issuesOf({ ...base, direction: 'up', files: [{ source: '/a', destination: 'b' }] })).toEqual([
      expect.stringMatching(/^direction: /),
    ]);
    expect(
      issuesOf({ ...base, files: [{ source: '/a', destination: 'b' }], inlineContentBytes: 65537 }),
    ).toEqual([expect.stringMatching(/^inlineContentBytes: .*65536/)]);
  });

  it('wants absolute paths on the worker: the source going in, the destination coming out', () => {
    expect(issuesOf({ ...base, files: [{ source: 'data/a.csv', destination: 'inputs/' }] })).toEqual([
      expect.stringMatching(/^files\.0\.source: "data\/a\.csv" is on the worker and must be absolute/),
    ]);
    expect(
      issuesOf({ ...base, direction: 'out', files: [{ source: 'outputs/a.csv', destination: 'results/' }] }),
    ).toEqual([
      expect.stringMatching(/^files\.0\.destination: "results\/" is on the worker and must be absolute/),
    ]);
    expect(
      issuesOf({ ...base, storage: 'archive', files: [{ source: 'a.csv', destination: 'inputs/' }] }),
    ).toEqual([
      expect.stringMatching(
        /^files\.0\.source: "a\.csv" is on storage resource "archive" and must be absolute/,
      ),
    ]);
  });

  it('wants a directory destination for a glob', () => {
    expect(issuesOf({ ...base, files: [{ source: '/data/*.csv', destination: 'inputs/all.csv' }] })).toEqual([
      'files.0.destination: the glob "/data/*.csv" may match several files: its destination must be a directory ending with "/"',
    ]);
  });

  it('refuses globs the resource shell could misread, globs in directories and directory sources', () => {
    expect(issuesOf({ ...base, files: [{ source: '/data/$(reboot)*', destination: 'in/' }] })).toEqual([
      expect.stringMatching(/^files\.0\.source: the glob "\$\(reboot\)\*" may only use letters, digits/),
    ]);
    expect(issuesOf({ ...base, files: [{ source: '/data/*/a.csv', destination: 'in/' }] })).toEqual([
      expect.stringMatching(/^files\.0\.source: .* only the last path component may be a glob/),
    ]);
    expect(issuesOf({ ...base, files: [{ source: '/data/', destination: 'in/' }] })).toEqual([
      'files.0.source: "/data/" names a directory; stage its files with a glob such as "/data/*"',
    ]);
    expect(issuesOf({ ...base, files: [{ source: '/data/[z-a].csv', destination: 'in/' }] })).toEqual([
      expect.stringMatching(/invalid character range/),
    ]);
  });

  it('takes literal names with any character, and refuses NUL', () => {
    expect(() =>
      dataStagingParamsSchema.parse({
        ...base,
        files: [{ source: "/data/it's a $file.csv", destination: 'x y' }],
      }),
    ).not.toThrow();
    expect(issuesOf({ ...base, files: [{ source: '/data/a\0b', destination: 'x' }] })).toEqual([
      'files.0.source: a path cannot contain a NUL character',
    ]);
  });

  it('refuses unknown keys', () => {
    expect(issuesOf({ ...base, files: [{ source: '/a', destination: 'b', mode: 1 }] })).toEqual([
      expect.stringMatching(/^files\.0: .*mode/),
    ]);
  });
});

describe("the input-shape tests' ssh-checked transfer", () => {
  it('renders, with the inputs its tests use, to params data-staging accepts', () => {
    const text = readFileSync(
      join(
        __dirname,
        '..',
        '..',
        '..',
        '..',
        'scripts',
        'test',
        'fixtures',
        'dags',
        'transfer-verified-over-ssh.yaml',
      ),
      'utf8',
    );
    const transfer = parseDagDefinition(text).tasks.find((task) => task.type === 'data-staging');
    const inputs = {
      from: 'archive',
      to: 'hpc',
      source: '/archive/wlm/input.csv',
      target: '/scratch/alice/wlm/shared/input.csv',
    };
    const params = renderParams(transfer?.params ?? {}, { inputs });
    expect(dataStagingParamsSchema.safeParse(params).error?.issues ?? []).toEqual([]);
  });
});
