export { freePort, portOpen } from './free-port';
export { formatHostPort } from './host-port';
export type { HostPort } from './host-port';
export { probeTlsRefusal } from './tls-probe';
export type { TlsProbeTarget } from './tls-probe';
