import type { MysqlStateStore, NewExperiment } from '@wlm/orchestrator';
import type { TestDatabase } from './test-database';

let sequence = 0;

/** A valid submission with distinct inputs each time; override what the test is about. */
export function newExperiment(overrides: Partial<NewExperiment> = {}): NewExperiment {
  sequence += 1;
  return {
    type: 'diamond',
    dagVersion: 1,
    priority: 5,
    inputs: { msg: `hello ${sequence}` },
    actor: 'api:test',
    ...overrides,
  };
}

/** Creates an experiment and moves it to RUNNING; returns its id. */
export async function runningExperiment(store: MysqlStateStore): Promise<string> {
  const { experiment } = await store.createExperiment(newExperiment());
  await store.transitionExperiment(experiment.id, ['PENDING'], 'RUNNING', { actor: 'engine' });
  return experiment.id;
}

/**
 * Makes the audit table disappear while `action` runs, so any write to it fails, and expects `action` to
 * fail that way: proves that what `action` wrote elsewhere in its transaction was rolled back.
 */
export async function withoutAuditTable(db: TestDatabase, action: () => Promise<unknown>): Promise<void> {
  await db.rows(`RENAME TABLE \`${db.name}\`.audit_events TO \`${db.name}\`.audit_events_away`);
  try {
    await expect(action()).rejects.toMatchObject({ code: 'ER_NO_SUCH_TABLE' });
  } finally {
    await db.rows(`RENAME TABLE \`${db.name}\`.audit_events_away TO \`${db.name}\`.audit_events`);
  }
}
