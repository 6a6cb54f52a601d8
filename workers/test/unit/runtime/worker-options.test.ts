import pino from 'pino';
import { ConfigError } from '@wlm/commons/errors';
import { compileWorkerOptions } from '@wlm/workers';
import type { WorkerOptions } from '@wlm/workers';

const valid: WorkerOptions = {
  workerId: 'w1',
  plugins: ['@wlm/task-echo'],
  slots: 4,
  amqpUrl: 'amqp://127.0.0.1',
  serf: { mode: 'own-agent', join: ['127.0.0.1:7946'] },
  logger: pino({ level: 'silent' }),
};

function problem(options: Partial<WorkerOptions>): ConfigError {
  try {
    compileWorkerOptions({ ...valid, ...options });
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('compileWorkerOptions', () => {
  it('fills in the defaults', () => {
    const compiled = compileWorkerOptions(valid);
    expect(compiled).toMatchObject({ workerId: 'w1', slots: 4, labels: {}, drainTimeoutMs: 30_000 });
    expect(compiled.topology.workerQueue('w1')).toBe('wlm.worker.w1');
  });

  it('names the option that is wrong', () => {
    expect(problem({ workerId: 'no spaces' }).key).toBe('name');
    expect(problem({ slots: 0 }).message).toMatch(/slots must be a whole number from 1/);
    expect(problem({ slots: 2.5 }).key).toBe('slots');
    expect(problem({ plugins: [] }).key).toBe('tasks');
    expect(problem({ namespace: 'a.b' }).key).toBe('namespace');
    expect(problem({ serf: { mode: 'own-agent', join: ['nohost'] } }).message).toMatch(/not host:port/);
  });

  it('explains a bad label by name', () => {
    const error = problem({ labels: { 'bad name': 'x', ok: 'a,b' } });
    expect(error.key).toBe('labels');
    expect(error.message).toContain('label "bad name": label names hold letters');
    expect(error.message).toContain('label "ok": label values cannot contain "=" or ","');
  });
});
