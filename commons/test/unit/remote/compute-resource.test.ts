import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { loadConfig } from '@wlm/commons/config';
import { ConfigError } from '@wlm/commons/errors';
import {
  ComputeResourceError,
  computeResource,
  computeResourceSchema,
  shellQuote,
} from '@wlm/commons/remote';
import { exportEnvironment } from '../../../src/remote/remote-shell';

const HOST_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINRYNIbEoerwmm7xqgIJQPosZQulIyX3N9wkydsSQjxy';
const minimal = {
  host: 'hpc.example.org',
  user: 'wlm',
  privateKeyFile: '~/.ssh/id_ed25519',
  hostKey: HOST_KEY,
  workRoot: '/scratch/wlm',
};

function without(key: keyof typeof minimal): Record<string, string> {
  return Object.fromEntries(Object.entries(minimal).filter(([name]) => name !== key));
}

/** "path: message" of each issue, to assert on what a person would read. */
function issues(input: unknown): string[] {
  const result = computeResourceSchema.safeParse(input);
  if (result.success) return [];
  return result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

describe('computeResourceSchema', () => {
  it('fills in the defaults', () => {
    expect(computeResourceSchema.parse(minimal)).toEqual({
      ...minimal,
      port: 22,
      allowedRoots: [],
      batchSystem: 'slurm',
      env: {},
      limits: { maxNodes: 1 },
      connection: {
        connectTimeoutMs: 10_000,
        keepAliveIntervalMs: 15_000,
        maxAttempts: 4,
        backoffMs: 500,
        maxBackoffMs: 8_000,
        idleCloseMs: 60_000,
      },
    });
  });

  it('wants exactly one way to log in', () => {
    const noLogin = without('privateKeyFile');
    expect(issues(noLogin)).toEqual([
      ': set privateKeyFile (an OpenSSH private key file) or agent (an ssh-agent socket) to log in with',
    ]);
    expect(issues({ ...minimal, agent: '/run/user/1000/ssh-agent.sock' })).toEqual([
      'agent: set either privateKeyFile or agent, not both',
    ]);
    expect(issues({ ...noLogin, agent: '/run/user/1000/ssh-agent.sock' })).toEqual([]);
    expect(
      issues({ ...noLogin, agent: '/tmp/agent', privateKeyPassphraseEnv: 'HPC_KEY_PASSPHRASE' }),
    ).toEqual([
      'privateKeyPassphraseEnv: privateKeyPassphraseEnv is the passphrase of privateKeyFile, which is not set',
    ]);
  });

  it('never goes without a way to check the host key', () => {
    const unchecked = without('hostKey');
    expect(issues(unchecked)).toEqual([
      expect.stringMatching(/^: set hostKey .* or knownHostsFile: a host whose key cannot be checked/),
    ]);
    expect(issues({ ...unchecked, knownHostsFile: '~/.ssh/known_hosts' })).toEqual([]);
    expect(
      issues({ ...minimal, hostKey: 'AAAAC3NzaC1lZDI1NTE5AAAAINRYNIbEoerwmm7xqgIJQPosZQulIyX3N9wkydsSQjxy' }),
    ).toEqual([
      expect.stringMatching(/^hostKey: expected a public key line such as "ssh-ed25519 AAAAC3Nza…"/),
    ]);
  });

  it('names each bad setting', () => {
    expect(issues({ ...minimal, workRoot: 'scratch/wlm' })).toEqual([
      'workRoot: expected an absolute path on the resource, e.g. /scratch/wlm',
    ]);
    expect(issues({ ...minimal, env: { 'SLURM-CONF': '/etc/slurm.conf' } })).toEqual([
      expect.stringMatching(/^env\.SLURM-CONF: /),
    ]);
    expect(issues({ ...minimal, privateKeyPassphraseEnv: 'not a name' })).toEqual([
      'privateKeyPassphraseEnv: expected an environment variable name',
    ]);
    expect(issues({ ...minimal, port: 70000 })).toEqual([expect.stringMatching(/^port: /)]);
    expect(issues({ ...minimal, batchSystem: 'pbs' })).toEqual([expect.stringMatching(/^batchSystem: /)]);
    expect(issues({ ...minimal, connection: { backoffMs: 10_000 } })).toEqual([
      'connection.backoffMs: backoffMs must not exceed maxBackoffMs',
    ]);
    // A misspelt setting is an error, not silently ignored.
    expect(issues({ ...minimal, limits: { maxNode: 4 } })).toEqual([
      expect.stringMatching(/^limits: .*maxNode/),
    ]);
    expect(issues({ ...minimal, password: 'secret' })).toEqual([expect.stringMatching(/^: .*password/)]);
  });
});

describe('config.resources and computeResource', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'wlm-resource-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function configFile(text: string): string {
    const file = join(dir, 'wlm.yaml');
    writeFileSync(file, text);
    return file;
  }

  it('reads resources from the config file and finds them by name', () => {
    const file = configFile(
      [
        'resources:',
        '  hpc:',
        '    host: login.hpc.example.org',
        '    user: wlm',
        '    privateKeyFile: /etc/wlm/id_ed25519',
        '    privateKeyPassphraseEnv: WLM_HPC_KEY_PASSPHRASE',
        '    knownHostsFile: /etc/wlm/known_hosts',
        '    workRoot: /scratch/wlm',
        '    defaultQueue: short',
        '    env: { SLURM_CONF: /etc/slurm/slurm.conf }',
        '    limits: { maxNodes: 4, maxWallTimeMinutes: 240 }',
      ].join('\n'),
    );
    const config = loadConfig({ env: {}, file });
    const hpc = computeResource(config.resources, 'hpc');
    expect(hpc).toMatchObject({
      name: 'hpc',
      host: 'login.hpc.example.org',
      port: 22,
      defaultQueue: 'short',
      env: { SLURM_CONF: '/etc/slurm/slurm.conf' },
      limits: { maxNodes: 4, maxWallTimeMinutes: 240 },
    });
    expect(loadConfig({ env: {} }).resources).toEqual({});
  });

  it('says which resource is unknown, which are configured and where to configure one', () => {
    const resources = {
      hpc: computeResourceSchema.parse(minimal),
      'cluster-2': computeResourceSchema.parse(minimal),
    };
    expect(() => computeResource(resources, 'gpu')).toThrow(
      'unknown compute resource "gpu" (configured: cluster-2, hpc); add it under "resources.gpu" in the worker\'s config file ($WLM_CONFIG)',
    );
    const error = (() => {
      try {
        computeResource({}, 'toString');
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ComputeResourceError);
    expect(error).toMatchObject({ code: 'RESOURCE_UNKNOWN', resource: 'toString' });
    expect((error as Error).message).toContain('no compute resource is configured');
  });

  it('reports a bad resource setting with its full key', () => {
    const file = configFile(
      [
        'resources:',
        '  hpc:',
        '    host: h',
        '    user: u',
        '    agent: /tmp/a',
        '    hostKey: ' + HOST_KEY,
        '    workRoot: relative',
      ].join('\n'),
    );
    expect(() => loadConfig({ env: {}, file })).toThrow(ConfigError);
    expect(() => loadConfig({ env: {}, file })).toThrow(
      /^config resources\.hpc\.workRoot \(in .*\): expected an absolute path/,
    );
    const badName = configFile(['resources:', '  HPC:', '    host: h'].join('\n'));
    expect(() => loadConfig({ env: {}, file: badName })).toThrow(
      /resources\.HPC \(in .*\): expected a resource name of lowercase letters/,
    );
  });
});

describe('shellQuote', () => {
  function throughShell(script: string): string {
    return execFileSync('/bin/sh', ['-c', script], { encoding: 'utf8' });
  }

  it('quotes any word so that the shell reads it back unchanged', () => {
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    expect(shellQuote('')).toBe(`''`);
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 40 }).filter((word) => !word.includes('\0')),
        (word) => {
          expect(throughShell(`printf '%s' ${shellQuote(word)}`)).toBe(word);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('refuses a NUL, which no shell word can hold', () => {
    expect(() => shellQuote('a\0b')).toThrow(TypeError);
  });

  it('exports each variable of the resource quoted', () => {
    const env = { GREETING: "it's $HOME `x`", EMPTY: '' };
    expect(exportEnvironment(env)).toBe(`export GREETING='it'\\''s $HOME \`x\`'; export EMPTY=''; `);
    expect(throughShell(`${exportEnvironment(env)}printf '%s|%s' "$GREETING" "$EMPTY"`)).toBe(
      "it's $HOME `x`|",
    );
  });
});
