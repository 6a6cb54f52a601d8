export { TailBuffer } from './tail-buffer';
export { LineTail } from './line-tail';
