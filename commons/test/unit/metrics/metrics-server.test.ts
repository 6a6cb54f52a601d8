import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Registry } from 'prom-client';
import { ConfigError } from '@wlm/commons/errors';
import { connectionProbe, serveMetrics } from '@wlm/commons/metrics';
import type { ServiceState } from '@wlm/commons/lifecycle';
import type { ServiceEndpointsOptions } from '@wlm/commons/metrics';

interface FakeService {
  lifecycle: ServiceState;
  broker: string;
}

function endpoints(state: FakeService): ServiceEndpointsOptions {
  const registry = new Registry();
  new Counter({ name: 'wlm_test_things_total', help: 'things', registers: [registry] }).inc(7);
  return {
    registry,
    status: () => ({ lifecycle: state.lifecycle, instance: 't1' }),
    probes: [
      connectionProbe('rabbitmq', 'AMQP', () => state.broker),
      { name: 'store', check: () => Promise.resolve() },
    ],
  };
}

describe('serveMetrics', () => {
  it('serves the registry as Prometheus text on /metrics, 404 elsewhere, and stops on close', async () => {
    const server = await serveMetrics(endpoints({ lifecycle: 'running', broker: 'connected' }), {
      host: '127.0.0.1',
      port: 0,
    });
    try {
      const response = await fetch(server.url);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain('text/plain');
      expect(await response.text()).toContain('wlm_test_things_total 7');
      expect((await fetch(server.url.replace('/metrics', '/other'))).status).toBe(404);
    } finally {
      await server.close();
    }
    await expect(fetch(server.url)).rejects.toThrow();
  });

  it('says alive on /healthz until the service stops, and ready on /readyz only while it runs with every dependency', async () => {
    const state: FakeService = { lifecycle: 'starting', broker: 'connecting' };
    const server = await serveMetrics(endpoints(state), { host: '127.0.0.1', port: 0 });
    const base = server.url.replace('/metrics', '');
    const get = async (path: string): Promise<[number, Record<string, unknown>]> => {
      const response = await fetch(`${base}${path}`);
      return [response.status, (await response.json()) as Record<string, unknown>];
    };
    try {
      expect(await get('/healthz')).toEqual([200, { status: 'ok', lifecycle: 'starting', instance: 't1' }]);
      let [status, body] = await get('/readyz');
      expect(status).toBe(503);
      expect(body).toMatchObject({ status: 'unavailable', down: ['rabbitmq'] });
      expect(body['checks']).toEqual({
        rabbitmq: { ok: false, error: 'the AMQP connection is connecting' },
        store: { ok: true },
      });
      state.broker = 'connected';
      expect((await get('/readyz'))[0]).toBe(503);
      state.lifecycle = 'running';
      [status, body] = await get('/readyz');
      expect([status, body['down']]).toEqual([200, []]);
      state.lifecycle = 'failed';
      expect(await get('/healthz')).toEqual([
        503,
        { status: 'unavailable', lifecycle: 'failed', instance: 't1' },
      ]);
    } finally {
      await server.close();
    }
  });

  it('names the port when it is taken', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const { port } = holder.address() as AddressInfo;
    try {
      const attempt = serveMetrics(endpoints({ lifecycle: 'running', broker: 'connected' }), {
        host: '127.0.0.1',
        port,
      });
      await expect(attempt).rejects.toThrow(ConfigError);
      await expect(attempt).rejects.toThrow(`cannot serve metrics on 127.0.0.1:${port}: it is in use`);
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });
});
