import { redisAddress, redisServerArgs, redisVersionOf } from '../../../src/stack/redis';

describe('redis component', () => {
  it('reads host and port from redis.url, 6379 by default', () => {
    expect(redisAddress('redis://127.0.0.1:6390')).toEqual({ host: '127.0.0.1', port: 6390 });
    expect(redisAddress('redis://10.0.0.5')).toEqual({ host: '10.0.0.5', port: 6379 });
  });

  it('starts redis-server in the foreground, on that address only, keeping nothing on disk', () => {
    const args = redisServerArgs({ host: '127.0.0.1', port: 6390 }, '/tmp/stack/run');
    const option = (name: string) => args[args.indexOf(name) + 1];
    expect(option('--bind')).toBe('127.0.0.1');
    expect(option('--port')).toBe('6390');
    expect(option('--daemonize')).toBe('no');
    expect(option('--save')).toBe('');
    expect(option('--appendonly')).toBe('no');
    expect(option('--dir')).toBe('/tmp/stack/run');
  });

  it('finds the version in an INFO answer', () => {
    const info = '$1024\r\n# Server\r\nredis_version:7.0.15\r\nredis_git_sha1:00000000\r\n';
    expect(redisVersionOf(info)).toBe('7.0.15');
    expect(redisVersionOf('$12\r\n# Server\r\nredis_git')).toBeUndefined();
  });
});
