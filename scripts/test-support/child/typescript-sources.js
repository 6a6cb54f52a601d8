/**
 * Required first by a test's child script (a process a test kills for real): from then on the
 * script's `require('@wlm/<package>')` loads that package's TypeScript sources, transpiled by
 * @swc/core as jest does — never a stale build, and no build needed at all.
 * Plain JavaScript on purpose: it is what makes TypeScript loadable.
 *
 * @example
 * require('@wlm/test-support/typescript-sources');
 * const { LeaderElection } = require('@wlm/orchestrator');
 */
'use strict';

const Module = require('node:module');
const { existsSync, readFileSync } = require('node:fs');
const { join } = require('node:path');
const { transformSync } = require('@swc/core');

const repoRoot = join(__dirname, '..', '..', '..');

/**
 * `@wlm/<name>` → `<repo>/<name>/src/index.ts` (orchestrator, scheduler, workers), and an entry of
 * commons, `@wlm/commons/<entry>` → `<repo>/commons/src/<entry>/index.ts` (`plugin` and
 * `plugin-host` are modules of their own).
 */
function sourceEntry(request) {
  const commons = /^@wlm\/commons\/([a-z-]+)$/.exec(request);
  if (commons !== null) {
    const own = { plugin: 'plugin-sdk.ts', 'plugin-host': 'plugin-host.ts' }[commons[1]];
    const entry = join(repoRoot, 'commons', 'src', ...(own === undefined ? [commons[1], 'index.ts'] : [own]));
    return existsSync(entry) ? entry : undefined;
  }
  const match = /^@wlm\/([a-z-]+)$/.exec(request);
  if (match === null) return undefined;
  const entry = join(repoRoot, match[1], 'src', 'index.ts');
  return existsSync(entry) ? entry : undefined;
}

const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return resolve.call(this, sourceEntry(request) ?? request, ...rest);
};
Module._extensions['.ts'] = (module, filename) => {
  const { code } = transformSync(readFileSync(filename, 'utf8'), {
    filename,
    jsc: { target: 'es2022', parser: { syntax: 'typescript' } },
    module: { type: 'commonjs' },
  });
  module._compile(code, filename);
};
