import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { globMatcher, remoteGlobCommand, sourcePattern, sourcePatternIssue } from '../../src/source-pattern';

describe('source patterns', () => {
  it('splits a source into its directory and last component', () => {
    expect(sourcePattern('/data/*.csv')).toEqual({ dir: '/data', name: '*.csv', glob: true });
    expect(sourcePattern('/a.csv')).toEqual({ dir: '/', name: 'a.csv', glob: false });
    expect(sourcePattern('a.csv')).toEqual({ dir: '', name: 'a.csv', glob: false });
    expect(sourcePattern('out/run_?.log')).toEqual({ dir: 'out', name: 'run_?.log', glob: true });
  });

  it('accepts literal names and plain globs', () => {
    for (const ok of ['/d/a b$c.txt', 'outputs/*.csv', 'r_[0-9][0-9].dat', '.hidden*', 'x-?.tar.gz']) {
      expect(sourcePatternIssue(ok)).toBeUndefined();
    }
  });

  it.each([
    ['/d/*.c;rm -rf ~', /may only use letters/],
    ['/d/a *.csv', /may only use letters/],
    ["/d/'*'", /may only use letters/],
    ['/d/[!a]*', /may only use letters/],
    ['/d*/x', /only the last path component/],
    ['/d/..', /names a directory/],
    ['out/', /names a directory/],
  ])('refuses %s', (source, message) => {
    expect(sourcePatternIssue(source)).toMatch(message);
  });

  it('matches file names like a POSIX shell', () => {
    const names = ['a.csv', 'b.csv', '.hidden.csv', 'a.csv.bak', 'run_1.log', 'run_12.log', ']x', '[x]'];
    const matching = (pattern: string): string[] => names.filter((name) => globMatcher(pattern).test(name));
    expect(matching('*.csv')).toEqual(['a.csv', 'b.csv']);
    expect(matching('.*')).toEqual(['.hidden.csv']);
    expect(matching('run_?.log')).toEqual(['run_1.log']);
    expect(matching('run_[0-9]*.log')).toEqual(['run_1.log', 'run_12.log']);
    expect(matching('[]]x')).toEqual([']x']);
    expect(matching('[x')).toEqual([]);
    expect(matching('[a-b].csv')).toEqual(['a.csv', 'b.csv']);
  });

  describe('agrees with the shell that expands remote globs', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), "wlm glob's "));
      for (const name of ['a.csv', 'b.csv', '.h.csv', 'c.txt', 'run_1.log', 'run_12.log', '[x]', 'x']) {
        writeFileSync(join(dir, name), name);
      }
      mkdirSync(join(dir, 'd.csv'));
      symlinkSync(join(dir, 'a.csv'), join(dir, 'link.csv'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it.each(['*.csv', '.*', 'run_?.log', 'run_[0-9]*', '[x]', '*', 'nothing*'])('%s', (pattern) => {
      const shell = spawnSync('/bin/sh', ['-c', remoteGlobCommand(dir, pattern)], { encoding: 'utf8' });
      expect(shell.status).toBe(0);
      const expanded = shell.stdout
        .split('\0')
        .filter((path) => path !== '')
        .map((path) => path.slice(dir.length + 1))
        .sort();
      const names = ['a.csv', 'b.csv', '.h.csv', 'c.txt', 'run_1.log', 'run_12.log', '[x]', 'x', 'link.csv'];
      expect(names.filter((name) => globMatcher(pattern).test(name)).sort()).toEqual(expanded);
    });
  });

  it('refuses to build a remote command from an unchecked pattern', () => {
    expect(() => remoteGlobCommand('/d', '*; reboot')).toThrow(TypeError);
    expect(remoteGlobCommand("/it's", '*.csv')).toBe(
      `for f in '/it'\\''s'/*.csv; do if [ -f "$f" ]; then printf '%s\\0' "$f"; fi; done`,
    );
  });
});
