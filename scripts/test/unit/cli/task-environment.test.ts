import { configSchema } from '@wlm/commons/config';
import { ConfigError } from '@wlm/commons/errors';
import { taskEnvironment } from '../../../src/cli/task-environment';

const RESOURCE = {
  host: 'login.example.org',
  user: 'alice',
  privateKeyFile: '/etc/wlm/keys/hpc',
  privateKeyPassphraseEnv: 'HPC_KEY_PASSPHRASE',
  hostKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG',
  workRoot: '/scratch/wlm',
};

const WORKER_ENV = {
  PATH: '/usr/bin:/bin',
  HOME: '/home/w',
  WLM_CONFIG: '/etc/wlm/wlm.yaml',
  WLM_MYSQL_URL: 'mysql://wlm:db-secret@db:3306/wlm',
  HPC_KEY_PASSPHRASE: 'key-passphrase',
  SITE: 'bigred',
  UNDECLARED: 'not for tasks',
};

describe('taskEnvironment (wlm worker)', () => {
  it('gives tasks the inherited and declared variables and resource passphrases, no wlm setting', () => {
    const config = configSchema.parse({
      rabbitmq: { url: 'amqp://wlm:broker-secret@mq:5672' },
      api: { tokens: ['api-secret-token'] },
      resources: { hpc: RESOURCE },
    });
    expect(taskEnvironment(config, ['SITE'], WORKER_ENV)).toEqual({
      PATH: '/usr/bin:/bin',
      HOME: '/home/w',
      SITE: 'bigred',
      HPC_KEY_PASSPHRASE: 'key-passphrase',
    });
  });

  it('gives only the inherited variables when nothing is declared and no resource has a passphrase', () => {
    expect(taskEnvironment(configSchema.parse({}), [], WORKER_ENV)).toEqual({
      PATH: '/usr/bin:/bin',
      HOME: '/home/w',
    });
  });

  it.each(['WLM_CONFIG', 'WLM_MYSQL_URL', 'WLM_API_TOKEN'])(
    'refuses to declare the wlm setting %s',
    (name) => {
      const call = (): unknown => taskEnvironment(configSchema.parse({}), [name], WORKER_ENV);
      expect(call).toThrow(ConfigError);
      expect(call).toThrow(`--task-env: ${name} is a wlm setting of the worker`);
    },
  );
});
