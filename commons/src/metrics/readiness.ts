import { setTimeout as sleep } from 'node:timers/promises';

/** One dependency `/readyz` checks, e.g. `mysql`, `rabbitmq`, `serf`. */
export interface DependencyProbe {
  readonly name: string;
  /** Resolves when the dependency answers; rejects (or hangs) when it does not. */
  check(): Promise<void>;
}

export interface ProbeResult {
  ok: boolean;
  error?: string;
}

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, ProbeResult>;
  /** The names of the probes that failed. */
  down: string[];
}

/** A probe slower than this counts as down: store calls retry for much longer, a probe must not. */
export const PROBE_TIMEOUT_MS = 2000;

async function probe(check: () => Promise<void>): Promise<ProbeResult> {
  const timeout = new AbortController();
  try {
    const outcome = await Promise.race([
      check().then(() => 'ok' as const),
      sleep(PROBE_TIMEOUT_MS, 'timeout' as const, { signal: timeout.signal }),
    ]);
    return outcome === 'ok' ? { ok: true } : { ok: false, error: `no answer within ${PROBE_TIMEOUT_MS} ms` };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  } finally {
    timeout.abort();
  }
}

/** Runs every probe at once; ready only when all answer. */
export async function checkReadiness(probes: readonly DependencyProbe[]): Promise<ReadinessReport> {
  const results = await Promise.all(probes.map(async (p) => [p.name, await probe(() => p.check())] as const));
  return {
    ready: results.every(([, result]) => result.ok),
    checks: Object.fromEntries(results),
    down: results.filter(([, result]) => !result.ok).map(([name]) => name),
  };
}

/**
 * A probe that passes while a client's connection state is `connected` — for clients that keep one
 * connection open and notice its loss themselves (AMQP heartbeats, the Serf RPC stream).
 */
export function connectionProbe(
  name: string,
  what: string,
  state: () => string | undefined,
): DependencyProbe {
  return {
    name,
    check: async () => {
      const current = state();
      if (current === undefined) throw new Error(`no ${what} connection yet`);
      if (current !== 'connected') throw new Error(`the ${what} connection is ${current}`);
    },
  };
}
