import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const REPO = join(__dirname, '..', '..', '..');
const LERNA = join(REPO, 'node_modules', 'lerna', 'dist', 'cli.js');

interface PackageJson {
  name: string;
  version: string;
  private?: boolean;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

function read<T>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

/** The workspace folders, as the root package.json lists them (`tasks/*` expanded by lerna). */
function workspaceManifests(root: string): string[] {
  const listed = execFileSync(process.execPath, [LERNA, 'list', '--all', '--json', '--loglevel', 'silent'], {
    cwd: root,
    encoding: 'utf8',
  });
  return (JSON.parse(listed) as { location: string }[]).map((entry) => join(entry.location, 'package.json'));
}

describe('npm run release (lerna version, fixed mode)', () => {
  let clone: string;

  beforeAll(() => {
    clone = mkdtempSync(join(tmpdir(), 'wlm-release-'));
    // A clone of the committed tree: the version bump rewrites files this checkout must keep.
    execFileSync('git', ['clone', '--quiet', '--no-hardlinks', REPO, clone]);
  });

  afterAll(() => rmSync(clone, { recursive: true, force: true }));

  it('moves every package, and every dependency between them, to the same version', () => {
    const before = workspaceManifests(clone);
    expect(before.length).toBeGreaterThanOrEqual(11);
    execFileSync(
      process.execPath,
      [
        LERNA,
        'version',
        '9.8.7',
        '--exact',
        '--yes',
        '--no-push',
        '--no-git-tag-version',
        '--loglevel',
        'warn',
      ],
      { cwd: clone, stdio: 'pipe' },
    );
    for (const manifest of before) {
      const pkg = read<PackageJson>(manifest);
      expect({ name: pkg.name, version: pkg.version }).toEqual({ name: pkg.name, version: '9.8.7' });
      const internal = Object.entries({ ...pkg.dependencies, ...pkg.devDependencies }).filter(([dep]) =>
        dep.startsWith('@wlm/'),
      );
      for (const [dep, range] of internal)
        expect(`${pkg.name} → ${dep}@${range}`).toBe(`${pkg.name} → ${dep}@9.8.7`);
    }
    const lock = read<{ packages: Record<string, { name?: string; version?: string }> }>(
      join(clone, 'package-lock.json'),
    );
    const workspaces = Object.values(lock.packages).filter((entry) => entry.name?.startsWith('@wlm/'));
    expect(workspaces.length).toBe(before.length);
    for (const entry of workspaces) expect(entry.version).toBe('9.8.7');
    expect(read<{ version: string }>(join(clone, 'lerna.json')).version).toBe('9.8.7');
  });
});
