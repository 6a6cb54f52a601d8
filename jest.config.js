/**
 * Three projects: `unit` (pure logic, no servers), `integration` (real servers from `wlm stack`) and
 * `faults` (real processes killed under load, counting what ran).
 * Workspace packages resolve to their TypeScript sources so tests never run stale builds.
 */
const transform = { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] };
const moduleNameMapper = {
  // The entries of commons (its package.json `exports`): the plugin SDK and host are modules, every
  // other entry is the index of the folder of its name.
  '^@wlm/commons/plugin$': '<rootDir>/commons/src/plugin-sdk.ts',
  '^@wlm/commons/plugin-host$': '<rootDir>/commons/src/plugin-host.ts',
  '^@wlm/commons/([a-z-]+)$': '<rootDir>/commons/src/$1/index.ts',
  '^@wlm/scripts$': '<rootDir>/scripts/src/index.ts',
  '^@wlm/test-support$': '<rootDir>/scripts/test-support/src/index.ts',
  '^@wlm/orchestrator$': '<rootDir>/orchestrator/src/index.ts',
  '^@wlm/scheduler$': '<rootDir>/scheduler/src/index.ts',
  '^@wlm/workers$': '<rootDir>/workers/src/index.ts',
  '^@wlm/task-(.*)$': '<rootDir>/tasks/$1/src/index.ts',
};
const shared = {
  transform,
  moduleNameMapper,
  testEnvironment: 'node',
  rootDir: __dirname,
  setupFiles: ['<rootDir>/scripts/test-support/jest/metrics-ports.js'],
};

module.exports = {
  // testTimeout is a global option: jest ignores it inside a project.
  testTimeout: 120000,
  reporters: ['default', '<rootDir>/scripts/test-support/jest/summary-reporter.js'],
  projects: [
    {
      ...shared,
      displayName: 'unit',
      testMatch: ['<rootDir>/**/test/unit/**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', '/dist/'],
    },
    {
      ...shared,
      displayName: 'integration',
      testMatch: ['<rootDir>/**/test/integration/**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', '/dist/'],
      globalSetup: '<rootDir>/scripts/test/support/ensure-stack.js',
    },
    {
      // Fault injection (docs/reliability.md): real processes killed; once each in `npm test`,
      // WLM_FAULT_REPEAT times with `npm run test:faults`.
      ...shared,
      displayName: 'faults',
      testMatch: ['<rootDir>/**/test/faults/**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', '/dist/'],
      globalSetup: '<rootDir>/scripts/test/support/ensure-stack.js',
    },
  ],
};
