import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../errors/config-error';
import { formatIssuePath } from '../wire/issue-path';
import { configSchema } from './config-schema';
import { withSerfKeys } from './serf-keys';
import type { WlmConfig } from './config-schema';

/** Environment variables and the config keys they set. Lists are comma-separated. */
export const CONFIG_ENVIRONMENT: Readonly<Record<string, { path: readonly [string, string]; list?: true }>> =
  {
    WLM_RABBITMQ_URL: { path: ['rabbitmq', 'url'] },
    WLM_RABBITMQ_CA_FILE: { path: ['rabbitmq', 'caFile'] },
    WLM_RABBITMQ_PREFETCH: { path: ['rabbitmq', 'prefetch'] },
    WLM_RABBITMQ_MAX_DELIVERIES: { path: ['rabbitmq', 'maxDeliveries'] },
    WLM_MYSQL_URL: { path: ['mysql', 'url'] },
    WLM_MYSQL_TIMEOUT_MS: { path: ['mysql', 'timeoutMs'] },
    WLM_NEO4J_URL: { path: ['neo4j', 'url'] },
    WLM_NEO4J_CA_FILE: { path: ['neo4j', 'caFile'] },
    WLM_NEO4J_USER: { path: ['neo4j', 'user'] },
    WLM_NEO4J_PASSWORD: { path: ['neo4j', 'password'] },
    WLM_NEO4J_TIMEOUT_MS: { path: ['neo4j', 'timeoutMs'] },
    WLM_LEADER_LEASE_SECONDS: { path: ['leader', 'leaseSeconds'] },
    WLM_LEADER_HANDOVER_TIMEOUT_MS: { path: ['leader', 'handoverTimeoutMs'] },
    WLM_LEADER_EVENT_BATCHES_IN_FLIGHT: { path: ['leader', 'eventBatchesInFlight'] },
    WLM_HTTP_HOST: { path: ['http', 'host'] },
    WLM_HTTP_PORT: { path: ['http', 'port'] },
    WLM_METRICS_SCHEDULER_PORT: { path: ['metrics', 'schedulerPort'] },
    WLM_METRICS_WORKER_PORT: { path: ['metrics', 'workerPort'] },
    WLM_API_TOKEN: { path: ['api', 'tokens'], list: true },
    WLM_SERF_RPC_ADDR: { path: ['serf', 'rpcAddr'] },
    WLM_SERF_RPC_AUTH_KEY: { path: ['serf', 'rpcAuthKey'] },
    WLM_SERF_BIND_ADDR: { path: ['serf', 'bindAddr'] },
    WLM_SERF_ENCRYPT_KEY: { path: ['serf', 'encryptKey'] },
    WLM_SERF_ENCRYPT_KEY_FILE: { path: ['serf', 'encryptKeyFile'] },
    WLM_SERF_RPC_AUTH_KEY_FILE: { path: ['serf', 'rpcAuthKeyFile'] },
    WLM_SERF_AGENT_BIND: { path: ['serf', 'agentBind'] },
    WLM_SERF_AGENT_ADVERTISE: { path: ['serf', 'agentAdvertise'] },
    WLM_SSH_HOST: { path: ['ssh', 'host'] },
    WLM_SSH_PORT: { path: ['ssh', 'port'] },
    WLM_SMTP_HOST: { path: ['smtp', 'host'] },
    WLM_SMTP_PORT: { path: ['smtp', 'port'] },
    WLM_SMTP_FROM: { path: ['smtp', 'from'] },
    WLM_ADMIN_EMAIL: { path: ['smtp', 'adminEmail'] },
    WLM_REDIS_URL: { path: ['redis', 'url'] },
    WLM_STACK_DIR: { path: ['stack', 'dir'] },
    WLM_LOG_LEVEL: { path: ['log', 'level'] },
    WLM_STAGING_LOCAL_ROOTS: { path: ['staging', 'localRoots'], list: true },
    WLM_ORCHESTRATOR_RECONCILE_INTERVAL_MS: { path: ['orchestrator', 'reconcileIntervalMs'] },
    WLM_ORCHESTRATOR_RECONCILE_MAX_PER_PASS: { path: ['orchestrator', 'reconcileMaxPerPass'] },
  };

export interface LoadConfigOptions {
  /** Defaults to `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** A JSON or YAML file; defaults to `$WLM_CONFIG` when set. */
  file?: string;
}

type Section = Record<string, unknown>;

/** A config file's settings as written (JSON or YAML), before defaults and validation. */
export function readConfigFile(file: string): Record<string, Section> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError('WLM_CONFIG', `cannot read config file ${file}: ${(error as Error).message}`);
  }
  try {
    const parsed: unknown = extname(file) === '.json' ? JSON.parse(text) : parseYaml(text);
    if (parsed === null || parsed === undefined) return {};
    if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('expected a mapping at the top');
    return parsed as Record<string, Section>;
  } catch (error) {
    throw new ConfigError('WLM_CONFIG', `config file ${file} is not valid: ${(error as Error).message}`);
  }
}

function applyEnvironment(config: Record<string, Section>, env: NodeJS.ProcessEnv): Map<string, string> {
  const sourceOfKey = new Map<string, string>();
  for (const [variable, { path, list }] of Object.entries(CONFIG_ENVIRONMENT)) {
    const raw = env[variable];
    if (raw === undefined || raw === '') continue;
    const [section, key] = path;
    const value = list ? raw.split(',').map((item) => item.trim()) : raw;
    config[section] = { ...config[section], [key]: value };
    sourceOfKey.set(formatIssuePath([section, key]), variable);
  }
  return sourceOfKey;
}

function describeIssue(
  issue: z.core.$ZodIssue,
  sourceOfKey: Map<string, string>,
  file?: string,
): ConfigError {
  const key = formatIssuePath(issue.path);
  const topKey = formatIssuePath(issue.path.slice(0, 2));
  const variable = sourceOfKey.get(topKey);
  const where = variable ? ` (from ${variable})` : file ? ` (in ${file})` : '';
  return new ConfigError(key, `config ${key}${where}: ${issue.message}`);
}

/**
 * Reads the configuration once per process: defaults, then the config file, then `WLM_*` variables,
 * then the Serf keys from their files ({@link withSerfKeys}).
 * A bad value throws a {@link ConfigError} naming the key and where it came from.
 */
export function loadConfig(options: LoadConfigOptions = {}): WlmConfig {
  const env = options.env ?? process.env;
  const file = options.file ?? env['WLM_CONFIG'];
  const raw = file ? readConfigFile(file) : {};
  const sourceOfKey = applyEnvironment(raw, env);
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    const [first] = result.error.issues;
    throw first ? describeIssue(first, sourceOfKey, file) : new ConfigError('', 'config is not valid');
  }
  return withSerfKeys(result.data);
}
