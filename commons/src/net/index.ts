export { freePort, portOpen } from './free-port';
export { probeTlsRefusal } from './tls-probe';
export type { TlsProbeTarget } from './tls-probe';
