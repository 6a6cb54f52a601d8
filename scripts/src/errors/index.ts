export { StackComponentError } from './stack-component-error';
export { StackError } from './stack-error';
