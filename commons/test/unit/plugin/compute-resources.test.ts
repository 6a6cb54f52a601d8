import { ComputeResourceError, computeResourcesSchema } from '@wlm/commons/remote';
import { ComputeResources, TaskFailure } from '@wlm/commons/plugin';

const settings = {
  host: 'login.hpc.example.org',
  user: 'wlm',
  privateKeyFile: '/etc/wlm/id_ed25519',
  knownHostsFile: '/etc/wlm/known_hosts',
  workRoot: '/scratch/wlm',
};

/** What `ctx.resources` holds for a worker configured with these resources. */
function resourcesOf(configured: Record<string, unknown>): ComputeResources {
  return new ComputeResources(computeResourcesSchema.parse(configured));
}

function thrownBy(call: () => unknown): unknown {
  try {
    call();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('ComputeResources (ctx.resources)', () => {
  it('gives a configured resource by name, with its defaults and its name', () => {
    const resources = resourcesOf({ hpc: settings, 'cluster-2': { ...settings, port: 2222 } });
    expect(resources.get('hpc')).toMatchObject({ ...settings, name: 'hpc', port: 22, batchSystem: 'slurm' });
    expect(resources.get('cluster-2')).toMatchObject({ name: 'cluster-2', port: 2222 });
    expect(resources.names).toEqual(['cluster-2', 'hpc']);
  });

  it('fails the task, not retried, naming an unknown resource and the configured ones', () => {
    const error = thrownBy(() => resourcesOf({ hpc: settings, 'cluster-2': settings }).get('gpu'));
    expect(error).toBeInstanceOf(TaskFailure);
    expect(error).toMatchObject({ code: 'RESOURCE_UNKNOWN', retryable: false });
    expect((error as Error).message).toBe(
      'unknown compute resource "gpu" (configured: cluster-2, hpc); ' +
        'add it under "resources.gpu" in the worker\'s config file ($WLM_CONFIG)',
    );
    expect((error as Error).cause).toBeInstanceOf(ComputeResourceError);
    expect((error as Error).cause).toMatchObject({ resource: 'gpu' });
  });

  it('knows no resource when none is configured, not even the names of object properties', () => {
    const resources = new ComputeResources();
    expect(resources.names).toEqual([]);
    for (const name of ['hpc', 'toString', '__proto__']) {
      const error = thrownBy(() => resources.get(name));
      expect(error).toMatchObject({ code: 'RESOURCE_UNKNOWN', retryable: false });
      expect((error as Error).message).toContain(`"${name}" (no compute resource is configured)`);
    }
  });
});
