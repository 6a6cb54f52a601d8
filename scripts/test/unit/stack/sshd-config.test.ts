import { renderKnownHosts, renderSshdConfig } from '../../../src/stack/sshd-config';

describe('renderSshdConfig', () => {
  const config = renderSshdConfig({
    host: '127.0.0.1',
    port: 2222,
    hostKey: '/stack/ssh/ssh_host_ed25519_key',
    authorizedKeys: '/stack/ssh/authorized_keys',
    pidFile: '/stack/ssh/sshd.pid',
  });
  const lines = config.split('\n');

  it('listens on the configured address only', () => {
    expect(lines).toContain('Port 2222');
    expect(lines).toContain('ListenAddress 127.0.0.1');
  });

  it('uses its own host key and authorized_keys', () => {
    expect(lines).toContain('HostKey /stack/ssh/ssh_host_ed25519_key');
    expect(lines).toContain('AuthorizedKeysFile /stack/ssh/authorized_keys');
  });

  it('allows keys only, without PAM', () => {
    expect(lines).toContain('PasswordAuthentication no');
    expect(lines).toContain('KbdInteractiveAuthentication no');
    expect(lines).toContain('UsePAM no');
    expect(lines).toContain('Subsystem sftp internal-sftp');
  });

  it('quotes paths with spaces and escapes % where sshd expands tokens', () => {
    const odd = renderSshdConfig({
      host: '127.0.0.1',
      port: 2222,
      hostKey: '/my stack/key',
      authorizedKeys: '/my stack/100%/keys',
      pidFile: '/p',
    });
    expect(odd).toContain('HostKey "/my stack/key"');
    expect(odd).toContain('AuthorizedKeysFile "/my stack/100%%/keys"');
  });
});

describe('renderKnownHosts', () => {
  const publicKey = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE wlm-stack-host\n';

  it('pins [host]:port for a port other than 22', () => {
    expect(renderKnownHosts('127.0.0.1', 2222, publicKey)).toBe(
      '[127.0.0.1]:2222 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE\n',
    );
  });

  it('pins the bare host on port 22', () => {
    expect(renderKnownHosts('127.0.0.1', 22, publicKey)).toBe(
      '127.0.0.1 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE\n',
    );
  });

  it('rejects what is not a public key', () => {
    expect(() => renderKnownHosts('h', 22, '')).toThrow(TypeError);
  });
});
