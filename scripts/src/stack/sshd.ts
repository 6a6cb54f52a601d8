import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { StackComponentError } from '../errors/stack-component-error';
import { ensureDebianPackage } from './debian';
import { runCommand } from './exec';
import { launchServer } from './launch-server';
import { componentLogFile, componentPidFile } from './paths';
import type { StackPaths } from './paths';
import { renderKnownHosts, renderSshdConfig } from './sshd-config';
import { readBanner } from './tcp-probe';
import type { HostPort } from '@wlm/commons/net';
import type { ComponentEnv, Reporter, StackComponent } from './types';

const SSHD = '/usr/sbin/sshd';

async function generateKey(file: string, comment: string, logFile: string): Promise<void> {
  if (existsSync(file)) return;
  const result = await runCommand(
    'ssh-keygen',
    ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file],
    {
      logFile,
    },
  );
  if (result.code !== 0)
    throw new StackComponentError('sshd', `ssh-keygen could not create ${file}`, logFile);
}

/** Keys are generated once and kept: clients that pinned the host key stay valid across restarts. */
async function writeKeysAndConfig(paths: StackPaths, address: HostPort, logFile: string): Promise<void> {
  const ssh = paths.ssh;
  mkdirSync(ssh.dir, { recursive: true, mode: 0o700 });
  await generateKey(ssh.hostKey, 'wlm-stack-host', logFile);
  await generateKey(ssh.clientKey, 'wlm-stack-client', logFile);
  writeFileSync(ssh.authorizedKeys, readFileSync(ssh.clientPublicKey, 'utf8'));
  chmodSync(ssh.authorizedKeys, 0o600);
  writeFileSync(
    ssh.knownHosts,
    renderKnownHosts(address.host, address.port, readFileSync(ssh.hostPublicKey, 'utf8')),
  );
  writeFileSync(
    ssh.config,
    renderSshdConfig({
      host: address.host,
      port: address.port,
      hostKey: ssh.hostKey,
      authorizedKeys: ssh.authorizedKeys,
      pidFile: join(ssh.dir, 'sshd.pid'),
    }),
  );
  const check = await runCommand(SSHD, ['-t', '-f', ssh.config], { logFile });
  if (check.code !== 0) {
    throw new StackComponentError(
      'sshd',
      `sshd rejects its config ${ssh.config}: ${check.stderr.trim()}`,
      logFile,
    );
  }
}

/** An sshd for SSH/SFTP task plugins, with a key pair of its own (see {@link StackPaths.ssh}). */
export function sshdComponent({ config, paths }: ComponentEnv): StackComponent {
  const logFile = componentLogFile(paths, 'sshd');
  const pidFile = componentPidFile(paths, 'sshd');
  const address: HostPort = { host: config.ssh.host, port: config.ssh.port };
  return {
    name: 'sshd',
    address,
    logFile,
    pidFile,
    // sshd rewrites its process title but keeps its arguments, our config path among them.
    processMarker: paths.ssh.config,
    async start(report: Reporter) {
      await ensureDebianPackage({
        component: 'sshd',
        binary: SSHD,
        packageName: 'openssh-server',
        logFile,
        report,
      });
      // sshd (even `sshd -t`) insists on its privilege-separation directory, which only its init script makes.
      mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
      await writeKeysAndConfig(paths, address, logFile);
      await launchServer({
        component: 'sshd',
        command: SSHD,
        args: ['-D', '-e', '-f', paths.ssh.config],
        address,
        logFile,
        pidFile,
        timeoutMs: 20_000,
        report,
      });
    },
    async version() {
      // "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10": the software version follows the protocol version.
      return (await readBanner(address)).replace(/^SSH-[\d.]+-/, '');
    },
  };
}
