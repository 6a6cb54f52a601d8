import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** A host key that OpenSSH's known_hosts (or a pinned `hostKey`) lists for a host. */
export interface KnownHostKey {
  /** `ssh-ed25519`, `ecdsa-sha2-nistp256`, `ssh-rsa`, … */
  readonly type: string;
  /** The key in SSH wire format (the base64 of the line, decoded). */
  readonly key: Buffer;
  /** An `@revoked` entry: this key is refused wherever it is presented. */
  readonly revoked: boolean;
  /** Where the key was listed, e.g. `/home/me/.ssh/known_hosts:12`, for messages. */
  readonly source: string;
}

/** One line of a known_hosts file. */
export interface KnownHostsEntry extends KnownHostKey {
  /** The comma-separated host patterns (`host`, `[host]:port`, `*.example.org`, `!bad`, or `|1|salt|hash`). */
  readonly hosts: string;
  readonly marker: '@revoked' | '@cert-authority' | undefined;
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** The key type a wire-format key starts with (a uint32 length, then the type name), if it has one. */
export function wireKeyType(key: Buffer): string | undefined {
  if (key.length < 4) return undefined;
  const length = key.readUInt32BE(0);
  if (length === 0 || length > 64 || key.length < 4 + length) return undefined;
  return key.subarray(4, 4 + length).toString('latin1');
}

/** OpenSSH's fingerprint of a wire-format key: `SHA256:` and the unpadded base64 of its SHA-256. */
export function fingerprintSha256(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/** Parses `type base64 [comment]`; undefined when the line is not a public key whose type matches its data. */
export function parsePublicKey(line: string): { type: string; key: Buffer } | undefined {
  const [type, data] = line.trim().split(/\s+/);
  if (type === undefined || data === undefined || !BASE64.test(data)) return undefined;
  const key = Buffer.from(data, 'base64');
  return wireKeyType(key) === type ? { type, key } : undefined;
}

/**
 * Parses a known_hosts file (`[marker] hosts type base64 [comment]` per line). Comments, blank lines
 * and lines that are not entries are skipped, as OpenSSH does.
 */
export function parseKnownHosts(text: string, file = 'known_hosts'): KnownHostsEntry[] {
  const entries: KnownHostsEntry[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const fields = line.split(/\s+/);
    const marker = fields[0] === '@revoked' || fields[0] === '@cert-authority' ? fields[0] : undefined;
    if (marker !== undefined) fields.shift();
    const [hosts, ...keyFields] = fields;
    const parsed = parsePublicKey(keyFields.join(' '));
    if (hosts === undefined || parsed === undefined) return;
    entries.push({
      ...parsed,
      hosts,
      marker,
      revoked: marker === '@revoked',
      source: `${file}:${index + 1}`,
    });
  });
  return entries;
}

/** The name known_hosts lists a host under: `host` on port 22, `[host]:port` elsewhere. */
export function knownHostName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** OpenSSH's glob: `*` any run of characters, `?` any one character. */
function globMatches(pattern: string, name: string): boolean {
  const regex = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${regex}$`).test(name);
}

/** A hashed pattern `|1|base64(salt)|base64(HMAC-SHA1(salt, name))` (`HashKnownHosts yes`). */
function hashedMatches(pattern: string, name: string): boolean {
  const [, salt, hash] = /^\|1\|([^|]+)\|([^|]+)$/.exec(pattern) ?? [];
  if (salt === undefined || hash === undefined) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest();
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** Whether a comma-separated host pattern list names `name`; a matching `!pattern` excludes it. */
export function hostPatternsMatch(patterns: string, name: string): boolean {
  const lower = name.toLowerCase();
  let matched = false;
  for (const pattern of patterns.split(',')) {
    if (pattern.startsWith('|')) {
      matched ||= hashedMatches(pattern, name);
    } else if (pattern.startsWith('!')) {
      if (globMatches(pattern.slice(1).toLowerCase(), lower)) return false;
    } else {
      matched ||= globMatches(pattern.toLowerCase(), lower);
    }
  }
  return matched;
}

/** The keys known_hosts lists for `host:port`; certificate authorities are not supported and skipped. */
export function knownKeysOf(entries: readonly KnownHostsEntry[], host: string, port: number): KnownHostKey[] {
  const name = knownHostName(host, port);
  return entries
    .filter((entry) => entry.marker !== '@cert-authority' && hostPatternsMatch(entry.hosts, name))
    .map(({ type, key, revoked, source }) => ({ type, key, revoked, source }));
}

/** Why a presented host key was refused. */
export type HostKeyRejection = 'unknown' | 'changed' | 'revoked';

export type HostKeyVerdict =
  | { readonly accepted: true }
  | {
      readonly accepted: false;
      readonly reason: HostKeyRejection;
      /** The presented key's type and {@link fingerprintSha256}. */
      readonly type: string;
      readonly fingerprint: string;
    };

/**
 * Checks the key a host presented against the keys known for it: accepted only when one of them is
 * that very key and none revokes it. No known key at all is `unknown`; known keys that all differ is
 * `changed` (OpenSSH's "REMOTE HOST IDENTIFICATION HAS CHANGED").
 */
export function verifyHostKey(presented: Buffer, known: readonly KnownHostKey[]): HostKeyVerdict {
  const type = wireKeyType(presented) ?? 'unknown type';
  const fingerprint = fingerprintSha256(presented);
  const same = known.filter((entry) => entry.key.equals(presented));
  if (same.some((entry) => entry.revoked)) return { accepted: false, reason: 'revoked', type, fingerprint };
  if (same.length > 0) return { accepted: true };
  const trusted = known.filter((entry) => !entry.revoked);
  return { accepted: false, reason: trusted.length === 0 ? 'unknown' : 'changed', type, fingerprint };
}

/**
 * The server host key algorithms to offer, those of the known keys first: a host with keys of several
 * types then presents the one we know, as OpenSSH arranges (`HostKeyAlgorithms` ordering).
 */
export function preferredHostKeyAlgorithms(known: readonly KnownHostKey[]): string[] {
  const defaults = [
    'ssh-ed25519',
    'ecdsa-sha2-nistp256',
    'ecdsa-sha2-nistp384',
    'ecdsa-sha2-nistp521',
    'rsa-sha2-512',
    'rsa-sha2-256',
    'ssh-rsa',
  ];
  const algorithmsOf = (type: string) =>
    type === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [type];
  const preferred = known.filter((entry) => !entry.revoked).flatMap((entry) => algorithmsOf(entry.type));
  return [...new Set([...preferred.filter((algorithm) => defaults.includes(algorithm)), ...defaults])];
}
