import type { WorkerAdvertisement } from '@wlm/commons/advertisement';
import type { ServiceState } from '@wlm/commons/lifecycle';
import type { PluginLoadFailure } from '../execution';

/** The task an event is about. */
export interface WorkerTaskInfo {
  readonly assignmentId: string;
  readonly experimentId: string;
  readonly taskId: string;
  readonly attempt: number;
  readonly taskType: string;
  /** When the orchestrator requested this attempt (or round), ISO 8601. */
  readonly requestedAt: string;
}

/** How a run that did not complete ended, as published in its FAILED event. */
export interface WorkerTaskFailure {
  readonly reason: string;
  readonly retryable: boolean;
  readonly errorCode: string;
}

/** Typed events of a {@link Worker}; the terminal `task:*` events fire once the broker confirmed them. */
export interface WorkerEvents {
  /** The worker's lifecycle moved (`ServiceLifecycle`). */
  state: [state: ServiceState, previous: ServiceState];
  /** The run began: RUNNING was published and the task process asked to start. */
  'task:started': [task: WorkerTaskInfo];
  'task:completed': [task: WorkerTaskInfo];
  /** The round ended with a checkpoint (DEFERRED published); the next round may run anywhere. */
  'task:deferred': [task: WorkerTaskInfo, message: string];
  'task:failed': [task: WorkerTaskInfo, failure: WorkerTaskFailure];
  'task:cancelled': [task: WorkerTaskInfo, reason: string];
  /** Returned to the queue unfinished (shutdown); another worker, or this one later, runs it. */
  'task:handed-back': [task: WorkerTaskInfo];
  /** A redelivered assignment whose run already ended (or is under way) was acked without running again. */
  'task:duplicate': [task: WorkerTaskInfo];
  /** Serf accepted new tags. */
  advertised: [advertisement: WorkerAdvertisement];
  /** The worker hit an error it cannot run on; it is shutting down. */
  'worker:failed': [error: Error];
}

/** What a started worker reports about itself, e.g. for the CLI's start line. */
export interface WorkerStartInfo {
  readonly workerId: string;
  readonly queue: string;
  readonly controlQueue: string;
  readonly slots: number;
  readonly labels: Readonly<Record<string, string>>;
  /** Task type → plugin version, as advertised. */
  readonly taskTypes: Readonly<Record<string, string>>;
  /** Plugins that did not load; not advertised. */
  readonly pluginFailures: readonly PluginLoadFailure[];
  readonly serf: {
    readonly mode: 'own-agent' | 'host-agent';
    /** RPC address of the agent the worker talks to. */
    readonly rpcAddr: string;
    /** Gossip address of its own agent (own-agent mode only). */
    readonly bindAddr?: string;
    /** Addresses it joined through (own-agent mode only). */
    readonly joined?: readonly string[];
  };
}
