import { inheritedEnvironment } from '@wlm/commons/plugin';
import { resolveChildEntry } from '../../../src/execution/child-entry';
import { TaskProcess } from '../../../src/execution/task-process';
import type { ProcessExit, TaskProcessListener } from '../../../src/execution/task-process';
import { ensureBuilt } from '../../support/ensure-built';
import { captureLogger } from '../../support/test-logger';

jest.setTimeout(30_000);

describe('TaskProcess', () => {
  const captured = captureLogger();

  beforeAll(() => ensureBuilt());

  function start(): TaskProcess {
    return new TaskProcess({
      entry: resolveChildEntry(),
      memoryLimitMb: 64,
      execArgv: [],
      env: inheritedEnvironment(),
      logger: captured.logger,
    });
  }

  function listener(onExit: (exit: ProcessExit) => void): TaskProcessListener {
    return { message: () => undefined, protocolError: () => undefined, exited: onExit };
  }

  it('tells the listener attached when the process dies', async () => {
    const proc = start();
    const told = new Promise<ProcessExit>((resolve) => proc.attach(listener(resolve), captured.logger));
    proc.kill();
    await expect(told).resolves.toMatchObject({ signal: 'SIGKILL' });
  });

  it('tells a listener attached after the process died that it has exited', async () => {
    const proc = start();
    proc.kill();
    const exit = await proc.exited;
    const told = new Promise<ProcessExit>((resolve) => proc.attach(listener(resolve), captured.logger));
    await expect(told).resolves.toEqual(exit);
  });

  it('tells a detached listener nothing', async () => {
    const proc = start();
    const onExit = jest.fn();
    proc.attach(listener(onExit), captured.logger);
    proc.detach();
    proc.kill();
    await proc.exited;
    expect(onExit).not.toHaveBeenCalled();
  });
});
