import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { registerAmqpMetrics } from '@wlm/commons/metrics';
import type { AmqpConnection, WlmTopology } from '@wlm/commons/amqp';
import type { Logger } from '@wlm/commons/logging';
import type { StateStore } from '../domain/state-store';
import type { EngineEventEmitter } from '../engine/engine-events';

/** What the orchestrator's metrics read. */
export interface OrchestratorMetricsSource {
  isLeader(): boolean;
  states: Pick<StateStore, 'countExperimentsByState'>;
  events: EngineEventEmitter;
  amqp: AmqpConnection;
  topology: WlmTopology;
  logger: Logger;
}

/**
 * Prometheus metrics of one orchestrator instance, served on its API port at `/metrics`. Experiment
 * counts are read from MySQL at scrape time (the same for every instance: one owner, the store);
 * dispatches and applied task events are counted by the instance that did them, so sum them over
 * instances.
 */
export function createOrchestratorMetrics(source: OrchestratorMetricsSource): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'wlm_orchestrator_' });
  new Gauge({
    name: 'wlm_orchestrator_leader',
    help: 'Whether this instance leads (1): it consumes task events and recovers experiments',
    registers: [registry],
    collect() {
      this.set(source.isLeader() ? 1 : 0);
    },
  });
  new Gauge({
    name: 'wlm_orchestrator_experiments',
    help: 'Experiments in each state, as MySQL holds them (absent while MySQL does not answer)',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      this.reset();
      try {
        const counts = await source.states.countExperimentsByState();
        for (const [state, count] of Object.entries(counts)) this.set({ state }, count);
      } catch (error) {
        source.logger.debug({ err: error }, 'metrics: experiments by state not read');
      }
    },
  });
  const dispatched = new Counter({
    name: 'wlm_orchestrator_dispatched_tasks_total',
    help: 'Task requests (attempts and rounds) this instance handed to the scheduler, by task type',
    labelNames: ['task_type'],
    registers: [registry],
  });
  source.events.on('tasks:dispatched', (requests) => {
    for (const request of requests) dispatched.inc({ task_type: request.taskType });
  });
  const applied = new Counter({
    name: 'wlm_orchestrator_task_events_total',
    help: 'Task events this instance applied while leading, by state (QUEUED, RUNNING, COMPLETED, FAILED, CANCELLED)',
    labelNames: ['state'],
    registers: [registry],
  });
  source.events.on('events:applied', (events) => {
    for (const event of events) applied.inc({ state: event.state });
  });
  const { queues } = source.topology;
  registerAmqpMetrics(registry, 'orchestrator', source.amqp, () => [
    queues.orchestratorEvents,
    queues.schedulerRequests,
    queues.deadLetter,
  ]);
  return registry;
}
