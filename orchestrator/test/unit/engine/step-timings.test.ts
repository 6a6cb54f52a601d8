import { StepTimings } from '../../../src/engine/step-timings';

describe('StepTimings', () => {
  it('names each step <step>Ms, in whole milliseconds from the end of the step before', async () => {
    const steps = new StepTimings();
    steps.done('create');
    await new Promise((resolve) => setTimeout(resolve, 20));
    steps.done('start');
    expect(Object.keys(steps.ms)).toEqual(['createMs', 'startMs']);
    for (const ms of Object.values(steps.ms)) expect(Number.isInteger(ms)).toBe(true);
    // The wait belongs to the second step, not the first.
    expect(steps.ms['startMs']).toBeGreaterThanOrEqual(15);
    expect(steps.ms['createMs']).toBeLessThan(steps.ms['startMs'] ?? 0);
  });
});
