import { readFileSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseDagDefinition, topologicalOrder } from '@wlm/commons';

const EXAMPLES = join(__dirname, '..', '..', 'examples');
const files = readdirSync(EXAMPLES).filter((file) => file.endsWith('.yaml'));

describe('orchestrator/examples', () => {
  it('holds the four documented experiment types', () => {
    expect(files.map((file) => basename(file, '.yaml')).sort()).toEqual([
      'cloud-job',
      'data-transfer',
      'hpc-job',
      'parameter-sweep',
    ]);
  });

  it.each(files)('%s validates, and its type is its file name', (file) => {
    const dag = parseDagDefinition(readFileSync(join(EXAMPLES, file), 'utf8'));
    expect(dag.type).toBe(basename(file, '.yaml'));
    expect(topologicalOrder(dag)).toHaveLength(dag.tasks.length);
  });

  it('hpc-job runs env-setup, data staging in, job submission and data staging out in order', () => {
    const dag = parseDagDefinition(readFileSync(join(EXAMPLES, 'hpc-job.yaml'), 'utf8'));
    expect(topologicalOrder(dag)).toEqual(['env-setup', 'stage-in', 'run-job', 'stage-out']);
    expect(dag.tasks.map((task) => task.type)).toEqual([
      'env-setup',
      'data-staging',
      'job-submission',
      'data-staging',
    ]);
  });

  it('parameter-sweep fans out and back in', () => {
    const dag = parseDagDefinition(readFileSync(join(EXAMPLES, 'parameter-sweep.yaml'), 'utf8'));
    const collect = dag.tasks.find((task) => task.id === 'collect');
    expect(collect?.after).toHaveLength(5);
    expect(dag.tasks.filter((task) => task.after?.includes('prepare'))).toHaveLength(5);
  });
});
