import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@wlm/commons/config';
import { freePort } from '@wlm/commons/net';
import { stackComponents, stackDown, stackStatus, stackUp } from '@wlm/scripts';

// Each case uses a stack dir of its own, so nothing here touches the shared stack's PID files.
jest.setTimeout(60_000);

function ping(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.setEncoding('utf8');
    socket.once('data', (answer: string) => {
      socket.destroy();
      resolve(answer.trim());
    });
    socket.once('error', reject);
    socket.write('PING\r\n');
  });
}

describe('wlm stack --with-redis', () => {
  const dirs: string[] = [];
  const stackDir = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'wlm-stack-redis-'));
    dirs.push(dir);
    return dir;
  };
  afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  beforeEach(() => {
    expect.hasAssertions();
  });

  it('uses a Redis that already answers on redis.url as it is, and reads its version', async () => {
    // The machine's Redis on 127.0.0.1:6379 (the suite's machines run one): reused, never started.
    const config = loadConfig({ env: { WLM_STACK_DIR: stackDir() } });
    const results = await stackUp({ config, only: ['redis'] });
    expect(results).toEqual([{ name: 'redis', outcome: 'already-up', pid: null }]);
    const [status] = await stackStatus({ config, only: ['redis'] });
    expect(status).toMatchObject({ name: 'redis', state: 'up', address: '127.0.0.1:6379', pid: null });
    expect(status?.version).toMatch(/^\d+\.\d+\.\d+/);
    const [down] = await stackDown({ config, only: ['redis'] });
    expect(down).toEqual({ name: 'redis', outcome: 'not-started-by-stack' });
    expect(await ping(6379)).toBe('+PONG');
  });

  it('starts redis-server on a free port, records its PID, and stops it on down', async () => {
    const port = await freePort('127.0.0.1', false);
    const config = loadConfig({
      env: { WLM_STACK_DIR: stackDir(), WLM_REDIS_URL: `redis://127.0.0.1:${port}` },
    });
    const [up] = await stackUp({ config, withRedis: true, only: ['redis'] });
    expect(up).toMatchObject({ name: 'redis', outcome: 'started', pid: expect.any(Number) });
    expect(await ping(port)).toBe('+PONG');
    const [status] = await stackStatus({ config, only: ['redis'] });
    expect(status).toMatchObject({ state: 'up', address: `127.0.0.1:${port}`, pid: up?.pid });
    expect(status?.version).toMatch(/^\d+\.\d+\.\d+/);
    const [down] = await stackDown({ config, only: ['redis'] });
    expect(down).toEqual({ name: 'redis', outcome: 'stopped' });
    await expect(ping(port)).rejects.toThrow(/ECONNREFUSED/);
  });

  it('starts Redis with the default components only when asked', () => {
    const config = loadConfig({ env: { WLM_STACK_DIR: stackDir() } });
    expect(stackComponents({ config }).map((c) => c.name)).not.toContain('redis');
    expect(stackComponents({ config, withRedis: true }).map((c) => c.name)).toContain('redis');
  });
});
