import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inputShapeProblems, parseDagDefinition } from '@wlm/commons/dag';
import { DagValidationError } from '@wlm/commons/errors';
import type { DagDefinition } from '@wlm/commons/dag';
import type { JsonValue } from '@wlm/commons/wire';

const ROOT = join(__dirname, '..', '..', '..', '..');

function dagFile(...path: string[]): DagDefinition {
  return parseDagDefinition(readFileSync(join(ROOT, ...path), 'utf8'));
}

const TRANSFER_INPUTS = {
  from: 'archive',
  to: 'hpc',
  source: '/archive/wlm/input.csv',
  target: '/scratch/alice/wlm/shared/input.csv',
  host: 'login.hpc.example.org',
  port: 22,
  user: 'alice',
};

const HPC_INPUTS = { resource: 'hpc', inputFile: '/data/wlm/input.txt', resultsDir: '/data/wlm/results' };

function problemsOf(dag: DagDefinition, inputs: Record<string, JsonValue>) {
  return inputShapeProblems(dag.inputs, inputs).map(({ field, rule }) => ({ field, rule }));
}

describe('experiment inputs against their shapes', () => {
  const transfer = dagFile('scripts', 'test', 'fixtures', 'dags', 'transfer-verified-over-ssh.yaml');
  const hpc = dagFile('orchestrator', 'examples', 'hpc-job.yaml');

  it('accepts the inputs the DAGs document', () => {
    expect(problemsOf(transfer, TRANSFER_INPUTS)).toEqual([]);
    expect(problemsOf(transfer, { ...TRANSFER_INPUTS, port: '2222', host: '127.0.0.1' })).toEqual([]);
    expect(problemsOf(transfer, { ...TRANSFER_INPUTS, host: '::1' })).toEqual([]);
    expect(problemsOf(hpc, HPC_INPUTS)).toEqual([]);
  });

  // The attacks on a DAG whose inputs reach `ssh -p PORT USER@HOST test -s TARGET`.
  it.each([
    ['user', '-oProxyCommand=touch /tmp/pwned', 'user'],
    ['user', 'alice -oProxyCommand=x', 'user'],
    ['host', '-oProxyCommand=touch /tmp/pwned', 'host'],
    ['host', 'login.example.org; rm -rf ~', 'host'],
    ['port', '22 -oProxyCommand=x', 'port'],
    ['port', 0, 'port'],
    ['port', 65536, 'port'],
    ['target', '/scratch/alice/wlm/../../../etc/cron.d/x', 'path'],
    ['target', '-rf', 'path'],
    ['target', '/tmp/x; touch /tmp/pwned', 'path'],
    ['target', '/tmp/$(id)', 'path'],
    ['source', '..', 'path'],
    ['from', '-archive', 'name'],
  ])('the ssh-checked transfer refuses %s = %j (%s)', (field, value, rule) => {
    expect(problemsOf(transfer, { ...TRANSFER_INPUTS, [field]: value })).toEqual([
      { field: `inputs.${field}`, rule },
    ]);
  });

  // The attacks on hpc-job.yaml: a path climbing out, a resource name read as an option.
  it.each([
    ['resultsDir', '../../home/alice/.ssh'],
    ['inputFile', '/data/wlm/../../etc/shadow'],
    ['resource', '--help'],
  ])('hpc-job refuses %s = %j', (field, value) => {
    expect(problemsOf(hpc, { ...HPC_INPUTS, [field]: value })).toHaveLength(1);
  });

  it('names the field, the value and the rule in the message', () => {
    const [problem] = inputShapeProblems(transfer.inputs, {
      ...TRANSFER_INPUTS,
      user: '-oProxyCommand=touch /tmp/pwned',
    });
    expect(problem?.message).toBe(
      'inputs.user: "-oProxyCommand=touch /tmp/pwned" is not a user name ' +
        '(letters, digits, "_", "." and "-", not starting with "-"; 64 at most)',
    );
  });

  it('holds undeclared inputs, nested strings included, to the default rule', () => {
    const problems = inputShapeProblems(undefined, {
      msg: 'hello world',
      n: -3,
      flags: ['ok', '--delete'],
      where: { dir: 'a/../../b' },
      nul: 'a\u0000b',
    });
    expect(problems.map(({ field, rule }) => ({ field, rule }))).toEqual([
      { field: 'inputs.flags[1]', rule: 'default' },
      { field: 'inputs.where.dir', rule: 'default' },
      { field: 'inputs.nul', rule: 'default' },
    ]);
    expect(problems[0]?.message).toMatch(
      /^inputs\.flags\[1\]: "--delete" is refused: no string of an undeclared input may start with "-"/,
    );
  });

  it('lets text and json inputs through as their author declared', () => {
    const declared = { note: { shape: 'text' as const }, grid: { shape: 'json' as const } };
    expect(inputShapeProblems(declared, { note: '-- a note ../', grid: ['-1', '..'] })).toEqual([]);
    expect(inputShapeProblems(declared, { note: 3 })).toEqual([
      { field: 'inputs.note', rule: 'text', message: 'inputs.note: 3 is not text (a string)' },
    ]);
  });

  it('refuses a DAG declaring a shape that does not exist', () => {
    const call = () =>
      parseDagDefinition(
        JSON.stringify({
          type: 't',
          inputs: { who: { shape: 'email' } },
          tasks: [{ id: 'a', type: 'echo' }],
        }),
      );
    expect(call).toThrow(DagValidationError);
    expect(call).toThrow(/inputs\.who\.shape.*must be one of host, user, port, path, name, text, json/);
  });
});
