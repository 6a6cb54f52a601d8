import { WlmError } from '@wlm/commons/errors';

/**
 * The SMTP server did not take an admin mail. Retryable: the incident report that asked for it is
 * requeued and the mail tried again.
 */
export class MailSendError extends WlmError {
  override readonly name = 'MailSendError';

  constructor(
    /** `host:port` of the SMTP server. */
    readonly server: string,
    readonly subject: string,
    cause: unknown,
  ) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    super(
      'MAIL_SEND_FAILED',
      `cannot send the admin mail "${subject}" through ${server}: ${detail}; check smtp.host and smtp.port (WLM_SMTP_HOST, WLM_SMTP_PORT)`,
      { cause, retryable: true },
    );
  }
}
