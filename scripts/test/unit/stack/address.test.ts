import { hostPortOfUrl } from '../../../src/stack/address';
import { parseMysqlUrl } from '../../../src/stack/mariadb';
import { serfAgentArgs } from '../../../src/stack/serf';

describe('addresses', () => {
  it('takes host and port from a server URL, with the default port when there is none', () => {
    expect(hostPortOfUrl('amqp://guest:guest@127.0.0.1:5672', 5672)).toEqual({
      host: '127.0.0.1',
      port: 5672,
    });
    expect(hostPortOfUrl('bolt://localhost', 7687)).toEqual({ host: 'localhost', port: 7687 });
    expect(hostPortOfUrl('bolt://[::1]:7688', 7687)).toEqual({ host: '::1', port: 7688 });
  });
});

describe('parseMysqlUrl', () => {
  it('reads the contract URL', () => {
    expect(parseMysqlUrl('mysql://root@127.0.0.1:3306/wlm')).toEqual({
      host: '127.0.0.1',
      port: 3306,
      user: 'root',
      password: '',
      database: 'wlm',
    });
  });

  it('decodes credentials', () => {
    expect(parseMysqlUrl('mysql://u%40x:p%2Fw@db/other')).toMatchObject({
      user: 'u@x',
      password: 'p/w',
      port: 3306,
    });
  });

  it('refuses database names it would have to quote', () => {
    expect(() => parseMysqlUrl('mysql://root@h/wl`m')).toThrow(TypeError);
  });
});

describe('serfAgentArgs', () => {
  it('starts the first agent on the configured addresses, keys and timings in its config file only', () => {
    expect(serfAgentArgs({ bindAddr: '127.0.0.1:7946', rpcAddr: '127.0.0.1:7373' }, '/s/agent.json')).toEqual(
      [
        'agent',
        '-node=wlm-stack',
        '-bind=127.0.0.1:7946',
        '-rpc-addr=127.0.0.1:7373',
        '-config-file=/s/agent.json',
      ],
    );
  });
});
