/**
 * The lifecycle every long-running wlm service shares: one state machine (starting, running,
 * draining, stopped, failed) with an idempotent close, and one way to run it as a process (stop
 * signals, drain deadline, exit code).
 */
export { ServiceLifecycle } from './service-lifecycle';
export type {
  CloseStep,
  FinalServiceState,
  ServiceLifecycleEvents,
  ServiceLifecycleOptions,
  ServiceLifecycleView,
  ServiceState,
} from './service-lifecycle';
export { runService } from './run-service';
export type { EndingService, RunServiceOptions, ServiceProcess, SignalStep } from './run-service';
export { onStopSignals } from './stop-signals';
export type { SignalTarget, StopStep } from './stop-signals';
