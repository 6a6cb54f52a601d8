import { mkdirSync } from 'node:fs';
import { createConnection } from 'node:net';
import { formatHostPort } from '@wlm/commons/net';
import { ensureDebianPackage } from './debian';
import { launchServer } from './launch-server';
import { componentLogFile, componentPidFile } from './paths';
import type { HostPort } from '@wlm/commons/net';
import type { ComponentEnv, Reporter, StackComponent } from './types';

const REDIS_SERVER = '/usr/bin/redis-server';

/** Host and port of a `redis://host:port` URL. */
export function redisAddress(url: string): HostPort {
  const parsed = new URL(url);
  return { host: parsed.hostname, port: parsed.port === '' ? 6379 : Number(parsed.port) };
}

/**
 * Arguments of the stack's redis-server (pure, for tests): in the foreground, on the configured
 * address only, keeping nothing on disk — it holds nothing but a benchmark's queues.
 */
export function redisServerArgs(address: HostPort, dir: string): string[] {
  return [
    '--bind',
    address.host,
    '--port',
    String(address.port),
    '--daemonize',
    'no',
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    dir,
  ];
}

/** The `redis_version` of an `INFO server` answer. */
export function redisVersionOf(info: string): string | undefined {
  return /^redis_version:(\S+)/m.exec(info)?.[1];
}

/** Asks the server that answers at `address` (ours or one found running) its version. */
function askVersion(address: HostPort, timeoutMs = 3000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: address.host, port: address.port });
    let received = '';
    const finish = (outcome: Error | string): void => {
      socket.destroy();
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    };
    socket.setEncoding('utf8');
    socket.setTimeout(timeoutMs, () =>
      finish(new Error(`no INFO answer from ${formatHostPort(address)} in ${timeoutMs} ms`)),
    );
    socket.on('data', (chunk: string) => {
      received += chunk;
      const version = redisVersionOf(received);
      if (version !== undefined) finish(version);
    });
    socket.once('error', (error) => finish(error));
    // Redis's inline command syntax: a plain line, no RESP framing needed.
    socket.write('INFO server\r\n');
  });
}

/**
 * Redis from Debian's `redis-server`, for the benchmark's BullMQ comparison only (no wlm service
 * uses it); used as it is when one already answers on `redis.url`.
 */
export function redisComponent({ config, paths }: ComponentEnv): StackComponent {
  const logFile = componentLogFile(paths, 'redis');
  const pidFile = componentPidFile(paths, 'redis');
  const address = redisAddress(config.redis.url);
  return {
    name: 'redis',
    address,
    logFile,
    pidFile,
    processMarker: 'redis-server',
    async start(report: Reporter) {
      await ensureDebianPackage({
        component: 'redis',
        binary: REDIS_SERVER,
        packageName: 'redis-server',
        logFile,
        report,
      });
      mkdirSync(paths.runDir, { recursive: true });
      await launchServer({
        component: 'redis',
        command: REDIS_SERVER,
        args: redisServerArgs(address, paths.runDir),
        address,
        logFile,
        pidFile,
        timeoutMs: 20_000,
        report,
      });
    },
    version() {
      return askVersion(address);
    },
  };
}
