import { cancelTaskSchema, controlMessageSchema, controlRoutingKey, parseMessage } from '@wlm/commons/wire';
import { AT, issuesOf } from './wire-fixtures';

describe('ControlMessage', () => {
  it('cancels one task or a whole experiment', () => {
    const one = {
      v: 1,
      type: 'CANCEL_TASK',
      experimentId: 'exp-1',
      run: 1,
      taskId: 'b',
      requestedAt: AT,
    } as const;
    const all = {
      v: 1,
      type: 'CANCEL_TASK',
      experimentId: 'exp-1',
      run: 1,
      reason: 'user',
      requestedAt: AT,
    } as const;
    expect(parseMessage(controlMessageSchema, one)).toEqual(one);
    expect(parseMessage(cancelTaskSchema, all).taskId).toBeUndefined();
    expect(controlRoutingKey(one)).toBe('control.cancel_task');
  });

  it('rejects an unknown control type, naming the discriminator', () => {
    const issues = issuesOf(() =>
      parseMessage(controlMessageSchema, { v: 1, type: 'SELF_DESTRUCT', experimentId: 'e', requestedAt: AT }),
    );
    expect(issues).toEqual([expect.stringMatching(/^type: /)]);
  });

  it('rejects a cancel without an experiment', () => {
    const issues = issuesOf(() =>
      parseMessage(controlMessageSchema, { v: 1, type: 'CANCEL_TASK', requestedAt: AT }),
    );
    expect(issues).toEqual([expect.stringMatching(/^experimentId: /), expect.stringMatching(/^run: /)]);
  });
});
