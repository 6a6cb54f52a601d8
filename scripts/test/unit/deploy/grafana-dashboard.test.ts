import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Histogram } from 'prom-client';
import type { Registry } from 'prom-client';
import { WlmTopology } from '@wlm/commons/amqp';
import { createLogger } from '@wlm/commons/logging';
import type { AmqpConnection } from '@wlm/commons/amqp';
import { createOrchestratorMetrics } from '@wlm/orchestrator';
import type { EngineEvents } from '@wlm/orchestrator';
import { createSchedulerMetrics } from '@wlm/scheduler';
import type { SchedulerServiceEvents, SchedulerStatus } from '@wlm/scheduler';
import type * as LezerPromql from '@prometheus-io/lezer-promql' with { 'resolution-mode': 'import' };

// lezer-promql ships a CommonJS build behind types that declare it ESM only: load that build, typed
// by them.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { parser } = require('@prometheus-io/lezer-promql') as typeof LezerPromql;
import { createWorkerMetrics } from '@wlm/workers';
import type { WorkerEvents } from '@wlm/workers';

const DASHBOARD = join(__dirname, '..', '..', '..', '..', 'deploy', 'grafana', 'wlm-dashboard.json');

interface Panel {
  title?: string;
  targets?: { expr?: string }[];
  panels?: Panel[];
}

/** Every query of the dashboard, with the title of its panel. */
function queries(panels: readonly Panel[]): { panel: string; expr: string }[] {
  return panels.flatMap((panel) => [
    ...(panel.targets ?? []).map((target) => ({ panel: panel.title ?? '?', expr: target.expr ?? '' })),
    ...queries(panel.panels ?? []),
  ]);
}

/** The metric names a PromQL expression selects; throws on a syntax error. Grafana's range variable is a duration. */
function selectedMetrics(expr: string): string[] {
  const text = expr.replaceAll('$__rate_interval', '5m');
  const names: string[] = [];
  const errors: number[] = [];
  parser.parse(text).iterate({
    enter(node) {
      if (node.type.isError) errors.push(node.from);
      if (node.name === 'Identifier' && node.node.parent?.name === 'VectorSelector') {
        names.push(text.slice(node.from, node.to));
      }
    },
  });
  if (errors.length > 0) throw new Error(`not PromQL at offset ${errors.join(', ')}: ${expr}`);
  return names;
}

/**
 * The names the services register, read off their registries without scraping: the broker and the
 * stores are never asked, so stand-ins that only take event listeners do.
 */
function registeredNames(): Set<string> {
  const topology = new WlmTopology('dashboard');
  const broker = Object.assign(new EventEmitter(), { state: 'connected' }) as unknown as AmqpConnection;
  const registries: Registry[] = [
    createOrchestratorMetrics({
      isLeader: () => true,
      states: { countExperimentsByState: () => Promise.reject(new Error('not asked')) },
      events: new EventEmitter<EngineEvents>(),
      amqp: broker,
      topology,
      logger: createLogger({ component: 'test', level: 'silent', pretty: false }),
    }),
    createSchedulerMetrics({
      status: () => ({}) as SchedulerStatus,
      on: new EventEmitter<SchedulerServiceEvents>().on,
      broker: { amqp: broker, topology },
    }),
    createWorkerMetrics({
      runningTasks: 0,
      info: { slots: 1, queue: topology.workerQueue('w1') },
      on: new EventEmitter<WorkerEvents>().on,
      broker,
    }),
  ];
  const names = new Set<string>();
  for (const metric of registries.flatMap((registry) => registry.getMetricsAsArray())) {
    const { name } = metric as unknown as { name: string };
    names.add(name);
    if (metric instanceof Histogram)
      for (const suffix of ['_bucket', '_sum', '_count']) names.add(name + suffix);
  }
  return names;
}

describe('deploy/grafana/wlm-dashboard.json', () => {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: Panel[] };
  const all = queries(dashboard.panels);
  const names = registeredNames();

  it('has queries, every one valid PromQL', () => {
    expect(all.length).toBeGreaterThan(20);
    for (const { expr } of all) expect(() => selectedMetrics(expr)).not.toThrow();
  });

  it.each(all)('$panel: $expr selects only metrics the services register', ({ expr }) => {
    const selected = selectedMetrics(expr);
    expect(selected.length).toBeGreaterThan(0);
    expect(selected.filter((name) => !names.has(name))).toEqual([]);
  });

  it('names every metric wlm_<component>_…', () => {
    expect(
      [...names].filter((name) => !/^wlm_(orchestrator|scheduler|worker)_[a-z0-9_]+$/.test(name)),
    ).toEqual([]);
  });
});
