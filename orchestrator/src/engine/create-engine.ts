import { EventEmitter } from 'node:events';
import type { AmqpConnection, WlmTopology } from '@wlm/commons/amqp';
import type { Logger } from '@wlm/commons/logging';
import type { DagStore } from '../domain/dag-store';
import type { StateStore } from '../domain/state-store';
import { DagCatalog } from './dag-catalog';
import { Dispatcher } from './dispatcher';
import { Engine } from './engine';
import type { EngineEvents } from './engine-events';
import { EventProcessor } from './event-processor';
import type { EngineParts } from './experiment-driver';
import { LeaderDuties } from './leader-duties';
import { PluginCatalog } from './plugin-catalog';
import { QueuedInDag } from './queued-in-dag';
import { AmqpMessaging } from './messaging';
import { Reconciler } from './reconciler';
import { RunAttempts } from './run-attempts';

export interface EngineWiring {
  states: StateStore;
  dags: DagStore;
  amqp: AmqpConnection;
  topology: WlmTopology;
  logger: Logger;
  batchSize?: number | undefined;
  batchWaitMs?: number | undefined;
  /** The leader's reconciler: pause between passes (default 30 s), experiments per pass (default 200). */
  reconcileIntervalMs?: number | undefined;
  reconcileMaxPerPass?: number | undefined;
  /** Where task plugins are resolved from to check DAGs as they are stored. Default: the working directory. */
  pluginResolvePaths?: readonly string[] | undefined;
  /** How long a deposed leader waits for the event batch in hand (see LeaderDuties). */
  handoverTimeoutMs?: number | undefined;
  /** Task-event batches handled at once (see LeaderDuties). */
  batchesInFlight?: number | undefined;
}

export interface EngineAssembly {
  engine: Engine;
  /** `idle()` before closing the stores: dispatch records are written in the background. */
  dispatcher: Dispatcher;
  catalog: DagCatalog;
  duties: LeaderDuties;
  reconciler: Reconciler;
  /** Dispatches and applied events, as they happen. */
  events: EventEmitter<EngineEvents>;
}

/** Builds the engine's parts around the stores and the broker. */
export function createEngine(wiring: EngineWiring): EngineAssembly {
  const logger = wiring.logger.child({ module: 'engine' });
  const messaging = new AmqpMessaging(wiring.amqp, wiring.topology);
  const catalog = new DagCatalog(wiring.dags);
  const events = new EventEmitter<EngineEvents>();
  const queuedInDag = new QueuedInDag();
  const dispatcher = new Dispatcher(wiring.states, wiring.dags, messaging, logger, events, queuedInDag);
  const parts: EngineParts = {
    states: wiring.states,
    dags: wiring.dags,
    catalog,
    dispatcher,
    messaging,
    runAttempts: new RunAttempts(wiring.dags),
    queuedInDag,
    plugins: new PluginCatalog(wiring.pluginResolvePaths ?? [process.cwd()], logger),
    logger,
    events,
  };
  const engine = new Engine(parts);
  const processor = new EventProcessor(parts, engine.driver);
  const reconciler = new Reconciler({
    states: wiring.states,
    dags: wiring.dags,
    driver: engine.driver,
    logger,
    intervalMs: wiring.reconcileIntervalMs,
    maxPerPass: wiring.reconcileMaxPerPass,
  });
  const duties = new LeaderDuties({
    amqp: wiring.amqp,
    topology: wiring.topology,
    engine,
    processor,
    reconciler,
    logger,
    ...(wiring.batchSize === undefined ? {} : { batchSize: wiring.batchSize }),
    ...(wiring.batchWaitMs === undefined ? {} : { batchWaitMs: wiring.batchWaitMs }),
    ...(wiring.handoverTimeoutMs === undefined ? {} : { handoverTimeoutMs: wiring.handoverTimeoutMs }),
    ...(wiring.batchesInFlight === undefined ? {} : { batchesInFlight: wiring.batchesInFlight }),
  });
  return { engine, catalog, duties, dispatcher, reconciler, events };
}
