import { envSetupParamsSchema, plugin } from '@wlm/task-env-setup';
import { runDirectory } from '@wlm/commons/remote';
import { runPaths } from '../../src/run-paths';

function messagesOf(params: unknown): string[] {
  const result = envSetupParamsSchema.safeParse(params);
  expect(result.success).toBe(false);
  return result.success
    ? []
    : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

describe('env-setup params', () => {
  it('defaults setupCommands to none and leaves workDir to the run directory', () => {
    expect(plugin.inputSchema.parse({ resource: 'hpc' })).toEqual({ resource: 'hpc', setupCommands: [] });
  });

  it('takes commands and an absolute workDir', () => {
    const params = {
      resource: 'hpc',
      setupCommands: ['module load gcc', 'export A=1'],
      workDir: '/scratch/x',
    };
    expect(envSetupParamsSchema.parse(params)).toEqual(params);
  });

  it('names what is wrong: a relative workDir, an empty command, an unknown key, a missing resource', () => {
    expect(messagesOf({ resource: 'hpc', workDir: 'scratch/x' })).toEqual([
      'workDir: expected an absolute path on the resource, e.g. /scratch/wlm/exp-42',
    ]);
    expect(messagesOf({ resource: 'hpc', setupCommands: ['ok', ''] })).toEqual([
      'setupCommands.1: a setup command cannot be empty',
    ]);
    expect(messagesOf({ resource: 'hpc', commands: ['x'] })).toEqual([expect.stringContaining('commands')]);
    expect(messagesOf({})).toEqual([expect.stringMatching(/^resource: /)]);
  });
});

describe('run paths', () => {
  it('puts the run directory under the work root, by experiment and run', () => {
    expect(runDirectory('/scratch/wlm/', { experimentId: 'exp-1', run: 3 })).toBe('/scratch/wlm/exp-1/3');
    expect(runDirectory('/scratch/wlm', { experimentId: 'exp-1', run: 1 })).toBe('/scratch/wlm/exp-1/1');
  });

  it('names inputs, outputs and logs under the work directory', () => {
    expect(runPaths('/w/exp/1/')).toEqual({
      workDir: '/w/exp/1',
      inputsDir: '/w/exp/1/inputs',
      outputsDir: '/w/exp/1/outputs',
      logsDir: '/w/exp/1/logs',
    });
    expect(runPaths('/')).toEqual({
      workDir: '/',
      inputsDir: '/inputs',
      outputsDir: '/outputs',
      logsDir: '/logs',
    });
  });
});
