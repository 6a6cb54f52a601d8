import { describeIssue, describeIssues, formatIssuePath } from '@wlm/commons/wire';

describe('formatIssuePath', () => {
  it.each([
    [[], ''],
    [['context'], 'context'],
    [['context', 'files', 2], 'context.files[2]'],
    [['constraints', 'labels', 'site name'], 'constraints.labels["site name"]'],
    [[0, 'a'], '[0].a'],
    [['tasks', 'stage-in', '$ref'], 'tasks.stage-in.$ref'],
  ])('formats %j as %s', (path, expected) => {
    expect(formatIssuePath(path)).toBe(expected);
  });

  it('continues a root given as text', () => {
    expect(formatIssuePath(['priority'], 'body')).toBe('body.priority');
    expect(formatIssuePath([2, 'src'], 'items[3]')).toBe('items[3][2].src');
    expect(formatIssuePath([], 'body')).toBe('body');
  });
});

describe('describeIssue', () => {
  it('puts the path before the message, or gives the message alone for the value itself', () => {
    expect(describeIssue({ path: ['files', 0], message: 'expected string' }, 'params')).toBe(
      'params.files[0]: expected string',
    );
    expect(describeIssue({ path: [], message: 'expected object' })).toBe('expected object');
  });

  it('joins several issues with semicolons', () => {
    const issues = [
      { path: ['a'], message: 'x' },
      { path: ['b', 1], message: 'y' },
    ];
    expect(describeIssues(issues, 'outputs')).toBe('outputs.a: x; outputs.b[1]: y');
  });
});
