export { StackComponentError } from './stack-component-error';
export { StackError } from './stack-error';
export { ApiAnswerInvalidError } from './api-answer-invalid-error';
export { ApiRequestError } from './api-request-error';
export { ApiUnreachableError } from './api-unreachable-error';
export { ConfirmationRequiredError } from './confirmation-required-error';
export { PluginScaffoldError } from './plugin-scaffold-error';
