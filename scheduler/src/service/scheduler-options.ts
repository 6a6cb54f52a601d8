import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { WlmConfig } from '@wlm/commons/config';
import type { Logger } from '@wlm/commons/logging';
import type { MailRateLimiterOptions } from '../alerts';
import type { ReservationLedgerOptions } from '../registry';
import { DEFAULT_MAX_BACKOFF_MS } from './retry-backoff';

/** How a {@link SchedulerService} runs; everything but `config` and `logger` has a default. */
export interface SchedulerServiceOptions {
  /** Validated configuration (`loadConfig()`): RabbitMQ, MySQL (the placement fence), the Serf agent's RPC address, SMTP. */
  readonly config: WlmConfig;
  readonly logger: Logger;
  /** Topology namespace (queue and exchange prefix). Default `wlm`. */
  readonly namespace?: string;
  /** Names this instance in logs, admin mails and its own control queue. Default `<host>-<pid>-<random>`. */
  readonly instanceId?: string;
  /**
   * Requests of one task type held unacknowledged at most: the bound on the backlog this instance
   * keeps per type a live worker runs (the other types' requests wait in the broker). Default 200.
   */
  readonly requestPrefetch?: number;
  /** Requests moved from the front-door queue to their task type's queue at once. Default 100. */
  readonly routePrefetch?: number;
  /**
   * How long requests of a task type may wait with no live worker that runs it before the admin
   * gets a mail (one per type). Default 5 minutes.
   */
  readonly typeWaitAlertMs?: number;
  /** Task events handled at once. Default `config.rabbitmq.prefetch`. */
  readonly eventPrefetch?: number;
  /** Cap on a retry's backoff. Default 5 minutes. */
  readonly maxBackoffMs?: number;
  /** Timings of the free-slot accounting (see `ReservationLedger`). */
  readonly reservations?: ReservationLedgerOptions;
  /**
   * How often the Serf agent is asked for failed workers; 0 relies on its event stream alone. Default
   * 250 ms: an agent that coalesces member events reports a failure on its stream a second late.
   */
  readonly failurePollMs?: number;
  /**
   * How often alive workers' queues are checked for a consumer (0: never), and how many checks in a
   * row without one make a worker unreachable. Defaults 2,000 ms and 2.
   */
  readonly consumerCheckMs?: number;
  readonly consumerMisses?: number;
  /** How often a lost worker's queue is checked again, and for how long. Defaults 500 ms and 2 minutes. */
  readonly drainRecheckMs?: number;
  readonly drainWindowMs?: number;
  /** How long and how many placed attempts are remembered to recognise redeliveries. Defaults 10 minutes, 100,000. */
  readonly placedTtlMs?: number;
  readonly placedMax?: number;
  /** How long a cancel keeps refusing late requests of its task. Default 10 minutes. */
  readonly cancelTtlMs?: number;
  /** How often a non-empty backlog is logged. Default 10,000 ms. */
  readonly backlogLogMs?: number;
  /**
   * Longest a request is held unacknowledged before it is handed back to the queue for a fresh
   * delivery; keep it below RabbitMQ's consumer timeout (30 minutes by default). Default 20 minutes.
   */
  readonly maxHoldMs?: number;
  /**
   * Admin mail about worker incidents. `false` keeps this instance out of mailing (it still reports
   * incidents for whichever instance mails). Default on.
   */
  readonly alerts?:
    | false
    | {
        readonly collectMs?: number;
        readonly rateLimit?: MailRateLimiterOptions;
        /** At most one mail per task type waiting for a worker in this time. Default 1 hour. */
        readonly typeCooldownMs?: number;
      };
  /** How long closing waits for running handlers and unconfirmed publishes. Default 30,000 ms. */
  readonly closeTimeoutMs?: number;
}

