import { setTimeout as sleep } from 'node:timers/promises';

/** The dependencies `/healthz` checks. */
export type Dependency = 'mysql' | 'neo4j' | 'rabbitmq';

export interface DependencyProbe {
  name: Dependency;
  /** Resolves when the dependency answers; rejects (or hangs) when it does not. */
  check(): Promise<void>;
}

export interface HealthReport {
  ready: boolean;
  checks: Record<Dependency, { ok: boolean; error?: string }>;
}

/** A probe slower than this counts as down: store calls retry for much longer, /healthz must not. */
const PROBE_TIMEOUT_MS = 2000;

async function probe(check: () => Promise<void>): Promise<{ ok: boolean; error?: string }> {
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
export async function checkHealth(probes: readonly DependencyProbe[]): Promise<HealthReport> {
  const results = await Promise.all(probes.map(async (p) => [p.name, await probe(() => p.check())] as const));
  const checks = Object.fromEntries(results) as HealthReport['checks'];
  return { ready: results.every(([, result]) => result.ok), checks };
}
