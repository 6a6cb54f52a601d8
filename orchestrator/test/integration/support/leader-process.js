/**
 * A candidate in a process of its own, so a test can SIGKILL a real leader. Loads the TypeScript
 * sources directly (transpiled by @swc/core, as jest does), prints `elected <term>` when it leads.
 * Usage: node leader-process.js <mysql-url> <candidate-id> [session-timeout-seconds]
 */
const Module = require('node:module');
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { transformSync } = require('@swc/core');

const root = join(__dirname, '..', '..', '..', '..');
const packages = {
  '@wlm/commons': join(root, 'commons', 'src', 'index.ts'),
  '@wlm/orchestrator': join(root, 'orchestrator', 'src', 'index.ts'),
};
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return resolve.call(this, packages[request] ?? request, ...rest);
};
Module._extensions['.ts'] = (module, filename) => {
  const { code } = transformSync(readFileSync(filename, 'utf8'), {
    filename,
    jsc: { target: 'es2022', parser: { syntax: 'typescript' } },
    module: { type: 'commonjs' },
  });
  module._compile(code, filename);
};

const { createLogger } = require('@wlm/commons');
const { LeaderElection } = require('@wlm/orchestrator');

const [url, candidateId, sessionTimeout] = process.argv.slice(2);
const logger = createLogger({ component: 'child', level: 'silent', pretty: false });
const timing = sessionTimeout
  ? { sessionTimeoutSeconds: Number(sessionTimeout), heartbeatMs: 500, heartbeatTimeoutMs: 1000 }
  : {};
const election = new LeaderElection({ url, candidateId, logger, ...timing });
election.on('elected', ({ term }) => process.stdout.write(`elected ${term}\n`));
void election.campaign();
