import { readFileSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseDagDefinition, pluginProblems, topologicalOrder } from '@wlm/commons/dag';
import type { PluginSchemas } from '@wlm/commons/dag';
import { plugin as dataStaging } from '@wlm/task-data-staging';
import { plugin as echo } from '@wlm/task-echo';
import { plugin as envSetup } from '@wlm/task-env-setup';
import { plugin as jobSubmission } from '@wlm/task-job-submission';
import { plugin as shell } from '@wlm/task-shell';

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

  // The same check PUT /api/dags makes; scripts/test/integration/e2e-examples.test.ts runs each one.
  it.each(files)('%s passes the checks of the plugins its tasks run on', (file) => {
    const plugins = new Map<string, PluginSchemas>(
      [dataStaging, echo, envSetup, jobSubmission, shell].map((plugin) => [
        plugin.name,
        plugin as PluginSchemas,
      ]),
    );
    const dag = parseDagDefinition(readFileSync(join(EXAMPLES, file), 'utf8'));
    expect(dag.tasks.filter((task) => !plugins.has(task.type))).toEqual([]);
    expect(pluginProblems(dag, plugins)).toEqual([]);
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
