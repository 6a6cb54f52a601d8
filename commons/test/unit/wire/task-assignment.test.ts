import { parseMessage, taskAssignmentSchema, taskRequestSchema } from '@wlm/commons/wire';
import { issuesOf, validAssignment, validRequest, without } from './wire-fixtures';

describe('TaskAssignment', () => {
  it('carries every request field plus who got it and when', () => {
    const assignment = parseMessage(taskAssignmentSchema, validAssignment());
    expect(assignment).toEqual(validAssignment());
    // The request part alone is a valid request: a worker could hand it back for a retry.
    const request = without(assignment, 'assignmentId', 'workerId', 'assignedAt');
    expect(parseMessage(taskRequestSchema, request)).toEqual(validRequest());
  });

  it('is not a bare request', () => {
    const issues = issuesOf(() => parseMessage(taskAssignmentSchema, validRequest()));
    expect(issues.map((issue) => issue.split(':')[0]).sort()).toEqual([
      'assignedAt',
      'assignmentId',
      'workerId',
    ]);
  });

  it('rejects a worker id that cannot be part of a queue name', () => {
    const issues = issuesOf(() =>
      parseMessage(taskAssignmentSchema, { ...validAssignment(), workerId: 'w 1/x' }),
    );
    expect(issues).toEqual([expect.stringMatching(/^workerId: /)]);
  });

  it('validates the request fields too', () => {
    const issues = issuesOf(() =>
      parseMessage(taskAssignmentSchema, { ...validAssignment(), constraints: { labels: { site: false } } }),
    );
    expect(issues).toEqual([expect.stringMatching(/^constraints\.labels\.site: /)]);
  });
});
