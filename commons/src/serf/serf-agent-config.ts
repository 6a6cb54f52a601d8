import { writeFileSync } from 'node:fs';

/**
 * What every Serf agent wlm starts is told through its `-config-file` (never its command line, which
 * any user of the host can read in `ps`).
 */
export interface SerfAgentSettings {
  /** Base64 of a 32-byte gossip key (`serf keygen`): gossip is encrypted, and an agent without it cannot join. */
  readonly encryptKey?: string | undefined;
  /** The key RPC clients must present (`rpc_auth`). */
  readonly rpcAuthKey?: string | undefined;
}

/**
 * Serf's `local` timing profile: probes every second with a 200 ms timeout and a suspicion of 3 s
 * (LAN: 4 s with a 500 ms timeout). It is the fastest Serf 0.8 offers — the agent config has no
 * finer memberlist knobs — and what keeps a vanished host's failure within the scheduler's 5 s.
 */
export const SERF_TIMING_PROFILE = 'local';

/**
 * Failed and departed members are forgotten after this. Serf's default (24 h) keeps every crashed
 * incarnation of every worker in the member list, and memberlist sizes its suspicion timeout on the
 * number of members it knows: a list full of dead ones stretched detection to 30 s.
 */
export const SERF_FORGET_AFTER = '10m';

/**
 * How often an agent tries to reach members it considers failed. Serf's default, 30 s, is how long a
 * host whose link came back could stay apart from the cluster; a reconnect attempt is one TCP
 * exchange per failed member.
 */
export const SERF_RECONNECT_INTERVAL = '3s';

/** The agent's JSON config (pure, for tests). */
export function serfAgentConfig(settings: SerfAgentSettings): Record<string, string> {
  return {
    profile: SERF_TIMING_PROFILE,
    reconnect_interval: SERF_RECONNECT_INTERVAL,
    reconnect_timeout: SERF_FORGET_AFTER,
    tombstone_timeout: SERF_FORGET_AFTER,
    ...(settings.encryptKey === undefined ? {} : { encrypt_key: settings.encryptKey }),
    ...(settings.rpcAuthKey === undefined ? {} : { rpc_auth: settings.rpcAuthKey }),
  };
}

/** Writes {@link serfAgentConfig} to `file`, readable by its owner only (it holds the keys). */
export function writeSerfAgentConfig(file: string, settings: SerfAgentSettings): string {
  writeFileSync(file, JSON.stringify(serfAgentConfig(settings)), { mode: 0o600 });
  return file;
}
