/**
 * Serf RPC client: membership, tags, user events and event streams of a Serf agent.
 *
 * @example
 * ```ts
 * import { SerfRpcClient } from '@wlm/commons/serf';
 * const serf = await SerfRpcClient.connect({ addr: config.serf.rpcAddr, authKey: config.serf.rpcAuthKey, logger });
 * const alive = await serf.membersFiltered({ status: 'alive', tags: { role: 'worker' } });
 * const stream = await serf.stream(['member-join', 'member-leave', 'member-failed', 'member-update']);
 * for await (const event of stream) handle(event);
 * ```
 */
export { SerfRpcClient } from './serf-rpc-client';
export type {
  SerfMembersFilter,
  SerfQueryOptions,
  SerfQueryResult,
  SerfReconnectOptions,
  SerfRpcClientEvents,
  SerfRpcClientOptions,
  SerfRpcClientState,
} from './serf-rpc-client-options';
export { parseSerfAddr } from './serf-connection';
export { SerfEventStream } from './serf-event-stream';
export type { SerfEventStreamEvents } from './serf-event-stream';
export { compileEventFilter } from './serf-events';
export type {
  SerfEventFilter,
  SerfMemberEvent,
  SerfMemberEventType,
  SerfStreamEvent,
  SerfUserEvent,
} from './serf-events';
export { formatIpAddress } from './serf-member';
export type { SerfMember, SerfMemberStatus } from './serf-member';
export { SERF_COMMANDS } from './serf-protocol';
export type { SerfCommand } from './serf-protocol';
export {
  SERF_FORGET_AFTER,
  SERF_TIMING_PROFILE,
  serfAgentConfig,
  writeSerfAgentConfig,
} from './serf-agent-config';
export type { SerfAgentSettings } from './serf-agent-config';
