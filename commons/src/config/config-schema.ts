import { z } from 'zod';
import { computeResourcesSchema } from '../remote/compute-resource';
import { apiTokensSchema } from './api-tokens';

const port = z.coerce.number().int().min(1).max(65535);
/** A metrics port: a number (0 picks a free port, printed at start) or `off` to serve none. */
const metricsPort = z.union([z.literal('off'), z.coerce.number().int().min(0).max(65535)]);
const hostPort = z.string().regex(/^[^:\s]+:\d{1,5}$/, 'expected host:port, e.g. 127.0.0.1:7373');
/** A store call's time limit: long enough for a 500-event batch, short enough to fail over. */
const storeTimeoutMs = z.coerce.number().int().min(100).max(600_000).default(10_000);
const url = (protocols: readonly string[]) =>
  z.url().refine((value) => protocols.some((p) => value.startsWith(`${p}://`)), {
    message: `expected a ${protocols.join(' or ')}:// URL`,
  });

/** Every setting of every wlm service, with the defaults of the local stack (README.md, Configuration). */
export const configSchema = z.strictObject({
  rabbitmq: z
    .strictObject({
      /** `amqp://`, or with TLS `amqps://` (the server's certificate and host name checked). */
      url: url(['amqp', 'amqps']).default('amqp://guest:guest@127.0.0.1:5672'),
      /** PEM file of the CA that signed the broker's certificate, for `amqps://`; default the system's CAs. */
      caFile: z.string().min(1).optional(),
      prefetch: z.coerce.number().int().min(1).max(65535).default(100),
      /**
       * Deliveries of one message before its consumer dead-letters it: failed handlings and crashes of
       * the consumer (its channel lost mid-handling) alike. See docs/operations.md.
       */
      maxDeliveries: z.coerce.number().int().min(1).max(1000).default(10),
    })
    .refine((rabbitmq) => rabbitmq.caFile === undefined || rabbitmq.url.startsWith('amqps://'), {
      message: 'rabbitmq.caFile is for TLS: use an amqps:// URL',
      path: ['caFile'],
    })
    .prefault({}),
  mysql: z
    .strictObject({
      /** `mysql://user:password@host:port/database`; TLS with `?ssl-mode=VERIFY_IDENTITY&ssl-ca=/path/ca.pem`. */
      url: url(['mysql']).default('mysql://root@127.0.0.1:3306/wlm'),
      /** Longest a store call may take, retries included; past it the call fails, retryably. */
      timeoutMs: storeTimeoutMs,
    })
    .prefault({}),
  neo4j: z
    .strictObject({
      /**
       * `bolt://`, or with TLS `bolt+s://` (certificate and host name checked) or `bolt+ssc://` (any
       * certificate accepted: encrypted, not authenticated); `neo4j[+s|+ssc]://` routes.
       */
      url: url(['bolt', 'bolt+s', 'bolt+ssc', 'neo4j', 'neo4j+s', 'neo4j+ssc']).default(
        'bolt://127.0.0.1:7687',
      ),
      /** PEM file of the CA that signed the server's certificate, for `+s` URLs; default the system's CAs. */
      caFile: z.string().min(1).optional(),
      user: z.string().min(1).default('neo4j'),
      password: z.string().min(8).default('wlm-dev-password'),
      /** Longest a store call may take, retries included; past it the call fails, retryably. */
      timeoutMs: storeTimeoutMs,
    })
    .refine((neo4j) => neo4j.caFile === undefined || /^(bolt|neo4j)\+s:\/\//.test(neo4j.url), {
      message: 'neo4j.caFile is for a certificate checked against it: use a bolt+s:// or neo4j+s:// URL',
      path: ['caFile'],
    })
    .prefault({}),
  /** The orchestrators' leader election (docs/recovery.md, "A change of leader"). */
  leader: z
    .strictObject({
      /**
       * MySQL drops a session of an orchestrator that has been silent this long — freeing the leader
       * lock and rolling back its transactions — and a leader that cannot reach MySQL gives the
       * leadership up well within it. A standby takes over after at most this long.
       */
      leaseSeconds: z.coerce.number().int().min(2).max(3600).default(10),
      /** How long a deposed leader waits for the event batch in hand before handing its events back. */
      handoverTimeoutMs: z.coerce.number().int().min(0).max(600_000).default(3000),
      /**
       * Task-event batches the leader handles at once, never two with events of one experiment:
       * their Neo4j and MySQL round trips overlap. Worth raising where the stores' round trips, not
       * the CPU they share with the leader, bound a batch; on one 2-core host with every store, 3
       * ran slower than 1 on nearly every shape, by up to 36% (docs/performance.md), hence the default.
       */
      eventBatchesInFlight: z.coerce.number().int().min(1).max(16).default(1),
    })
    .prefault({}),
  http: z
    .strictObject({
      host: z.string().min(1).default('127.0.0.1'),
      port: port.default(8080),
    })
    .prefault({}),
  /**
   * `/metrics`, `/healthz` and `/readyz` of the services without an HTTP server of their own (the
   * orchestrator serves them on its API port), on `http.host`. Run two on one host with other ports.
   */
  metrics: z
    .strictObject({
      schedulerPort: metricsPort.default(9464),
      workerPort: metricsPort.default(9465),
    })
    .prefault({}),
  api: z
    .strictObject({
      /** Named tokens with scopes, or plain secrets (each with every scope): see api-tokens.ts. */
      tokens: apiTokensSchema,
    })
    .prefault({}),
  serf: z
    .strictObject({
      rpcAddr: hostPort.default('127.0.0.1:7373'),
      /** The key Serf agents demand of RPC clients (`rpc_auth`); prefer `rpcAuthKeyFile`. */
      rpcAuthKey: z.string().optional(),
      /**
       * A file holding the RPC auth key. Default: the one `wlm stack up` generated under the stack
       * dir (`serf/rpc-auth.key`), when it exists.
       */
      rpcAuthKeyFile: z.string().min(1).optional(),
      /** The gossip address of a cluster member to join through (a worker's default `--join`). */
      bindAddr: hostPort.default('127.0.0.1:7946'),
      /** Where a worker's own agent binds its gossip: `host` or `host:port`; default 127.0.0.1, a free port. */
      agentBind: z.string().regex(/^\S+$/, 'expected host or host:port').optional(),
      /** The address other agents reach a worker's own agent at, when it is not `agentBind`'s. */
      agentAdvertise: z.string().regex(/^\S+$/, 'expected host or host:port').optional(),
      /** Base64 of a 32-byte key (`serf keygen`); when set, gossip is encrypted. */
      encryptKey: z.base64().optional(),
      /**
       * A file holding the gossip key. Default: the one `wlm stack up` generated under the stack dir
       * (`serf/gossip.key`), when it exists.
       */
      encryptKeyFile: z.string().min(1).optional(),
    })
    .prefault({}),
  ssh: z
    .strictObject({
      host: z.string().min(1).default('127.0.0.1'),
      port: port.default(2222),
    })
    .prefault({}),
  smtp: z
    .strictObject({
      host: z.string().min(1).default('127.0.0.1'),
      port: port.default(2525),
      from: z.email().default('wlm@localhost'),
      adminEmail: z
        .string()
        .regex(/^[^@\s]+@[^@\s]+$/, 'expected an email address')
        .default('admin@localhost'),
    })
    .prefault({}),
  /** Only the benchmark's BullMQ comparison uses it; `wlm stack up --with-redis` starts it. */
  redis: z
    .strictObject({
      url: url(['redis']).default('redis://127.0.0.1:6379'),
    })
    .prefault({}),
  stack: z
    .strictObject({
      /** Where `wlm stack` keeps downloads, data, logs and PID files; relative to the working directory. */
      dir: z.string().min(1).default('.wlm'),
    })
    .prefault({}),
  orchestrator: z
    .strictObject({
      /** How often the leader looks for experiments RUNNING with nothing in flight (docs/recovery.md). */
      reconcileIntervalMs: z.coerce.number().int().min(100).max(86_400_000).default(30_000),
      /** Most experiments one reconciliation pass examines; the next pass goes on from there. */
      reconcileMaxPerPass: z.coerce.number().int().min(1).max(100_000).default(200),
    })
    .prefault({}),
  log: z
    .strictObject({
      level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    })
    .prefault({}),
  /** What `data-staging` may read and write on the worker's own disk (docs/compute-resources.md). */
  staging: z
    .strictObject({
      /**
       * Absolute directories; a local source or destination must lie inside one of them, symbolic
       * links resolved. None by default: a worker stages nothing to or from its disk until told where.
       */
      localRoots: z
        .array(z.string().startsWith('/', 'expected an absolute directory, e.g. /data/wlm'))
        .default([]),
    })
    .prefault({}),
  /** Compute resources (HPC hosts reached over SSH) by name; the remote side owns their schema. */
  resources: computeResourcesSchema,
});

/** Validated configuration, every default filled in. */
export type WlmConfig = z.infer<typeof configSchema>;
/** What a config file or a caller may give: any subset of {@link WlmConfig}. */
export type WlmConfigInput = z.input<typeof configSchema>;
