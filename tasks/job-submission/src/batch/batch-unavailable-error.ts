/**
 * The batch system did not answer a query (its controller is down or busy). Like an unreachable
 * host, it says nothing about the job: the plugin asks again later rather than fail the task.
 */
export class BatchUnavailableError extends Error {
  override readonly name = 'BatchUnavailableError';

  constructor(command: string, exitCode: number, stderr: string) {
    super(
      `\`${command}\` exited with code ${exitCode}: ${stderr.trim().slice(-1000) || '(no stderr output)'}`,
    );
  }
}
