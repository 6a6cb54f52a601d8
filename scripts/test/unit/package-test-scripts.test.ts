import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/*
 * `npm run test:packages` (`lerna run test`) runs each workspace package's own `test` script. Each
 * must select its package's unit tests and nothing else, so that together they run every unit test
 * of the repository exactly once.
 */

const root = join(__dirname, '..', '..', '..');
const readJson = (file: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(root, file), 'utf8')) as Record<string, unknown>;

/** Workspace folders, the `tasks/*` glob expanded. */
function workspaceFolders(): string[] {
  const globs = readJson('package.json')['workspaces'] as string[];
  const tracked = execFileSync('git', ['ls-files', '*/package.json', '*/*/package.json'], {
    cwd: root,
    encoding: 'utf8',
  })
    .split('\n')
    .filter(Boolean)
    .map((file) => file.slice(0, -'/package.json'.length));
  return tracked.filter((folder) =>
    globs.some((glob) => (glob.endsWith('/*') ? folder.startsWith(glob.slice(0, -1)) : folder === glob)),
  );
}

/** The test path a package's `test` script selects, e.g. `/scheduler/test/`. */
function selectedPath(folder: string): string | undefined {
  const script = (readJson(`${folder}/package.json`)['scripts'] as Record<string, string> | undefined)?.[
    'test'
  ];
  return script?.match(/ -- (\S+)$/)?.[1];
}

describe('package test scripts', () => {
  it('together select every unit test exactly once, each its own package', () => {
    const paths = new Map(workspaceFolders().map((folder) => [folder, selectedPath(folder)]));
    const unitTests = execFileSync('git', ['ls-files', '*/test/unit/*.test.ts', '*/test/unit/**/*.test.ts'], {
      cwd: root,
      encoding: 'utf8',
    })
      .split('\n')
      .filter(Boolean);
    expect(unitTests.length).toBeGreaterThan(100);
    for (const test of unitTests) {
      const selectedBy = [...paths]
        .filter(([, path]) => path !== undefined && `/${test}`.includes(path))
        .map(([folder]) => folder);
      expect({ test, selectedBy }).toEqual({ test, selectedBy: [expect.stringMatching(/./)] });
      expect(`/${test}`.startsWith(`/${selectedBy[0]}/`)).toBe(true);
    }
  });
});
