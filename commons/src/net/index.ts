export { freePort, portOpen } from './free-port';
