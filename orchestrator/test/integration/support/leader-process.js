/**
 * A candidate in a process of its own, so a test can SIGKILL a real leader. Loads the TypeScript
 * sources (through `@wlm/test-support/typescript-sources`), prints `elected <term>` when it leads.
 * Usage: node leader-process.js <mysql-url> <candidate-id> [session-timeout-seconds]
 */
require('@wlm/test-support/typescript-sources');

const { createLogger } = require('@wlm/commons/logging');
const { LeaderElection } = require('@wlm/orchestrator');

const [url, candidateId, sessionTimeout] = process.argv.slice(2);
const logger = createLogger({ component: 'child', level: 'silent', pretty: false });
const timing = sessionTimeout
  ? { sessionTimeoutSeconds: Number(sessionTimeout), heartbeatMs: 500, heartbeatTimeoutMs: 1000 }
  : {};
const election = new LeaderElection({ url, candidateId, logger, ...timing });
election.on('elected', ({ term }) => process.stdout.write(`elected ${term}\n`));
void election.campaign();
