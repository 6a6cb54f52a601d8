import {
  fingerprintSha256,
  hostPatternsMatch,
  knownHostName,
  knownKeysOf,
  parseKnownHosts,
  parsePublicKey,
  preferredHostKeyAlgorithms,
  verifyHostKey,
} from '../../../src/remote/known-hosts';

// Public keys made with `ssh-keygen -t ed25519|ecdsa`, their fingerprints as `ssh-keygen -lf` printed
// them, and a line that `ssh-keygen -H` hashed from `[hpc.example.org]:2222 <ED25519>`.
const ED25519 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINRYNIbEoerwmm7xqgIJQPosZQulIyX3N9wkydsSQjxy';
const ED25519_FINGERPRINT = 'SHA256:kBtSIBCF6eWXNboMryxtBPWVxBi7CASEmx4yc0fyn+c';
const ECDSA =
  'ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBHroSvvBdnMHZa/RSGOd0GiuF3vZyh6b00VmwVnhr1GhSVb7Mz5VqOD5R9UQtKIz1Y4VEBVGezgoOcO1TxoSVEQ=';
const ECDSA_FINGERPRINT = 'SHA256:UrjqpDgfa8xUanIDv/HmQ5CYb4IXiEkUGxkZOIbVjF8';
const HASHED_LINE = `|1|eVoYjZEXTeFkpG1A4w/2aCjID4A=|RgIu3c+pRgXNABhp2+gvHMSf/GM= ${ED25519}`;

function keyOf(line: string): Buffer {
  const parsed = parsePublicKey(line);
  if (parsed === undefined) throw new Error(`not a key: ${line}`);
  return parsed.key;
}

describe('known_hosts', () => {
  it('names a host as OpenSSH does: bare on port 22, [host]:port elsewhere', () => {
    expect(knownHostName('hpc.example.org', 22)).toBe('hpc.example.org');
    expect(knownHostName('127.0.0.1', 2222)).toBe('[127.0.0.1]:2222');
  });

  it('parses entries with markers and comments, and skips what is not an entry', () => {
    const text = [
      '# a comment',
      '',
      `hpc.example.org,10.0.0.5 ${ED25519} admin@hpc`,
      `[hpc.example.org]:2222 ${ECDSA}`,
      `@revoked * ${ECDSA}`,
      `@cert-authority *.example.org ${ED25519}`,
      'garbage line',
      `broken.example.org ssh-ed25519 not!base64`,
      // The type must match the key's own: a mislabelled key is no key.
      `mislabelled.example.org ssh-rsa ${ED25519.split(' ')[1]}`,
    ].join('\n');
    const entries = parseKnownHosts(text, '/etc/ssh/ssh_known_hosts');
    expect(
      entries.map(({ hosts, type, marker, revoked, source }) => ({ hosts, type, marker, revoked, source })),
    ).toEqual([
      {
        hosts: 'hpc.example.org,10.0.0.5',
        type: 'ssh-ed25519',
        marker: undefined,
        revoked: false,
        source: '/etc/ssh/ssh_known_hosts:3',
      },
      {
        hosts: '[hpc.example.org]:2222',
        type: 'ecdsa-sha2-nistp256',
        marker: undefined,
        revoked: false,
        source: '/etc/ssh/ssh_known_hosts:4',
      },
      {
        hosts: '*',
        type: 'ecdsa-sha2-nistp256',
        marker: '@revoked',
        revoked: true,
        source: '/etc/ssh/ssh_known_hosts:5',
      },
      {
        hosts: '*.example.org',
        type: 'ssh-ed25519',
        marker: '@cert-authority',
        revoked: false,
        source: '/etc/ssh/ssh_known_hosts:6',
      },
    ]);
    expect(entries[0]?.key.equals(keyOf(ED25519))).toBe(true);
  });

  it('matches plain, port-qualified, wildcard and negated host patterns', () => {
    expect(hostPatternsMatch('hpc.example.org,10.0.0.5', '10.0.0.5')).toBe(true);
    expect(hostPatternsMatch('HPC.Example.org', 'hpc.example.org')).toBe(true);
    expect(hostPatternsMatch('hpc.example.org', '[hpc.example.org]:2222')).toBe(false);
    expect(hostPatternsMatch('[hpc.example.org]:2222', '[hpc.example.org]:2222')).toBe(true);
    expect(hostPatternsMatch('*.example.org', 'login1.example.org')).toBe(true);
    expect(hostPatternsMatch('login?.example.org', 'login12.example.org')).toBe(false);
    expect(hostPatternsMatch('*.example.org,!bastion.example.org', 'bastion.example.org')).toBe(false);
    // A dot in a pattern is a dot, not "any character".
    expect(hostPatternsMatch('hpc.example.org', 'hpcxexample.org')).toBe(false);
  });

  it('matches hashed entries (HashKnownHosts) by HMAC-SHA1 of the host name', () => {
    const [entry] = parseKnownHosts(HASHED_LINE);
    expect(entry?.hosts.startsWith('|1|')).toBe(true);
    const entries = parseKnownHosts(HASHED_LINE);
    expect(knownKeysOf(entries, 'hpc.example.org', 2222).map((key) => key.type)).toEqual(['ssh-ed25519']);
    expect(knownKeysOf(entries, 'hpc.example.org', 22)).toEqual([]);
    expect(knownKeysOf(entries, 'other.example.org', 2222)).toEqual([]);
  });

  it('lists the keys of a host, leaving out certificate authorities', () => {
    const entries = parseKnownHosts(
      [`[hpc.example.org]:2222 ${ED25519}`, `@cert-authority * ${ECDSA}`, `other.example.org ${ECDSA}`].join(
        '\n',
      ),
    );
    expect(knownKeysOf(entries, 'hpc.example.org', 2222)).toEqual([
      { type: 'ssh-ed25519', key: keyOf(ED25519), revoked: false, source: 'known_hosts:1' },
    ]);
  });

  it('computes the SHA256 fingerprints that ssh-keygen -l prints', () => {
    expect(fingerprintSha256(keyOf(ED25519))).toBe(ED25519_FINGERPRINT);
    expect(fingerprintSha256(keyOf(ECDSA))).toBe(ECDSA_FINGERPRINT);
  });
});

