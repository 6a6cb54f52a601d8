import { ConfigError } from '@wlm/commons/errors';
import { parseSerfAddr } from '@wlm/commons/serf';

describe('parseSerfAddr', () => {
  it('splits host:port, and [v6]:port into the bare address a socket wants', () => {
    expect(parseSerfAddr('127.0.0.1:7373')).toEqual({ host: '127.0.0.1', port: 7373 });
    expect(parseSerfAddr('serf.lab:7373')).toEqual({ host: 'serf.lab', port: 7373 });
    expect(parseSerfAddr('[::1]:7373')).toEqual({ host: '::1', port: 7373 });
  });

  it.each(['127.0.0.1', ':7373', 'h:0', 'h:99999', 'h:73x', '::1:7373', 'h :7373'])(
    'refuses %j as a ConfigError naming serf.rpcAddr',
    (addr) => {
      let thrown: unknown;
      try {
        parseSerfAddr(addr);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(ConfigError);
      expect(thrown).toMatchObject({ key: 'serf.rpcAddr' });
      expect((thrown as Error).message).toContain(`'${addr}'`);
    },
  );
});
