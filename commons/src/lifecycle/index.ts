/** How a service process answers the signals that stop it, the same in every wlm service. */
export { onStopSignals } from './stop-signals';
export type { SignalTarget, StopStep } from './stop-signals';
