import { formatHostPort } from '@wlm/commons/net';

describe('formatHostPort', () => {
  it('joins an IPv4 address or a host name to its port', () => {
    expect(formatHostPort({ host: '127.0.0.1', port: 7946 })).toBe('127.0.0.1:7946');
    expect(formatHostPort({ host: 'hpc.example.org', port: 22 })).toBe('hpc.example.org:22');
  });

  it('brackets an IPv6 address, so its colons are not read as the port’s', () => {
    expect(formatHostPort({ host: '::1', port: 80 })).toBe('[::1]:80');
    expect(formatHostPort({ host: '2001:db8::7', port: 7946 })).toBe('[2001:db8::7]:7946');
  });
});
