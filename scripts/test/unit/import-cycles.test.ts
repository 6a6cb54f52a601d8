import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

/*
 * No module of the repository imports itself through others, type-only imports included: lint's
 * import/no-cycle skips `import type`, which let the config schema and the compute resources import
 * each other unseen. Packages import each other through their entries, which tsc's project
 * references already keep acyclic, so the relative imports within each package are what is checked.
 */

const REPO = join(__dirname, '..', '..', '..');
const SOURCE_DIRS = ['commons', 'orchestrator', 'scheduler', 'workers', 'scripts']
  .map((name) => join(REPO, name, 'src'))
  .concat(readdirSync(join(REPO, 'tasks')).map((name) => join(REPO, 'tasks', name, 'src')))
  .filter((dir) => existsSync(dir));

const RELATIVE_IMPORT = /(?:import|export)\s[^'";]*?from\s+'(\.[^']+)'/g;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

function importsOf(file: string): string[] {
  return [...readFileSync(file, 'utf8').matchAll(RELATIVE_IMPORT)].flatMap(([, specifier]) => {
    const base = join(dirname(file), specifier ?? '');
    const target = [`${base}.ts`, join(base, 'index.ts')].find((candidate) => existsSync(candidate));
    return target === undefined ? [] : [target];
  });
}

/** One import cycle reachable from `start`, as the files around it, or undefined. */
function cycleFrom(start: string, graph: Map<string, string[]>, done: Set<string>): string[] | undefined {
  const path: string[] = [];
  const onPath = new Set<string>();
  const visit = (file: string): string[] | undefined => {
    if (onPath.has(file)) return [...path.slice(path.indexOf(file)), file];
    if (done.has(file)) return undefined;
    path.push(file);
    onPath.add(file);
    for (const next of graph.get(file) ?? []) {
      const cycle = visit(next);
      if (cycle !== undefined) return cycle;
    }
    path.pop();
    onPath.delete(file);
    done.add(file);
    return undefined;
  };
  return visit(start);
}

describe('import cycles', () => {
  it.each(SOURCE_DIRS.map((dir) => [relative(REPO, dir), dir]))('%s has none', (_name, dir) => {
    const graph = new Map(sourceFiles(dir).map((file) => [file, importsOf(file)]));
    expect(graph.size).toBeGreaterThan(0);
    const done = new Set<string>();
    for (const file of graph.keys()) {
      const cycle = cycleFrom(file, graph, done);
      expect(cycle?.map((member) => relative(REPO, member))).toBeUndefined();
    }
  });
});
