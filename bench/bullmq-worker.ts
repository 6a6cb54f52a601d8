/**
 * One BullMQ worker process of the bench (bullmq-flows.ts starts several): no-op jobs at the given
 * concurrency, each job's start and end time kept for the overhead figures. A job carrying `spawn`
 * adds that flow before it returns — how a BullMQ user runs a fan-out after one job, since a flow
 * is a tree and cannot give one job several parents.
 *
 * argv: queue name, concurrency, Redis host, Redis port. IPC out: `{ kind: 'ready' }`, then
 * `{ kind: 'done', count }` as jobs finish; in: `{ kind: 'report' }` (answered with every job's
 * times) and `{ kind: 'stop' }`.
 */
import { FlowProducer, Worker } from 'bullmq';
import type { FlowJob, Job } from 'bullmq';

interface JobData {
  spawn?: FlowJob;
}

const [queueName = '', concurrencyText = '16', host = '127.0.0.1', portText = '6379'] = process.argv.slice(2);
const connection = { host, port: Number(portText), maxRetriesPerRequest: null };
const send = (message: unknown): void => void process.send?.(message);

/** name → [startedAt, endedAt]. */
const times: [string, number, number][] = [];
const flows = new FlowProducer({ connection });

async function processJob(job: Job<JobData>): Promise<void> {
  const startedAt = Date.now();
  if (job.data.spawn !== undefined) await flows.add(job.data.spawn);
  times.push([job.name, startedAt, Date.now()]);
}

const worker = new Worker<JobData>(queueName, processJob, {
  connection,
  concurrency: Number(concurrencyText),
});

// Counted in batches: a message per job would cost the worker more than the job.
let reported = 0;
const ticker = setInterval(() => {
  if (times.length !== reported) {
    reported = times.length;
    send({ kind: 'done', count: reported });
  }
}, 100);

let stopping: Promise<void> | undefined;
function stop(): Promise<void> {
  stopping ??= (async () => {
    clearInterval(ticker);
    await worker.close();
    await flows.close();
    if (process.connected) process.disconnect();
  })();
  return stopping;
}

process.on('message', (message: { kind?: string }) => {
  if (message.kind === 'report') send({ kind: 'report', times });
  else if (message.kind === 'stop') void stop();
});
// The bench died: nobody will ask this process to stop.
process.on('disconnect', () => void stop().finally(() => process.exit(0)));

void worker.waitUntilReady().then(() => send({ kind: 'ready' }));
