import { EventEmitter } from 'node:events';
import { messageOf } from '../errors/message-of';
import { WlmError } from '../errors/wlm-error';
import type { Logger } from '../logging';

/**
 * Where a long-running service (orchestrator, scheduler, worker) is in its life. `stopped` and
 * `failed` are final; `failed` means it ended because of an error (it could not start, or a fatal
 * error while running) rather than because it was asked to stop.
 */
export type ServiceState = 'starting' | 'running' | 'draining' | 'stopped' | 'failed';

/** How a service ended. */
export type FinalServiceState = Extract<ServiceState, 'stopped' | 'failed'>;

/**
 * The moves a service may make; any other is a bug and throws. `starting → stopped` is a service
 * closed before it started; a fatal error while running still drains, so `failed` follows `draining`.
 */
const SERVICE_TRANSITIONS: Readonly<Record<ServiceState, readonly ServiceState[]>> = {
  starting: ['running', 'stopped', 'failed'],
  running: ['draining'],
  draining: ['stopped', 'failed'],
  stopped: [],
  failed: [],
};

/** Whether a service may move from `from` to `to`. */
export function isServiceTransition(from: ServiceState, to: ServiceState): boolean {
  return SERVICE_TRANSITIONS[from].includes(to);
}

/** Typed events of a {@link ServiceLifecycle}. */
export interface ServiceLifecycleEvents {
  state: [state: ServiceState, previous: ServiceState];
}

/**
 * What a service shows of its lifecycle: where it is, its `state` event and how it ended. Starting,
 * failing and closing stay the service's own calls.
 */
export type ServiceLifecycleView = Pick<ServiceLifecycle, 'state' | 'ended' | 'failure' | 'on' | 'off'>;

/**
 * One step of closing a service: what it does (for the log) and how, or `undefined` when what it
 * would close was never opened.
 */
export type CloseStep = readonly [what: string, run: (() => Promise<void> | void) | undefined];

export interface ServiceLifecycleOptions {
  /** The service in log lines, e.g. `worker`. */
  readonly name: string;
  readonly logger: Logger;
  /**
   * The steps that release what the service holds, in order. Asked for when a close begins (or a
   * start fails), so that it lists what was opened by then.
   */
  readonly closeSteps: () => readonly CloseStep[];
}

/**
 * The state machine every wlm service composes: `starting → running → draining → stopped`, or
 * `failed`. It owns the state and its `state` event, runs the start once, and makes closing
 * idempotent: the first {@link close} runs the close steps in order, each on its own (a step that
 * throws is logged and the next one still runs: a half-closed process must not leak connections),
 * and every call returns that same promise. {@link ended} resolves once the service reached a final
 * state, with everything it held released.
 *
 * @example
 * ```ts
 * class Service {
 *   private readonly machine = new ServiceLifecycle({
 *     name: 'service',
 *     logger,
 *     closeSteps: () => [['close the AMQP connection', this.amqp && (() => this.amqp.close())]],
 *   });
 *   static async start(): Promise<Service> {
 *     const service = new Service();
 *     await service.machine.start(() => service.open()); // running, or failed and released
 *     return service;
 *   }
 *   get lifecycle(): ServiceLifecycleView {
 *     return this.machine;
 *   }
 *   close(): Promise<void> {
 *     return this.machine.close();
 *   }
 * }
 * ```
 */
export class ServiceLifecycle extends EventEmitter<ServiceLifecycleEvents> {
  /** Resolves with `stopped` or `failed` once the service ended and released what it held. */
  readonly ended: Promise<FinalServiceState>;
  private current: ServiceState = 'starting';
  private opening: Promise<unknown> | undefined;
  private closing: Promise<void> | undefined;
  private cause: Error | undefined;
  private resolveEnded: (state: FinalServiceState) => void = () => undefined;
  private readonly log: Logger;

  constructor(private readonly options: ServiceLifecycleOptions) {
    super();
    this.log = options.logger;
    this.ended = new Promise((resolve) => (this.resolveEnded = resolve));
  }

  get state(): ServiceState {
    return this.current;
  }

  /**
   * The fatal error that ended a running service ({@link fail}); `undefined` otherwise. A failed
   * start is not recorded here: {@link start} rejects with it, and its caller reports it.
   */
  get failure(): Error | undefined {
    return this.cause;
  }

  /**
   * Opens the service with `open`: once it resolves the service is `running`; when it rejects, the
   * close steps release what was opened, the service is `failed` and the error is rethrown.
   *
   * @throws WlmError `SHUTTING_DOWN` when the service was closed before it started.
   */
  async start<T>(open: () => Promise<T>): Promise<T> {
    if (this.closing !== undefined) {
      throw new WlmError('SHUTTING_DOWN', `the ${this.options.name} was closed before it started`);
    }
    if (this.opening !== undefined) throw new Error(`the ${this.options.name} was started twice (a bug)`);
    const opening = this.open(open);
    this.opening = opening;
    return opening;
  }

  /**
   * Records a fatal error of a running (or draining) service: it will end `failed`. Closing stays the
   * service's call (how hurried a close the error asks for is its choice). False when the service
   * is not running or draining or already failed, so that one failure is reported once.
   */
  fail(cause: unknown): boolean {
    if (this.cause !== undefined) return false;
    if (this.current !== 'running' && this.current !== 'draining') return false;
    this.cause = cause instanceof Error ? cause : new Error(messageOf(cause));
    return true;
  }

  /**
   * Drains and stops: a service still starting finishes its start first, one never started just
   * stops. Idempotent: every call returns the same promise, which resolves with the service ended.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async open<T>(open: () => Promise<T>): Promise<T> {
    let opened: T;
    try {
      opened = await open();
    } catch (error) {
      this.log.error({ err: error }, `${this.options.name} could not start`);
      await this.runCloseSteps();
      this.transition('failed');
      throw error;
    }
    this.transition('running');
    return opened;
  }

  private async shutdown(): Promise<void> {
    // Awaited even when undefined: `close` has stored this promise before any state changes.
    const opening = this.opening;
    await opening?.catch(() => undefined);
    if (opening === undefined) {
      this.transition('stopped');
      return;
    }
    // A start that failed has released what it opened and ended the service already.
    if (this.current !== 'running') return;
    this.transition('draining');
    this.log.info(`${this.options.name} draining`);
    await this.runCloseSteps();
    this.transition(this.cause === undefined ? 'stopped' : 'failed');
    this.log.info({ state: this.current }, `${this.options.name} stopped`);
  }

  private async runCloseSteps(): Promise<void> {
    for (const [what, run] of this.options.closeSteps()) {
      if (run === undefined) continue;
      try {
        await run();
      } catch (error) {
        this.log.warn({ err: error }, `${this.options.name}: could not ${what}`);
      }
    }
  }

  private transition(next: ServiceState): void {
    const previous = this.current;
    if (!isServiceTransition(previous, next)) {
      throw new Error(
        `${this.options.name} state machine: ${previous} → ${next} is not a transition (a bug)`,
      );
    }
    this.current = next;
    this.log.debug({ state: next, previous }, `${this.options.name} state`);
    this.emit('state', next, previous);
    if (next === 'stopped' || next === 'failed') this.resolveEnded(next);
  }
}
