import { SerfRpcError } from '../../../src/errors';
import { compileEventFilter } from '../../../src/serf/serf-events';
import type { SerfEventFilter } from '../../../src/serf/serf-events';

describe('compileEventFilter', () => {
  it('expands * to member and user events, leaving queries out', () => {
    expect(compileEventFilter('*')).toBe(
      'member-join,member-leave,member-failed,member-update,member-reap,user',
    );
  });

  it('joins several filters and drops duplicates', () => {
    expect(compileEventFilter(['member-failed', 'user:deploy', 'member-failed'])).toBe(
      'member-failed,user:deploy',
    );
  });

  it.each([[[]], ['user:'], ['user:a,b'], ['query'], ['member-suspect']])('refuses %j', (filter) => {
    let error: unknown;
    try {
      compileEventFilter(filter as SerfEventFilter);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SerfRpcError);
    expect(error).toMatchObject({ kind: 'invalid-request', code: 'SERF_RPC_ERROR' });
  });
});
