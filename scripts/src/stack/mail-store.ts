import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** One mail the SMTP sink received, as stored in `<stack dir>/smtp/mails/<id>.json`. */
export interface StoredMail {
  /** Sorts by arrival: milliseconds since the epoch, then random hex. */
  readonly id: string;
  /** Envelope sender (MAIL FROM), else the From header; '' when there was neither. */
  readonly from: string;
  /** Envelope recipients (RCPT TO): Bcc included, which headers would hide. */
  readonly to: readonly string[];
  readonly subject: string;
  /** The Date header as ISO 8601, else the time of arrival. */
  readonly date: string;
  readonly text: string;
  readonly receivedAt: string;
}

export type NewMail = Omit<StoredMail, 'id' | 'receivedAt'>;

const SUFFIX = '.json';

/** Stores `mail`; write-then-rename so a reader never sees half a file. */
export function saveMail(dir: string, mail: NewMail, now: Date = new Date()): StoredMail {
  mkdirSync(dir, { recursive: true });
  const id = `${now.getTime()}-${randomBytes(4).toString('hex')}`;
  const stored: StoredMail = { id, ...mail, receivedAt: now.toISOString() };
  const file = join(dir, `${id}${SUFFIX}`);
  writeFileSync(`${file}.tmp`, `${JSON.stringify(stored, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
  return stored;
}

function isStoredMail(value: unknown): value is StoredMail {
  if (typeof value !== 'object' || value === null) return false;
  const mail = value as Record<string, unknown>;
  return (
    ['id', 'from', 'subject', 'date', 'text', 'receivedAt'].every((key) => typeof mail[key] === 'string') &&
    Array.isArray(mail['to']) &&
    mail['to'].every((address) => typeof address === 'string')
  );
}

function mailFiles(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((name) => name.endsWith(SUFFIX))
      .sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/** Every stored mail, oldest first. Files that are not mails are skipped, not fatal. */
export function listMails(dir: string): StoredMail[] {
  const mails: StoredMail[] = [];
  for (const name of mailFiles(dir)) {
    try {
      const parsed: unknown = JSON.parse(readFileSync(join(dir, name), 'utf8'));
      if (isStoredMail(parsed)) mails.push(parsed);
    } catch {
      // Deleted between listing and reading, or not JSON: neither is a mail to show.
    }
  }
  return mails;
}

/** Deletes the mails with these ids (a test cleaning up after itself); returns how many existed. */
export function deleteMails(dir: string, ids: Iterable<string>): number {
  const existing = new Set(mailFiles(dir));
  let deleted = 0;
  for (const id of ids) {
    const name = `${id}${SUFFIX}`;
    // An id is a file name inside `dir`, never a path.
    if (!/^[\w-]+$/.test(id) || !existing.has(name)) continue;
    rmSync(join(dir, name), { force: true });
    deleted += 1;
  }
  return deleted;
}

/** Deletes every stored mail; returns how many there were. */
export function clearMails(dir: string): number {
  return deleteMails(
    dir,
    mailFiles(dir).map((name) => name.slice(0, -SUFFIX.length)),
  );
}
