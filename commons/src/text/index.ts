export { TailBuffer } from './tail-buffer';
