import { HpcSystem } from '../support/hpc-system';
import { scrape, total } from '../support/prometheus-scrape';
import type { Sample } from '../support/prometheus-scrape';
import { eventually } from '@wlm/test-support';

/*
 * /metrics, /healthz and /readyz on every service, for real: an orchestrator, the `wlm scheduler`
 * and a `wlm worker` (each on a free metrics port), a two-task echo experiment whose second task
 * fails once and is retried, and a poison message. The counters each service reports must have
 * moved by exactly what ran.
 */

jest.setTimeout(180_000);

let system: HpcSystem;
let workerId: string;
const urls = { orchestrator: '', scheduler: '', worker: '' };

/** The metrics URL a CLI service printed in its start line. */
function printedMetricsUrl(output: string): string {
  const url = /metrics (http:\/\/\S+\/metrics)/.exec(output)?.[1];
  if (url === undefined) throw new Error(`no metrics URL in:\n${output}`);
  return url;
}

beforeAll(async () => {
  system = await HpcSystem.start({ workers: 0 });
  workerId = await system.addWorker({ tasks: 'echo' });
  const scheduler = system.cluster.schedulers[0];
  if (scheduler === undefined) throw new Error('the system has no scheduler');
  await scheduler.waitFor('its start line', (p) => p.stderr.includes('/metrics'), 30_000);
  urls.orchestrator = `${system.url}/metrics`;
  urls.scheduler = printedMetricsUrl(scheduler.stderr);
  urls.worker = printedMetricsUrl(system.cluster.worker(workerId).stdout);
});

afterAll(async () => {
  await system?.stop();
});

beforeEach(() => {
  expect.hasAssertions();
});

describe('service endpoints', () => {
  it.each(['orchestrator', 'scheduler', 'worker'] as const)(
    'the %s answers /healthz and /readyz (naming its dependencies) without a token',
    async (service) => {
      const base = urls[service].replace(/\/metrics$/, '');
      const healthz = await fetch(`${base}/healthz`);
      expect([healthz.status, await healthz.json()]).toEqual([
        200,
        expect.objectContaining({ status: 'ok' }),
      ]);
      const readyz = await fetch(`${base}/readyz`);
      const body = (await readyz.json()) as Record<string, unknown>;
      expect([readyz.status, body['status'], body['down']]).toEqual([200, 'ok', []]);
      expect(Object.keys(body['checks'] as object).sort()).toEqual(
        service === 'orchestrator' ? ['mysql', 'neo4j', 'rabbitmq'] : ['rabbitmq', 'serf'],
      );
    },
  );
});

