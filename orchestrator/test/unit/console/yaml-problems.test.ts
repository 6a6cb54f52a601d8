import { placeProblems } from '../../../console/src/yaml-problems';

const DAG = [
  'type: demo', // 1
  'tasks:', // 2
  '  - id: fetch', // 3
  '    type: echo', // 4
  '  - id: crunch', // 5
  '    type: echo', // 6
  '    after: [fetch, missing]', // 7
  '    retries: 3', // 8
  '  - id: fetch', // 9
  '    type: echo', // 10
].join('\n');

describe('placeProblems', () => {
  it('puts a problem on the field of the task it names', () => {
    expect(
      placeProblems(DAG, [
        'task "crunch": after refers to unknown task "missing"',
        'task "crunch": unknown field "retries"',
      ]),
    ).toEqual([
      { line: 7, message: 'task "crunch": after refers to unknown task "missing"' },
      { line: 8, message: 'task "crunch": unknown field "retries"' },
    ]);
  });

  it('puts a duplicate id on its second occurrence and a cycle on its first task', () => {
    expect(placeProblems(DAG, ['duplicate task id "fetch"', 'cycle: crunch -> fetch -> crunch'])).toEqual([
      { line: 9, message: 'duplicate task id "fetch"' },
      { line: 5, message: 'cycle: crunch -> fetch -> crunch' },
    ]);
  });

  it('uses the line a syntax error names, and the task by position when it has no id', () => {
    expect(placeProblems(DAG, ['YAML syntax error at line 4, column 3: bad indentation'])[0]?.line).toBe(4);
    expect(placeProblems(DAG, ['task #2: type must be a string'])[0]?.line).toBe(6);
  });

  it('leaves a problem that names no task on line 1', () => {
    expect(placeProblems(DAG, ['type must start with a letter'])).toEqual([
      { line: 1, message: 'type must start with a letter' },
    ]);
  });
});
