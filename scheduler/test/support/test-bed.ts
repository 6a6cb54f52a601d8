import type { WlmTopology } from '@wlm/commons/amqp';
import type { SchedulerService, SchedulerServiceOptions } from '@wlm/scheduler';
import { SerfAgents } from '@wlm/test-support';
import type { SerfAgent } from '@wlm/test-support';
import { FakeWorker } from './fake-worker';
import type { FakeWorkerOptions } from './fake-worker';
import { BrokerProbe, isolatedTopology, startScheduler } from './harness';

/**
 * One test file's world: a namespace of its own and the Serf agents, schedulers and fake workers the
 * file starts in it, with the probe it reads the broker through. {@link stop}, the file's `afterAll`,
 * stops all of it — even what a failed test left running — and deletes the namespace's queues.
 *
 * @example
 * const bed = new SchedulerTestBed();
 * afterAll(() => bed.stop());
 * const agent = await bed.agents.start({ name: `${bed.topology.namespace}-sched` });
 * const scheduler = await bed.startScheduler(agent);
 * const probe = await bed.openProbe();
 */
export class SchedulerTestBed {
  readonly topology: WlmTopology = isolatedTopology();
  readonly agents = new SerfAgents();
  readonly schedulers: SchedulerService[] = [];
  readonly workers: FakeWorker[] = [];
  private probe: BrokerProbe | undefined;

  /** A scheduler on this namespace talking to `agent`. */
  async startScheduler(
    agent: SerfAgent,
    overrides?: Partial<SchedulerServiceOptions>,
  ): Promise<SchedulerService> {
    const scheduler = await startScheduler(this.topology, agent.rpcAddr, overrides);
    this.schedulers.push(scheduler);
    return scheduler;
  }

  /** A fake worker on this namespace with an agent of its own that joins `options.join`. */
  async startWorker(options: Omit<FakeWorkerOptions, 'topology' | 'agents'>): Promise<FakeWorker> {
    const worker = await FakeWorker.start({ ...options, topology: this.topology, agents: this.agents });
    this.workers.push(worker);
    return worker;
  }

  /** The probe; open it once a scheduler has declared the queues it reads. */
  async openProbe(): Promise<BrokerProbe> {
    this.probe = await BrokerProbe.open(this.topology);
    return this.probe;
  }

  /**
   * Workers first (their leave reaches the schedulers still running), then schedulers and agents;
   * last the namespace's queues, those of the workers and of `workerIds` started elsewhere included.
   */
  async stop(workerIds: readonly string[] = []): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.stop()));
    await Promise.all(this.schedulers.map((scheduler) => scheduler.close()));
    await this.agents.stopAll();
    await this.probe?.cleanUp([...this.workers.map((worker) => worker.id), ...workerIds]);
  }
}
