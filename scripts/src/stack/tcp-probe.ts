import { createConnection } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { formatEndpoint } from './address';
import type { HostPort } from '@wlm/commons/net';
import type { Endpoint, Reporter } from './types';

/** True when something accepts a connection on `address` (TCP or Unix socket) within `timeoutMs`. */
export function isPortOpen(address: Endpoint, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection(
      'path' in address ? { path: address.path } : { host: address.host, port: address.port },
    );
    const done = (open: boolean): void => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** The first line a server sends on connect (SSH and SMTP greet first), without its line ending. */
export function readBanner(address: HostPort, timeoutMs = 3000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: address.host, port: address.port });
    let received = '';
    const finish = (error: Error | undefined): void => {
      socket.destroy();
      if (error) reject(error);
      else resolve(received.split(/\r?\n/, 1)[0] ?? '');
    };
    socket.setEncoding('utf8');
    socket.setTimeout(timeoutMs, () =>
      finish(new Error(`no greeting from ${formatEndpoint(address)} in ${timeoutMs} ms`)),
    );
    socket.on('data', (chunk: string) => {
      received += chunk;
      if (received.includes('\n')) finish(undefined);
    });
    socket.once('error', (error) => finish(error));
    socket.once('end', () => finish(received === '' ? new Error('closed without a greeting') : undefined));
  });
}

/** How a started process ended, when it ends before its port answers. */
export interface ProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface WaitForPortOptions {
  readonly address: Endpoint;
  /** How to tell it answers; by default, whether {@link address} accepts a connection. */
  readonly probe?: () => boolean | Promise<boolean>;
  readonly timeoutMs: number;
  readonly report: Reporter;
  /** Settles when the server process exits: waiting on stops at once rather than at the timeout. */
  readonly exited?: Promise<ProcessExit>;
  /** For servers started by a launcher that exits at once: false stops the wait as {@link exited} would. */
  readonly alive?: () => boolean;
  readonly pollMs?: number;
  /** How often a `waiting` progress line is reported. */
  readonly progressEveryMs?: number;
}

/** Why {@link waitForPort} gave up. */
export type WaitOutcome =
  { readonly ok: true; readonly elapsedMs: number } | { readonly ok: false; readonly reason: string };

function describeExit(exit: ProcessExit): string {
  return exit.signal === null ? `exited with code ${exit.code ?? '?'}` : `was killed by ${exit.signal}`;
}

/** Polls until `address` accepts connections, the process exits, or the time is up. */
export async function waitForPort(options: WaitForPortOptions): Promise<WaitOutcome> {
  const { address, timeoutMs, report } = options;
  const pollMs = options.pollMs ?? 250;
  const progressEveryMs = options.progressEveryMs ?? 5000;
  const started = Date.now();
  let exit: ProcessExit | undefined;
  void options.exited?.then((value) => (exit = value));
  let nextProgress = progressEveryMs;
  const answers = options.probe ?? (() => isPortOpen(address, Math.min(1000, pollMs * 4)));
  for (;;) {
    if (await answers()) return { ok: true, elapsedMs: Date.now() - started };
    // The port may have opened just as the process died: the check above runs first for that reason.
    if (exit !== undefined) return { ok: false, reason: `it ${describeExit(exit)} before answering` };
    if (options.alive?.() === false) return { ok: false, reason: 'it exited before answering' };
    const elapsedMs = Date.now() - started;
    if (elapsedMs >= timeoutMs) {
      return {
        ok: false,
        reason: `${formatEndpoint(address)} did not answer within ${Math.round(timeoutMs / 1000)} s`,
      };
    }
    if (elapsedMs >= nextProgress) {
      report('waiting', `waiting for ${formatEndpoint(address)}`, elapsedMs);
      nextProgress += progressEveryMs;
    }
    await delay(pollMs);
  }
}
