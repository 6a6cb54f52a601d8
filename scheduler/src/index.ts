/**
 * @wlm/scheduler — places wlm tasks on workers advertised over Serf and routes them through RabbitMQ:
 * placement policies, the live worker registry, the scheduler service and its admin mail.
 *
 * @example
 * ```ts
 * import { loadConfig } from '@wlm/commons/config';
 * import { createLogger } from '@wlm/commons/logging';
 * import { SchedulerService } from '@wlm/scheduler';
 * const config = loadConfig();
 * const logger = createLogger({ component: 'scheduler', level: config.log.level });
 * const scheduler = await SchedulerService.start({ config, logger });
 * process.once('SIGTERM', () => void scheduler.close());
 * ```
 */
export * from './placement';
export * from './registry';
export * from './service';
export * from './alerts';
export * from './errors';
export * from './fence';
export { createSchedulerMetrics } from './metrics';
export type { SchedulerMetricsSource } from './metrics';
