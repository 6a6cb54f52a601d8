import { inheritedEnvironment } from '@wlm/commons/plugin';
import type { Logger } from '@wlm/commons/logging';
import { resolveChildEntry } from './child-entry';
import type { ProbeResultMessage } from './ipc-messages';
import { TaskProcess } from './task-process';
import type { ProcessExit } from './task-process';

/** A plugin the worker can advertise and run. */
export interface LoadedPlugin {
  /** The plugin's `name`, i.e. the task type it serves. */
  taskType: string;
  version: string;
  description: string;
  /** As the worker was given it, e.g. `@wlm/task-echo` or `./my-plugin.js`. */
  specifier: string;
  /** The resolved module file that task processes load. */
  modulePath: string;
}

export interface PluginLoadFailure {
  specifier: string;
  /** Why, for the operator: missing module, load error, or what the export lacks. */
  reason: string;
}

export interface PluginLoadResult {
  plugins: LoadedPlugin[];
  failures: PluginLoadFailure[];
}

export interface PluginLoaderOptions {
  logger: Logger;
  /** Where package names are resolved from, first; default the working directory. */
  resolvePaths?: readonly string[];
  /** A module that takes longer to load is reported as failed. Default 15000. */
  loadTimeoutMs?: number;
  /** Heap cap of the probing process, in MB. Default 512. */
  memoryLimitMb?: number;
  childEntry?: string;
  /**
   * The whole environment of the processes that load plugin modules. Default: the inherited variables of this process
   * (`inheritedEnvironment`: PATH, HOME, LANG, …), never its credentials.
   */
  taskEnvironment?: Readonly<Record<string, string>>;
}

/**
 * Loads plugin modules and checks that each exports a task plugin. Each module is loaded in a
 * short-lived child process, so a module that throws, hangs or exits while loading costs only its
 * own entry in `failures`; the worker advertises the plugins that loaded.
 *
 * @example
 * ```ts
 * const { plugins, failures } = await new PluginLoader({ logger }).load(['echo', 'shell'].map(pluginSpecifier));
 * for (const failure of failures) logger.error(failure, 'plugin not loaded');
 * ```
 */
export class PluginLoader {
  constructor(private readonly options: PluginLoaderOptions) {}

  async load(specifiers: readonly string[]): Promise<PluginLoadResult> {
    const probes = await Promise.all(specifiers.map((specifier) => this.probe(specifier)));
    const result: PluginLoadResult = { plugins: [], failures: [] };
    const byType = new Map<string, LoadedPlugin>();
    probes.forEach((probe, index) => {
      const specifier = specifiers[index] ?? '';
      if (!probe.ok) {
        result.failures.push({ specifier, reason: probe.reason });
        return;
      }
      const earlier = byType.get(probe.name);
      if (earlier !== undefined) {
        result.failures.push({
          specifier,
          reason: `task type "${probe.name}" is already served by ${earlier.specifier}`,
        });
        return;
      }
      const plugin: LoadedPlugin = {
        taskType: probe.name,
        version: probe.version,
        description: probe.description,
        specifier,
        modulePath: probe.modulePath,
      };
      byType.set(probe.name, plugin);
      result.plugins.push(plugin);
    });
    for (const failure of result.failures) this.options.logger.error(failure, 'task plugin not loaded');
    for (const plugin of result.plugins) {
      this.options.logger.info(
        { taskType: plugin.taskType, version: plugin.version, specifier: plugin.specifier },
        'task plugin loaded',
      );
    }
    return result;
  }

  private async probe(specifier: string): Promise<ProbeResultMessage> {
    const logger = this.options.logger.child({ pluginSpecifier: specifier });
    const proc = new TaskProcess({
      entry: this.options.childEntry ?? resolveChildEntry(),
      memoryLimitMb: this.options.memoryLimitMb ?? 512,
      execArgv: [],
      env: this.options.taskEnvironment ?? inheritedEnvironment(),
      logger,
    });
    try {
      return await this.awaitProbe(proc, specifier, logger);
    } finally {
      // The probe process has done its job whatever the answer; tasks get fresh processes.
      proc.detach();
      proc.kill();
      await proc.exited;
    }
  }

  private awaitProbe(proc: TaskProcess, specifier: string, logger: Logger): Promise<ProbeResultMessage> {
    const timeoutMs = this.options.loadTimeoutMs ?? 15_000;
    return new Promise<ProbeResultMessage>((resolve) => {
      const settle = (result: ProbeResultMessage): void => {
        clearTimeout(timer);
        resolve(result);
      };
      const fail = (reason: string): void => settle({ type: 'probe-result', ok: false, reason });
      const timer = setTimeout(() => fail(`loading took longer than ${timeoutMs} ms`), timeoutMs);
      proc.attach(
        {
          message: (message) => {
            if (message.type === 'probe-result') settle(message);
            // An uncaught exception thrown by the module's own timers while it loads.
            else if (message.type === 'failure') fail(message.reason);
          },
          protocolError: fail,
          exited: (exit) =>
            fail(
              `the module ended its process while loading (${describeExit(exit)})${stderrNote(proc.stderrTail())}`,
            ),
        },
        logger,
      );
      proc.send({
        type: 'probe',
        specifier,
        resolvePaths: [...(this.options.resolvePaths ?? [process.cwd()])],
      });
    });
  }
}

function describeExit(exit: ProcessExit): string {
  if (exit.error !== undefined) return exit.error.message;
  return exit.signal === null ? `exit code ${exit.code ?? 'unknown'}` : `signal ${exit.signal}`;
}

function stderrNote(stderrTail: string): string {
  const tail = stderrTail.trim();
  return tail === '' ? '' : `; stderr: ${tail.slice(-500)}`;
}