describe('/metrics after an experiment ran', () => {
  let before: Record<keyof typeof urls, Sample[]>;
  let after: Record<keyof typeof urls, Sample[]>;
  const moved = (service: keyof typeof urls, name: string, labels: Record<string, string> = {}): number =>
    total(after[service], name, labels) - total(before[service], name, labels);

  beforeAll(async () => {
    const scrapeAll = async (): Promise<Record<keyof typeof urls, Sample[]>> => ({
      orchestrator: await scrape(urls.orchestrator),
      scheduler: await scrape(urls.scheduler),
      worker: await scrape(urls.worker),
    });
    before = await scrapeAll();
    const type = system.type('metrics');
    await system.putDag({
      type,
      tasks: [
        { id: 'first', type: 'echo', params: { n: 1 } },
        {
          id: 'second',
          type: 'echo',
          after: ['first'],
          params: { n: 2, failTimes: 1 },
          retry: { maxAttempts: 2, backoffMs: 100 },
        },
      ],
    });
    const done = await system.ended(await system.submit(type, {}));
    expect(done.state).toBe('COMPLETED');
    // The last event reaches each service's counters a moment after the experiment shows COMPLETED.
    after = await eventually(
      'the worker and scheduler to count every run',
      scrapeAll,
      (samples) =>
        total(samples.worker, 'wlm_worker_finished_tasks_total', { outcome: 'completed' }) -
          total(before.worker, 'wlm_worker_finished_tasks_total', { outcome: 'completed' }) >=
        2,
      10_000,
    );
  });

  it('the orchestrator counts its dispatches and the events it applied, and reads experiments by state from MySQL', () => {
    expect(moved('orchestrator', 'wlm_orchestrator_dispatched_tasks_total', { task_type: 'echo' })).toBe(2);
    expect(moved('orchestrator', 'wlm_orchestrator_task_events_total', { state: 'COMPLETED' })).toBe(2);
    expect(moved('orchestrator', 'wlm_orchestrator_task_events_total', { state: 'FAILED' })).toBe(1);
    expect(total(after.orchestrator, 'wlm_orchestrator_experiments', { state: 'COMPLETED' })).toBe(1);
    expect(total(after.orchestrator, 'wlm_orchestrator_experiments', { state: 'RUNNING' })).toBe(0);
    expect(total(after.orchestrator, 'wlm_orchestrator_leader')).toBe(1);
  });

  it('the scheduler counts placements with their latency, the retry, and the live worker by type', () => {
    expect(moved('scheduler', 'wlm_scheduler_placed_tasks_total', { task_type: 'echo' })).toBe(3);
    expect(moved('scheduler', 'wlm_scheduler_retried_tasks_total', { task_type: 'echo' })).toBe(1);
    expect(moved('scheduler', 'wlm_scheduler_placement_latency_seconds_count', { task_type: 'echo' })).toBe(
      3,
    );
    expect(total(after.scheduler, 'wlm_scheduler_live_workers', { task_type: 'echo' })).toBe(1);
  });

  it('the worker counts runs by outcome, the failure by code, and their run and end-to-end latencies', () => {
    expect(moved('worker', 'wlm_worker_started_tasks_total', { task_type: 'echo' })).toBe(3);
    expect(
      moved('worker', 'wlm_worker_finished_tasks_total', { task_type: 'echo', outcome: 'completed' }),
    ).toBe(2);
    expect(moved('worker', 'wlm_worker_finished_tasks_total', { task_type: 'echo', outcome: 'failed' })).toBe(
      1,
    );
    expect(
      moved('worker', 'wlm_worker_failed_tasks_total', {
        task_type: 'echo',
        error_code: 'ECHO_INJECTED_FAILURE',
        retryable: 'true',
      }),
    ).toBe(1);
    expect(moved('worker', 'wlm_worker_task_run_seconds_count', { outcome: 'completed' })).toBe(2);
    expect(moved('worker', 'wlm_worker_task_latency_seconds_count', { outcome: 'completed' })).toBe(2);
    expect(total(after.worker, 'wlm_worker_slots')).toBe(2);
    expect(total(after.worker, 'wlm_worker_busy_slots')).toBe(0);
  });
});

describe('the broker side', () => {
  // Read until it holds: a scrape while the broker is slow or reconnecting leaves the depths out.
  it('each service says its connection is up, and the scheduler reads the depth of each type queue', async () => {
    for (const service of ['orchestrator', 'scheduler', 'worker'] as const) {
      const connected = await eventually(
        `the ${service} to report its connection up`,
        async () => total(await scrape(urls[service]), `wlm_${service}_broker_connected`),
        (value) => value === 1,
        15_000,
      );
      expect(connected).toBe(1);
    }
    const echoQueue = { queue: system.cluster.topology.requestQueue('echo') };
    const consumers = await eventually(
      'the scheduler to report the consumers of the echo queue',
      async () => total(await scrape(urls.scheduler), 'wlm_scheduler_queue_consumers', echoQueue),
      (count) => count > 0,
      15_000,
    );
    expect(consumers).toBe(1);
  });

  it('the scheduler counts a poison request it dead-lettered, and the orchestrator sees it in the dead-letter queue', async () => {
    const deadLetters = system.cluster.topology.queues.deadLetter;
    const code = { code: 'MESSAGE_INVALID' };
    const before = total(await scrape(urls.scheduler), 'wlm_scheduler_dead_lettered_messages_total', code);
    await system.cluster.broker.publishRaw(
      system.cluster.topology.queues.schedulerRequests,
      Buffer.from('{"v":'),
    );
    const counted = await eventually(
      'the scheduler to count the dead letter',
      async () => total(await scrape(urls.scheduler), 'wlm_scheduler_dead_lettered_messages_total', code),
      (count) => count > before,
      15_000,
    );
    expect(counted - before).toBe(1);
    const depth = await eventually(
      'the orchestrator to report the dead-letter queue',
      async () =>
        total(await scrape(urls.orchestrator), 'wlm_orchestrator_queue_messages', { queue: deadLetters }),
      (messages) => messages > 0,
      15_000,
    );
    expect(depth).toBe(1);
  });
});
