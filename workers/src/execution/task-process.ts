import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { TailBuffer } from '@wlm/commons/text';
import type { Logger } from '@wlm/commons/logging';
import { childMessageSchema } from './ipc-messages';
import type { ChildMessage, ParentMessage } from './ipc-messages';
import { relayLogLine, relayStreamLine } from './log-relay';
import { formatTaskLogLine } from './task-log-line';

export interface TaskProcessOptions {
  /** The compiled `task-child-main.js`. */
  entry: string;
  /** V8 heap cap (`--max-old-space-size`). */
  memoryLimitMb: number;
  /** Extra node flags for the child. */
  execArgv: readonly string[];
  /** The child's whole environment: nothing of the worker's reaches it unless it is here. */
  env: Readonly<Record<string, string>>;
  logger: Logger;
}

/** How a task process ended. `error` is set when it could not be started at all. */
export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: Error;
}

/** Whoever currently uses the process: the runner during a task, the loader during a probe. */
export interface TaskProcessListener {
  message(message: ChildMessage): void;
  protocolError(problem: string): void;
  /** The process ended while this listener was attached (or had ended before it was). */
  exited(exit: ProcessExit): void;
  /** One line of the task's own log or output, formatted for its log tail. */
  logLine?(line: string): void;
}

const STDERR_TAIL_CHARS = 8 * 1024;
/** How long to wait, after the child exits, for its pipes to deliver the last of its stderr. */
const PIPE_DRAIN_MS = 200;

/**
 * One forked task process. It leads its own process group, so `kill()` also ends whatever the
 * plugin started; stdout and stderr are piped into the worker's log and a stderr tail is kept to
 * explain a crash (V8 prints its out-of-memory report there).
 */
export class TaskProcess {
  /**
   * Resolves once, when the process has exited (or failed to start); never rejects. A user of a
   * pooled process learns of its exit through {@link TaskProcessListener.exited} instead: a reaction
   * added to this promise stays until the process exits, which for a warm process is thousands of
   * tasks later, and would keep each task's whole run in memory until then.
   */
  readonly exited: Promise<ProcessExit>;
  /** Tasks started in this process; the pool retires processes after a number of them. */
  tasksStarted = 0;
  private readonly child: ChildProcess;
  private readonly stderr = new TailBuffer(STDERR_TAIL_CHARS);
  private listener: TaskProcessListener | undefined;
  private logger: Logger;
  private exit: ProcessExit | undefined;

  constructor(private readonly options: TaskProcessOptions) {
    this.logger = options.logger;
    this.child = fork(options.entry, [], {
      execArgv: [`--max-old-space-size=${options.memoryLimitMb}`, ...options.execArgv],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      // Its own process group, so that killing the group reaches the plugin's own children.
      detached: true,
      serialization: 'json',
      env: { ...options.env },
    });
    this.exited = this.watchExit();
    this.child.on('message', (raw: unknown) => this.receive(raw));
    this.pipeLines(this.child.stdout, 'stdout');
    this.pipeLines(this.child.stderr, 'stderr');
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return this.exit === undefined && this.child.connected;
  }

  /**
   * Routes the process's messages, its exit and its log lines to `listener` and `logger` until
   * `detach()`. A process that has already exited says so at once (on a microtask).
   */
  attach(listener: TaskProcessListener, logger: Logger): void {
    this.listener = listener;
    this.logger = logger;
    const exit = this.exit;
    if (exit !== undefined) queueMicrotask(() => this.listener === listener && listener.exited(exit));
  }

  detach(): void {
    this.listener = undefined;
    this.logger = this.options.logger;
  }

  /**
   * Whether this process keeps the worker's event loop alive: yes while it runs something, no while
   * it idles in the pool, so an idle process never delays the worker's exit.
   */
  hold(held: boolean): void {
    const handles = [this.child, this.child.channel, this.child.stdout, this.child.stderr];
    for (const handle of handles) {
      const refable = handle as { ref?: () => void; unref?: () => void } | null | undefined;
      if (held) refable?.ref?.();
      else refable?.unref?.();
    }
  }

  /** Sends a message; a failure to deliver shows up as the process's exit, so it is only logged. */
  send(message: ParentMessage): void {
    if (!this.child.connected) return;
    this.child.send(message, (error) => {
      if (error !== null) this.logger.debug({ err: error, pid: this.pid }, 'could not message task process');
    });
  }

  /** The last few KiB the process wrote to stderr. */
  stderrTail(): string {
    return this.stderr.toString();
  }

  /** Ends the process and everything in its process group at once. */
  kill(): void {
    const pid = this.child.pid;
    if (pid === undefined || this.exit !== undefined) return;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // ESRCH: the group is gone already. Fall back to the process itself in case it left its group.
      this.child.kill('SIGKILL');
    }
  }

  /** Lets an idle process go: it exits by itself once the IPC channel closes. */
  retire(): void {
    if (this.child.connected) this.child.disconnect();
  }

  private receive(raw: unknown): void {
    const parsed = childMessageSchema.safeParse(raw);
    if (!parsed.success) {
      this.listener?.protocolError(`task process sent an invalid message: ${parsed.error.message}`);
      return;
    }
    if (parsed.data.type === 'log') {
      relayLogLine(this.logger, parsed.data.line);
      this.listener?.logLine?.(formatTaskLogLine('log', parsed.data.line));
    } else this.listener?.message(parsed.data);
  }

  private watchExit(): Promise<ProcessExit> {
    return new Promise((resolve) => {
      const settle = (exit: ProcessExit): void => {
        if (this.exit !== undefined) return;
        this.exit = exit;
        resolve(exit);
        this.listener?.exited(exit);
      };
      this.child.once('exit', (code, signal) => {
        const drained = setTimeout(() => settle({ code, signal }), PIPE_DRAIN_MS);
        this.child.once('close', () => {
          clearTimeout(drained);
          settle({ code, signal });
        });
      });
      this.child.on('error', (error) => {
        // Without a pid the fork itself failed and no 'exit' will follow.
        if (this.child.pid === undefined) settle({ code: null, signal: null, error });
        else this.logger.debug({ err: error, pid: this.child.pid }, 'task process error');
      });
    });
  }

  private pipeLines(stream: Readable | null, name: 'stdout' | 'stderr'): void {
    if (stream === null) return;
    let partial = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      if (name === 'stderr') this.stderr.append(chunk);
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) this.streamLine(name, line);
    });
    stream.on('end', () => this.streamLine(name, partial));
  }

  private streamLine(name: 'stdout' | 'stderr', line: string): void {
    relayStreamLine(this.logger, name, line);
    if (line.trim() !== '') this.listener?.logLine?.(formatTaskLogLine(name, line));
  }
}
