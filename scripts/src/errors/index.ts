export { StackComponentError } from './stack-component-error';
export { StackError } from './stack-error';
export { ApiRequestError } from './api-request-error';
export { ApiUnreachableError } from './api-unreachable-error';
export {
  ConfirmationRequiredError,
  DeadLetterNotFoundError,
  DeadLetterNotReplayableError,
} from './dead-letter-error';
export { PluginScaffoldError } from './plugin-scaffold-error';
