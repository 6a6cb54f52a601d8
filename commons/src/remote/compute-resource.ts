import { z } from 'zod';
import { ComputeResourceError } from './ssh-errors';

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name');
const ms = (defaultMs: number) => z.int().min(1).default(defaultMs);

/** A public key as OpenSSH writes it: `type base64 [comment]`. */
const publicKeyLine = z
  .string()
  .regex(
    /^(ssh-[a-z0-9-]+|ecdsa-sha2-nistp\d+|sk-[a-z0-9@.-]+) [A-Za-z0-9+/]+={0,2}( .*)?$/,
    'expected a public key line such as "ssh-ed25519 AAAAC3Nza…" (the host\'s /etc/ssh/ssh_host_ed25519_key.pub)',
  );

/**
 * One compute resource (an HPC login node, say) as configured under `resources.<name>`. Only the
 * *location* of secrets appears here — a key file path, the name of an environment variable holding its
 * passphrase, an ssh-agent socket — so the settings may be logged, shown and sent around freely.
 */
export const computeResourceSchema = z
  .strictObject({
    host: z.string().min(1),
    port: z.int().min(1).max(65535).default(22),
    user: z.string().min(1),
    /** An OpenSSH private key on the worker's disk; `~/` is the home directory of the worker's user. */
    privateKeyFile: z.string().min(1).optional(),
    /** The environment variable holding the key's passphrase; the passphrase itself is never configured. */
    privateKeyPassphraseEnv: envName.optional(),
    /** An ssh-agent socket (the value of `SSH_AUTH_SOCK`). */
    agent: z.string().min(1).optional(),
    /** The host's public key, pinned: `ssh-ed25519 AAAA…`. */
    hostKey: publicKeyLine.optional(),
    /** An OpenSSH known_hosts file with the entry of `host` (`[host]:port` when the port is not 22). */
    knownHostsFile: z.string().min(1).optional(),
    /** An absolute directory on the resource under which tasks work. */
    workRoot: z.string().startsWith('/', 'expected an absolute path on the resource, e.g. /scratch/wlm'),
    /**
     * Absolute directories outside `workRoot` that tasks may also use on the resource (a shared data
     * area, say): staged files and work directories must lie inside `workRoot` or one of these.
     */
    allowedRoots: z
      .array(z.string().startsWith('/', 'expected an absolute path on the resource, e.g. /data/shared'))
      .default([]),
    batchSystem: z.enum(['slurm', 'local']).default('slurm'),
    /** Queue (SLURM partition) used when a task names none. */
    defaultQueue: z.string().min(1).optional(),
    /** Exported before every command, e.g. `SLURM_CONF` or `PATH`. */
    env: z.record(envName, z.string()).default({}),
    limits: z
      .strictObject({
        maxNodes: z.int().min(1).default(1),
        maxCpusPerTask: z.int().min(1).optional(),
        maxWallTimeMinutes: z.int().min(1).optional(),
      })
      .prefault({}),
    connection: z
      .strictObject({
        /** TCP connect plus SSH handshake plus login, per attempt. */
        connectTimeoutMs: ms(10_000),
        keepAliveIntervalMs: ms(15_000),
        /** Connect attempts in all, the first included, for failures that may pass (timeouts, refusals). */
        maxAttempts: z.int().min(1).max(100).default(4),
        backoffMs: ms(500),
        maxBackoffMs: ms(8_000),
        /** A pooled connection nobody used for this long is closed. */
        idleCloseMs: ms(60_000),
      })
      .refine((c) => !(c.backoffMs > c.maxBackoffMs), {
        path: ['backoffMs'],
        message: 'backoffMs must not exceed maxBackoffMs',
      })
      .prefault({}),
  })
  .check((ctx) => {
    const resource = ctx.value;
    const keyFile = resource.privateKeyFile !== undefined;
    const agent = resource.agent !== undefined;
    if (keyFile === agent) {
      ctx.issues.push({
        code: 'custom',
        input: resource,
        path: keyFile ? ['agent'] : [],
        message: keyFile
          ? 'set either privateKeyFile or agent, not both'
          : 'set privateKeyFile (an OpenSSH private key file) or agent (an ssh-agent socket) to log in with',
      });
    }
    if (resource.privateKeyPassphraseEnv !== undefined && !keyFile) {
      ctx.issues.push({
        code: 'custom',
        input: resource,
        path: ['privateKeyPassphraseEnv'],
        message: 'privateKeyPassphraseEnv is the passphrase of privateKeyFile, which is not set',
      });
    }
    if (resource.hostKey === undefined && resource.knownHostsFile === undefined) {
      ctx.issues.push({
        code: 'custom',
        input: resource,
        path: [],
        message:
          'set hostKey (the host\'s public key, "ssh-ed25519 AAAA…") or knownHostsFile: ' +
          'a host whose key cannot be checked is never connected to',
      });
    }
  });

/** A compute resource's settings as written in the config; see {@link computeResourceSchema}. */
export type ComputeResourceInput = z.input<typeof computeResourceSchema>;

/** A configured compute resource, defaults filled in, with the name experiments refer to it by. */
export type ComputeResource = z.infer<typeof computeResourceSchema> & { readonly name: string };

/**
 * The `resources` section of the wlm config: compute resources by the name experiments refer to
 * them with. The config schema composes it; the worker hands the validated section to its tasks.
 */
export const computeResourcesSchema = z
  .record(z.string().regex(/^[a-z][a-z0-9_-]{0,62}$/), computeResourceSchema, {
    error: (issue) =>
      issue.code === 'invalid_key'
        ? 'expected a resource name of lowercase letters, digits, "_" and "-", such as "hpc" or "cluster-2"'
        : undefined,
  })
  .default({});

/** The `resources` section validated: each resource's settings, defaults filled in, by name. */
export type ComputeResourcesConfig = z.infer<typeof computeResourcesSchema>;

/**
 * The resource named `name` in a validated `resources` section.
 *
 * @throws {@link ComputeResourceError} `RESOURCE_UNKNOWN` naming the configured resources.
 */
export function computeResource(resources: ComputeResourcesConfig, name: string): ComputeResource {
  const settings = Object.hasOwn(resources, name) ? resources[name] : undefined;
  if (settings === undefined) {
    const names = Object.keys(resources).sort();
    const configured =
      names.length === 0 ? 'no compute resource is configured' : `configured: ${names.join(', ')}`;
    throw new ComputeResourceError(
      'RESOURCE_UNKNOWN',
      name,
      `unknown compute resource "${name}" (${configured}); ` +
        `add it under "resources.${name}" in the worker's config file ($WLM_CONFIG)`,
    );
  }
  return { ...settings, name };
}
