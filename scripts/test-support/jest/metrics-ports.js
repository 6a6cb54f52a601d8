/**
 * Tests start many schedulers and workers on one machine, several test files at once: each takes a
 * free metrics port instead of the fixed defaults (9464, 9465), unless the test sets one itself.
 * Child processes inherit these.
 */
process.env.WLM_METRICS_SCHEDULER_PORT ??= '0';
process.env.WLM_METRICS_WORKER_PORT ??= '0';