describe('verifyHostKey', () => {
  const known = (line: string, revoked = false) => ({
    type: line.split(' ')[0] ?? '',
    key: keyOf(line),
    revoked,
    source: 'test',
  });

  it('accepts the known key only', () => {
    expect(verifyHostKey(keyOf(ED25519), [known(ECDSA), known(ED25519)])).toEqual({ accepted: true });
  });

  it('calls a key unknown when nothing is known for the host', () => {
    expect(verifyHostKey(keyOf(ED25519), [])).toEqual({
      accepted: false,
      reason: 'unknown',
      type: 'ssh-ed25519',
      fingerprint: ED25519_FINGERPRINT,
    });
  });

  it('calls a key changed when the host has other known keys', () => {
    expect(verifyHostKey(keyOf(ECDSA), [known(ED25519)])).toEqual({
      accepted: false,
      reason: 'changed',
      type: 'ecdsa-sha2-nistp256',
      fingerprint: ECDSA_FINGERPRINT,
    });
  });

  it('refuses a revoked key even when it is also listed as known', () => {
    expect(verifyHostKey(keyOf(ED25519), [known(ED25519), known(ED25519, true)])).toMatchObject({
      accepted: false,
      reason: 'revoked',
    });
  });

  it('offers the algorithms of the known keys first', () => {
    expect(preferredHostKeyAlgorithms([known(ECDSA)]).slice(0, 2)).toEqual([
      'ecdsa-sha2-nistp256',
      'ssh-ed25519',
    ]);
    const rsaFirst = preferredHostKeyAlgorithms([{ ...known(ED25519), type: 'ssh-rsa' }]);
    expect(rsaFirst.slice(0, 3)).toEqual(['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']);
    expect(new Set(rsaFirst).size).toBe(rsaFirst.length);
  });
});
