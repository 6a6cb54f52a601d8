import { readFileSync } from 'node:fs';
import type { Logger } from '@wlm/commons/logging';
import { simpleParser } from 'mailparser';
import type { AddressObject } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import type { SMTPServerDataStream, SMTPServerSession } from 'smtp-server';
import { saveMail } from './mail-store';
import type { NewMail } from './mail-store';

/** The version of the smtp-server package the sink is built on. */
export function smtpServerVersion(): string {
  const manifest: unknown = JSON.parse(readFileSync(require.resolve('smtp-server/package.json'), 'utf8'));
  const version = (manifest as { version?: unknown }).version;
  return typeof version === 'string' ? version : 'unknown';
}

/** Appended to the 220 greeting, so `stack status` can tell the sink (and its version) from any SMTP server. */
export function sinkBanner(version: string): string {
  return `wlm-smtp-sink smtp-server/${version}`;
}

/** The smtp-server version in a greeting line, or undefined when the greeting is not the sink's. */
export function versionFromGreeting(greeting: string): string | undefined {
  return /wlm-smtp-sink smtp-server\/(\S+)/.exec(greeting)?.[1];
}

function headerAddresses(header: AddressObject | AddressObject[] | undefined): string[] {
  const objects = header === undefined ? [] : Array.isArray(header) ? header : [header];
  return objects.flatMap((object) => object.value.map((address) => address.address ?? '')).filter(Boolean);
}

async function toMail(stream: SMTPServerDataStream, session: SMTPServerSession): Promise<NewMail> {
  const parsed = await simpleParser(stream);
  const { mailFrom, rcptTo } = session.envelope;
  const envelopeTo = rcptTo.map((address) => address.address);
  return {
    from: mailFrom === false ? (headerAddresses(parsed.from)[0] ?? '') : mailFrom.address,
    to: envelopeTo.length > 0 ? envelopeTo : headerAddresses(parsed.to),
    subject: parsed.subject ?? '',
    date: (parsed.date ?? new Date()).toISOString(),
    text: parsed.text ?? '',
  };
}

export interface SmtpSinkOptions {
  readonly mailDir: string;
  readonly logger: Logger;
}

/**
 * An SMTP server that accepts every mail without authentication and stores it (see `mail-store.ts`).
 * Plain text only: STARTTLS is off, so clients never trip over smtp-server's self-signed certificate.
 */
export function createSmtpSink(options: SmtpSinkOptions): SMTPServer {
  const { logger, mailDir } = options;
  return new SMTPServer({
    banner: sinkBanner(smtpServerVersion()),
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    size: 25 * 1024 * 1024,
    logger: false,
    onData(stream, session, callback) {
      toMail(stream, session).then(
        (mail) => {
          const stored = saveMail(mailDir, mail);
          logger.info(
            { id: stored.id, from: stored.from, to: stored.to, subject: stored.subject },
            'mail stored',
          );
          callback();
        },
        (error: unknown) => {
          logger.error({ err: error }, 'mail could not be parsed');
          callback(error instanceof Error ? error : new Error(String(error)));
        },
      );
    },
  });
}