/** Options with every default applied. */
export interface CompiledSchedulerOptions {
  readonly config: WlmConfig;
  readonly logger: Logger;
  readonly namespace: string;
  readonly instanceId: string;
  readonly requestPrefetch: number;
  readonly routePrefetch: number;
  readonly typeWaitAlertMs: number;
  readonly eventPrefetch: number;
  readonly maxBackoffMs: number;
  readonly reservations: ReservationLedgerOptions;
  readonly failurePollMs: number;
  readonly consumerCheckMs: number;
  readonly consumerMisses: number;
  readonly drainRecheckMs: number;
  readonly drainWindowMs: number;
  readonly placedTtlMs: number;
  readonly placedMax: number;
  readonly cancelTtlMs: number;
  readonly backlogLogMs: number;
  readonly maxHoldMs: number;
  readonly alerts:
    | false
    | {
        readonly collectMs: number;
        readonly rateLimit: MailRateLimiterOptions;
        readonly typeCooldownMs: number;
      };
  readonly closeTimeoutMs: number;
}

const INSTANCE_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** `<host>-<pid>-<random>`, cut to the characters a queue name takes. */
function defaultInstanceId(): string {
  const host =
    hostname()
      .replace(/[^A-Za-z0-9_.-]/g, '-')
      .slice(0, 40) || 'host';
  return `${host}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

function atLeast(name: string, value: number, min: number): number {
  if (!Number.isFinite(value) || value < min) {
    throw new RangeError(`scheduler option ${name} must be a number ≥ ${min}, got ${value}`);
  }
  return value;
}

const positive = (name: string, value: number): number => atLeast(name, value, 0);
/** A prefetch of 0 would mean "unlimited" to RabbitMQ: the opposite of a bound. */
const prefetch = (name: string, value: number): number => atLeast(name, Math.floor(value), 1);

/** Loose options in, complete and checked options out. */
export function compileSchedulerOptions(options: SchedulerServiceOptions): CompiledSchedulerOptions {
  const instanceId = options.instanceId ?? defaultInstanceId();
  if (!INSTANCE_ID.test(instanceId)) {
    throw new RangeError(`scheduler instance id "${instanceId}" must be 1–64 letters, digits, _ . or -`);
  }
  const alerts = options.alerts === false ? false : (options.alerts ?? {});
  return {
    config: options.config,
    logger: options.logger,
    namespace: options.namespace ?? 'wlm',
    instanceId,
    requestPrefetch: prefetch('requestPrefetch', options.requestPrefetch ?? 200),
    routePrefetch: prefetch('routePrefetch', options.routePrefetch ?? 100),
    typeWaitAlertMs: positive('typeWaitAlertMs', options.typeWaitAlertMs ?? 5 * 60_000),
    eventPrefetch: prefetch('eventPrefetch', options.eventPrefetch ?? options.config.rabbitmq.prefetch),
    maxBackoffMs: positive('maxBackoffMs', options.maxBackoffMs ?? DEFAULT_MAX_BACKOFF_MS),
    reservations: options.reservations ?? {},
    failurePollMs: positive('failurePollMs', options.failurePollMs ?? 250),
    consumerCheckMs: positive('consumerCheckMs', options.consumerCheckMs ?? 2_000),
    consumerMisses: atLeast('consumerMisses', options.consumerMisses ?? 2, 1),
    drainRecheckMs: atLeast('drainRecheckMs', options.drainRecheckMs ?? 500, 10),
    drainWindowMs: positive('drainWindowMs', options.drainWindowMs ?? 120_000),
    placedTtlMs: positive('placedTtlMs', options.placedTtlMs ?? 10 * 60_000),
    placedMax: atLeast('placedMax', options.placedMax ?? 100_000, 1),
    cancelTtlMs: positive('cancelTtlMs', options.cancelTtlMs ?? 10 * 60_000),
    backlogLogMs: atLeast('backlogLogMs', options.backlogLogMs ?? 10_000, 100),
    maxHoldMs: atLeast('maxHoldMs', options.maxHoldMs ?? 20 * 60_000, 1_000),
    alerts:
      alerts === false
        ? false
        : {
            collectMs: positive('alerts.collectMs', alerts.collectMs ?? 3_000),
            rateLimit: alerts.rateLimit ?? {},
            typeCooldownMs: positive('alerts.typeCooldownMs', alerts.typeCooldownMs ?? 60 * 60_000),
          },
    closeTimeoutMs: positive('closeTimeoutMs', options.closeTimeoutMs ?? 30_000),
  };
}
