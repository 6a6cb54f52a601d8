import { InvalidArgumentError } from 'commander';
import { metricsPortOption, parseMetricsPort } from '../../../src/cli/metrics-option';

describe('--metrics-port', () => {
  it('takes a port, 0 for a free one, or off', () => {
    expect(parseMetricsPort('9465')).toBe(9465);
    expect(parseMetricsPort('0')).toBe(0);
    expect(parseMetricsPort(' off ')).toBe('off');
  });

  it('refuses anything else, saying what it takes', () => {
    for (const value of ['65536', '-1', 'on', '9465x', '']) {
      expect(() => parseMetricsPort(value)).toThrow(InvalidArgumentError);
      expect(() => parseMetricsPort(value)).toThrow('expected a port from 0 to 65535, or off');
    }
  });

  it('documents its default from the configuration and the variable that sets it', () => {
    expect(metricsPortOption('workerPort').description).toMatch(
      /metrics\.workerPort, WLM_METRICS_WORKER_PORT, else 9465/,
    );
    expect(metricsPortOption('schedulerPort').description).toMatch(
      /metrics\.schedulerPort, WLM_METRICS_SCHEDULER_PORT, else 9464/,
    );
  });
});
