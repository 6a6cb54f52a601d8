/**
 * @wlm/test-support — the harness pieces more than one wlm package uses in its tests and benchmarks.
 * It depends on `@wlm/commons` only; harnesses that run orchestrators, schedulers or workers stay
 * with the tests that need them (`scripts/test/support`).
 *
 * @example
 * import { SerfAgents, waitFor } from '@wlm/test-support';
 *
 * const agents = new SerfAgents();
 * afterAll(() => agents.stopAll());
 * const seed = await agents.start({ name: 'seed' });
 * await waitFor('the seed to answer', () => seed.running);
 *
 * Jest loads two plain-JavaScript modules of this package before any transform: `jest/metrics-ports.js`
 * (setup file) and `jest/summary-reporter.js` (reporter). A test's child script requires
 * `@wlm/test-support/typescript-sources` to load wlm's TypeScript sources.
 */
export { SerfAgent, SerfAgents, installationKeys } from './serf-agent';
export type { SerfAgentOptions } from './serf-agent';
export { aliveMemberNames, aliveMembersOf } from './serf-members';
export { eventually, waitFor } from './wait';
export { AMQP_URL, forceCloseConnections, queuesNamed } from './amqp-broker';
export { createTestLogger } from './test-logger';
export { testNamespace } from './test-namespace';
export { ChildScript, ChildScripts } from './child-script';
export { taskRequest } from './task-request';
export type { ChildExit } from './child-script';
