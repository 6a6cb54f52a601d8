import { inheritedEnvironment, isInheritedVariable } from '@wlm/commons/plugin';

describe('inheritedEnvironment', () => {
  it('keeps what programs need to find files and speak the locale, and nothing that authenticates', () => {
    const env = {
      PATH: '/usr/bin:/bin',
      HOME: '/home/w',
      LANG: 'C.UTF-8',
      LC_CTYPE: 'C.UTF-8',
      TMPDIR: '/tmp',
      WLM_CONFIG: '/etc/wlm/wlm.yaml',
      WLM_RABBITMQ_URL: 'amqp://wlm:broker-secret@mq:5672',
      WLM_API_TOKEN: 'api-secret',
      AWS_SECRET_ACCESS_KEY: 'aws-secret',
      SSH_AUTH_SOCK: '/run/agent.sock',
      NODE_OPTIONS: '--require /tmp/hook.js',
    };
    expect(inheritedEnvironment(env)).toEqual({
      PATH: '/usr/bin:/bin',
      HOME: '/home/w',
      LANG: 'C.UTF-8',
      LC_CTYPE: 'C.UTF-8',
      TMPDIR: '/tmp',
    });
  });

  it('treats every LC_ category as locale, and only those', () => {
    expect(isInheritedVariable('LC_ALL')).toBe(true);
    expect(isInheritedVariable('LC_')).toBe(false);
    expect(isInheritedVariable('LCX_SECRET')).toBe(false);
  });
});
