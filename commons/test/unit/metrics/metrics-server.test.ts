import { Counter, Registry } from 'prom-client';
import { serveMetrics } from '@wlm/commons';

describe('serveMetrics', () => {
  it('serves the registry as Prometheus text on /metrics and nothing else', async () => {
    const registry = new Registry();
    new Counter({ name: 'wlm_test_things_total', help: 'things', registers: [registry] }).inc(7);
    const server = await serveMetrics(registry, { host: '127.0.0.1', port: 0 });
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
});
