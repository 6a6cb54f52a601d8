import { runDirectory } from '@wlm/commons/remote';
import { destinationFor, partialPath, resolveUnder } from '../../src/staging-paths';

describe('staging paths', () => {
  const run = runDirectory('/scratch/wlm/', { experimentId: 'exp-1', run: 2 });

  it('uses the run directory convention of env-setup and job-submission', () => {
    expect(run).toBe('/scratch/wlm/exp-1/2');
  });

  it('resolves relative remote paths under the run directory, absolute ones as they are', () => {
    expect(resolveUnder(run, 'inputs/a.csv')).toBe('/scratch/wlm/exp-1/2/inputs/a.csv');
    expect(resolveUnder(run, 'inputs/')).toBe('/scratch/wlm/exp-1/2/inputs');
    expect(resolveUnder(run, './')).toBe('/scratch/wlm/exp-1/2');
    expect(resolveUnder(run, '../1/outputs/x')).toBe('/scratch/wlm/exp-1/1/outputs/x');
    expect(resolveUnder(run, '/data//x/')).toBe('/data/x');
    expect(resolveUnder(run, '/')).toBe('/');
  });

  it('puts a file into a directory destination under its own name', () => {
    expect(destinationFor('/data/a.csv', '/w/inputs', true)).toBe('/w/inputs/a.csv');
    expect(destinationFor('/data/a.csv', '/w/inputs/b.csv', false)).toBe('/w/inputs/b.csv');
    expect(partialPath('/w/inputs/b.csv')).toBe('/w/inputs/b.csv.part');
  });
});
