/**
 * Jest reporter that ends every run with the one line CI reads: `N passed, N failed[, N skipped]`.
 * A suite that fails to load counts as a failure, so a broken file can never pass silently.
 * The line also goes to `.wlm/test-summary.txt` so `.ci/run` can print it last.
 */
const { mkdirSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

class SummaryReporter {
  constructor(globalConfig) {
    this.rootDir = globalConfig.rootDir;
  }

  onRunComplete(_contexts, results) {
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const skipped = results.numPendingTests + results.numTodoTests;
    const line = `${results.numPassedTests} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`;
    const dir = join(this.rootDir, '.wlm');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'test-summary.txt'), `${line}\n`);
    process.stdout.write(`${line}\n`);
  }
}

module.exports = SummaryReporter;
