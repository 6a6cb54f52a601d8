import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { TOKEN } from './orchestrator-env';

/** The built CLI, run as people run it. */
export const CLI = join(__dirname, '..', '..', '..', '..', 'scripts', 'dist', 'cli.js');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Fails fast when the CLI has not been built. */
export function ensureCliBuilt(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first (npx tsc --build)`);
}

/** `wlm <args>` against the orchestrator API on 127.0.0.1:`httpPort`, with the tests' token. */
export function runWlm(args: readonly string[], httpPort: string): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      {
        env: { ...process.env, WLM_HTTP_HOST: '127.0.0.1', WLM_HTTP_PORT: httpPort, WLM_API_TOKEN: TOKEN },
        timeout: 60_000,
      },
      (error, stdout, stderr) =>
        resolve({ code: error === null ? 0 : Number(error.code ?? 1), stdout, stderr }),
    );
  });
}
