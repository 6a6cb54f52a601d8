import { createLogger } from '@wlm/commons/logging';
import type { Logger } from '@wlm/commons/logging';

/**
 * A logger for the code a test runs, scoped to `component`: silent unless `WLM_TEST_LOG_LEVEL` asks
 * for more (e.g. `debug`), so a passing run prints nothing and a failing one can be rerun verbosely.
 */
export function createTestLogger(component: string): Logger {
  return createLogger({
    component,
    level: (process.env['WLM_TEST_LOG_LEVEL'] as 'debug' | undefined) ?? 'silent',
    pretty: false,
  });
}
