import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sharedSshPool } from '@wlm/commons';
import type { ComputeResourceInput } from '@wlm/commons';

/** Undoes {@link useResourceConfig}. */
export interface ResourceConfig {
  restore(): Promise<void>;
}

/**
 * Points `WLM_CONFIG` at a config file of these compute resources (and `localRoots`, the worker's
 * `staging.localRoots`), as a worker's task process finds it, so plugins run in-process resolve
 * them; `restore` puts the old value back, closes the shared SSH pool and removes the file.
 */
export function useResourceConfig(
  resources: Record<string, ComputeResourceInput>,
  localRoots: readonly string[] = [],
): ResourceConfig {
  const dir = mkdtempSync(join(tmpdir(), 'wlm-resource-config-'));
  const file = join(dir, 'wlm.json');
  writeFileSync(file, JSON.stringify({ resources, staging: { localRoots } }));
  const previous = process.env['WLM_CONFIG'];
  process.env['WLM_CONFIG'] = file;
  return {
    async restore() {
      if (previous === undefined) delete process.env['WLM_CONFIG'];
      else process.env['WLM_CONFIG'] = previous;
      rmSync(dir, { recursive: true, force: true });
      await sharedSshPool().close();
    },
  };
}
