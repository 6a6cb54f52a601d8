import { TaskFailure } from '@wlm/commons/errors';
import {
  PATH_OUTSIDE_ROOTS,
  checkInsideRoots,
  isInsideRoot,
  normalizedPath,
  resourceRoots,
} from '@wlm/commons/remote';
import type { ComputeResource } from '@wlm/commons/remote';

const RESOURCE = {
  name: 'hpc',
  workRoot: '/scratch/wlm/',
  allowedRoots: ['/data/shared'],
} as unknown as ComputeResource;

function failureOf(call: () => void): TaskFailure {
  try {
    call();
  } catch (error) {
    if (error instanceof TaskFailure) return error;
    throw error;
  }
  throw new Error('expected a TaskFailure');
}

describe('path roots', () => {
  it('normalises . and .. and trailing slashes', () => {
    expect(normalizedPath('/scratch/wlm/exp/../../etc/')).toBe('/scratch/etc');
    expect(normalizedPath('//')).toBe('/');
  });

  it('counts a root and what is below it as inside, never a sibling sharing its prefix', () => {
    expect(isInsideRoot('/scratch/wlm', '/scratch/wlm/')).toBe(true);
    expect(isInsideRoot('/scratch/wlm/exp-1/1', '/scratch/wlm')).toBe(true);
    expect(isInsideRoot('/scratch/wlm-other/x', '/scratch/wlm')).toBe(false);
    expect(isInsideRoot('/scratch/wlm/exp/../../../etc/passwd', '/scratch/wlm')).toBe(false);
    expect(isInsideRoot('/anything', '/')).toBe(true);
  });

  it("takes a resource's work root and the roots it allows beyond it", () => {
    expect(resourceRoots(RESOURCE)).toEqual({
      dirs: ['/scratch/wlm', '/data/shared'],
      setting: 'resources.hpc.workRoot and allowedRoots',
      grant: 'resources.hpc.allowedRoots',
    });
    expect(() => checkInsideRoots('workDir', '/data/shared/exp-1', resourceRoots(RESOURCE))).not.toThrow();
  });

  it('fails a path outside, not retryably, naming the field, the roots and the setting to change', () => {
    const failure = failureOf(() =>
      checkInsideRoots('workDir', normalizedPath('/scratch/wlm/../../home/alice'), resourceRoots(RESOURCE)),
    );
    expect(failure).toMatchObject({ code: PATH_OUTSIDE_ROOTS, retryable: false });
    expect(failure.message).toBe(
      'workDir: /home/alice is outside the directories tasks may use ' +
        '(resources.hpc.workRoot and allowedRoots: /scratch/wlm, /data/shared); ' +
        'use a path inside them, or add its directory to resources.hpc.allowedRoots',
    );
  });
});
