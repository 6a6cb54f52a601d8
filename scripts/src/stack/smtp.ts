import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { StackComponentError } from '../errors/stack-component-error';
import { launchServer } from './launch-server';
import { componentLogFile, componentPidFile } from './paths';
import { versionFromGreeting } from './smtp-sink';
import { readBanner } from './tcp-probe';
import type { HostPort } from '@wlm/commons/net';
import type { ComponentEnv, Reporter, StackComponent } from './types';

/**
 * The compiled sink entry. From `dist/stack` and from `src/stack` (tests run the sources) this is the
 * same file: the sink always runs compiled, as a plain `node` process.
 */
export const SMTP_SINK_ENTRY = resolve(__dirname, '../../dist/stack/smtp-sink-main.js');

/** The SMTP sink that catches every mail wlm sends (admin alerts); read them with `wlm stack mails`. */
export function smtpComponent({ config, paths }: ComponentEnv): StackComponent {
  const logFile = componentLogFile(paths, 'smtp');
  const pidFile = componentPidFile(paths, 'smtp');
  const address: HostPort = { host: config.smtp.host, port: config.smtp.port };
  return {
    name: 'smtp',
    address,
    logFile,
    pidFile,
    processMarker: 'smtp-sink-main',
    async start(report: Reporter) {
      if (!existsSync(SMTP_SINK_ENTRY)) {
        throw new StackComponentError(
          'smtp',
          `${SMTP_SINK_ENTRY} is missing; build first with \`npm run build\``,
          undefined,
        );
      }
      await launchServer({
        component: 'smtp',
        command: process.execPath,
        args: [
          SMTP_SINK_ENTRY,
          '--host',
          address.host,
          '--port',
          String(address.port),
          '--dir',
          paths.mailDir,
        ],
        address,
        logFile,
        pidFile,
        timeoutMs: 20_000,
        report,
      });
    },
    async version() {
      const greeting = await readBanner(address);
      const version = versionFromGreeting(greeting);
      if (version === undefined) throw new Error(`not the wlm SMTP sink: ${greeting}`);
      return `smtp-server ${version}`;
    },
  };
}
