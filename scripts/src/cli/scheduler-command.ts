import { Command } from 'commander';
import { redactUrl } from '@wlm/commons/amqp';
import { loadConfig } from '@wlm/commons/config';
import { runService } from '@wlm/commons/lifecycle';
import { createLogger } from '@wlm/commons/logging';
import { metricsPortOption, startMetricsServer } from './metrics-option';
import { parseNamespace, wholeNumber } from './option-parsers';

interface SchedulerCommandOptions {
  namespace: string;
  instanceId?: string;
  prefetch?: number;
  typeWaitAlert?: number;
  alerts: boolean;
  metricsPort?: number | 'off';
}

/** `wlm scheduler`: runs one scheduler instance until a signal stops it. */
export function schedulerCommand(): Command {
  return new Command('scheduler')
    .description(
      'run a scheduler: place tasks on workers advertised over Serf, retry failures, mail the admin',
    )
    .option(
      '--namespace <ns>',
      'topology namespace (prefix of every queue and exchange)',
      parseNamespace,
      'wlm',
    )
    .option('--instance-id <id>', 'name of this instance in logs and mails (default <host>-<pid>-<random>)')
    .option(
      '--prefetch <n>',
      'requests of one task type held unacknowledged at most while waiting for capacity (default 200)',
      wholeNumber({ min: 1, max: 65_535, of: 'requests' }),
    )
    .option(
      '--type-wait-alert <seconds>',
      'mail the admin once when tasks of a type have waited this long with no live worker that runs it (default 300)',
      wholeNumber({ min: 1, max: 7 * 86_400, of: 'seconds' }),
    )
    .option('--no-alerts', 'do not send admin mail from this instance (it still reports incidents)')
    .addOption(metricsPortOption('schedulerPort'))
    .addHelpText(
      'after',
      '\nUses the Serf agent at serf.rpcAddr (WLM_SERF_RPC_ADDR), RabbitMQ at rabbitmq.url and SMTP at smtp.*.\n' +
        'Run several for availability: they share the work and exactly one of them mails.',
    )
    .action(async (options: SchedulerCommandOptions) => {
      const config = loadConfig();
      const logger = createLogger({ component: 'scheduler', level: config.log.level });
      // Loaded on use: every other command (a restarting worker above all) starts faster without it.
      const { SchedulerService, createSchedulerMetrics } = await import('@wlm/scheduler');
      const scheduler = await SchedulerService.start({
        config,
        logger,
        namespace: options.namespace,
        ...(options.instanceId === undefined ? {} : { instanceId: options.instanceId }),
        ...(options.prefetch === undefined ? {} : { requestPrefetch: options.prefetch }),
        ...(options.typeWaitAlert === undefined ? {} : { typeWaitAlertMs: options.typeWaitAlert * 1000 }),
        ...(options.alerts ? {} : { alerts: false }),
      });
      // The first SIGTERM/SIGINT drains (held requests go back to the queue); the second exits at once.
      const ended = runService(scheduler.lifecycle, {
        signalSteps: [{ says: 'draining; send it again to exit at once', run: () => void scheduler.close() }],
        report: (message) => console.error(`wlm scheduler: ${message}`),
      });
      const metrics = await startMetricsServer(
        options.metricsPort ?? config.metrics.schedulerPort,
        config.http.host,
        {
          registry: createSchedulerMetrics({
            status: () => scheduler.status(),
            on: scheduler.on.bind(scheduler),
            broker: { amqp: scheduler.connection, topology: scheduler.topology },
          }),
          status: () => ({ lifecycle: scheduler.state, instance: scheduler.instanceId }),
          probes: scheduler.dependencyProbes(),
        },
      ).catch(async (error: unknown) => {
        await scheduler.close();
        await ended;
        throw error;
      });
      console.error(
        `scheduler ${scheduler.instanceId} running: namespace ${options.namespace}, ` +
          `rabbitmq ${redactUrl(config.rabbitmq.url)}, serf ${config.serf.rpcAddr}, ` +
          `admin mail ${options.alerts ? `${config.smtp.adminEmail} via ${config.smtp.host}:${config.smtp.port}` : 'off'}` +
          (metrics === undefined ? '' : `, metrics ${metrics.url}`),
      );
      await ended;
      await metrics?.close();
    });
}
