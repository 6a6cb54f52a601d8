/**
 * Jest globalSetup of the integration project: brings the local stack up, SLURM and Redis included (idempotent,
 * so a running stack costs a second) so that `npm test` works on a fresh machine right after `npm install`.
 * Plain JavaScript on purpose: it runs before any transform and uses the compiled @wlm/scripts.
 */
'use strict';

const { spawnSync } = require('node:child_process');
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const repoRoot = join(__dirname, '..', '..', '..');
const distIndex = join(repoRoot, 'scripts', 'dist', 'index.js');
const commonsDistIndex = join(repoRoot, 'commons', 'dist', 'index.js');

function buildIfMissing() {
  if (existsSync(distIndex) && existsSync(commonsDistIndex)) return;
  process.stderr.write('wlm stack: scripts/dist is missing, building (npx tsc --build)\n');
  const result = spawnSync('npx', ['tsc', '--build'], { cwd: repoRoot, stdio: 'inherit' });
  if (result.status !== 0 || !existsSync(distIndex)) {
    throw new Error('`npx tsc --build` failed; fix the build, then run the tests again');
  }
}

module.exports = async function ensureStack() {
  buildIfMissing();
  const { loadConfig } = require('@wlm/commons/config');
  const { stackUp, formatProgress } = require(distIndex);
  const started = Date.now();
  process.stderr.write('\nwlm stack: bringing the local stack up (first run: installs and downloads)\n');
  try {
    await stackUp({
      // Inside the try: a bad WLM_* variable is reported like any other reason the stack is not up.
      config: loadConfig(),
      cwd: repoRoot,
      // Integration tests submit SLURM jobs (stack-slurm.test.ts, the SSH + SLURM compute resource).
      withSlurm: true,
      // stack.test.ts lists every component up; stack-redis.test.ts reuses the Redis on redis.url.
      withRedis: true,
      onProgress: (event) => process.stderr.write(`wlm stack: ${formatProgress(event)}\n`),
    });
  } catch (error) {
    // The message names the component and its log; a stack trace of this file would only bury it.
    const failure = new Error(`the local stack is not up:\n${error.message}`);
    failure.stack = failure.message;
    throw failure;
  }
  process.stderr.write(`wlm stack: up (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
};
