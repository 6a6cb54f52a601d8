export { handedBack, publishFailed, shuttingDown } from './retryable-errors';
export { MailSendError } from './mail-send-error';
