/**
 * Entry point of a task process, forked by the worker (`dist/execution/task-child-main.js`). It
 * loads plugin modules and runs one task at a time on the worker's request; whatever a plugin does
 * here — throw, hang, exit, exhaust memory — costs at most this process.
 */
import { TaskAbort } from '@wlm/commons/plugin';
import { importPlugin, loadErrorMessage, messageOf, resolvePluginModule } from '@wlm/commons/plugin-host';
import { TASK_FAILURE_CODES } from './failure-codes';
import { sendFailure, sendToParent } from './child-channel';
import { runTaskInChild } from './child-task';
import { parentMessageSchema } from './ipc-messages';
import type { ProbeMessage, StartMessage } from './ipc-messages';

/** After the worker disappears, how long a running task gets to see its abort before we exit. */
const ORPHAN_GRACE_MS = 2000;

let running: AbortController | undefined;

process.on('message', (raw: unknown) => {
  const parsed = parentMessageSchema.safeParse(raw);
  if (!parsed.success) {
    // The worker and this process come from the same build; a bad message means a bug, so stop.
    void exitWithFailure(`task process received an invalid message: ${parsed.error.message}`);
    return;
  }
  const message = parsed.data;
  switch (message.type) {
    case 'probe':
      void probe(message);
      return;
    case 'start':
      void start(message);
      return;
    case 'cancel':
      running?.abort(new TaskAbort(message.kind, message.reason));
      return;
  }
});

// The worker died or let this process go: abort what runs, then leave.
process.on('disconnect', () => {
  running?.abort(new TaskAbort('worker-lost', 'the worker disconnected'));
  setTimeout(() => process.exit(0), ORPHAN_GRACE_MS).unref();
});

// Plugin code failed outside its promise (a timer, an event handler): the state of this process is
// unknown, so report the task failed and exit rather than serve another task.
process.on('uncaughtException', (error) => {
  void exitWithFailure(
    `uncaught exception in task: ${messageOf(error)}`,
    TASK_FAILURE_CODES.UNCAUGHT_EXCEPTION,
  );
});

async function start(message: StartMessage): Promise<void> {
  if (running !== undefined) {
    await exitWithFailure('task process asked to start a task while another runs');
    return;
  }
  const controller = new AbortController();
  running = controller;
  try {
    await runTaskInChild(message, controller.signal);
  } finally {
    running = undefined;
  }
}

async function probe(message: ProbeMessage): Promise<void> {
  try {
    const modulePath = resolvePluginModule(message.specifier, message.resolvePaths);
    const plugin = await importPlugin(modulePath);
    await sendToParent({
      type: 'probe-result',
      ok: true,
      modulePath,
      name: plugin.name,
      version: plugin.version,
      description: plugin.description,
    });
  } catch (error) {
    await sendToParent({ type: 'probe-result', ok: false, reason: loadErrorMessage(error) });
  }
}

async function exitWithFailure(
  reason: string,
  code: string = TASK_FAILURE_CODES.RUNNER_ERROR,
): Promise<void> {
  await sendFailure({ reason, retryable: true, code, fatal: true });
  process.exit(1);
}
