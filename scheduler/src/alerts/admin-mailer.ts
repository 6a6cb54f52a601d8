import { createTransport } from 'nodemailer';
import type { Transporter } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import type { Logger, WlmConfig } from '@wlm/commons';
import { MailSendError } from '../errors';
import type { AdminMail } from './incident-mail';

/** Sends admin mails through the configured SMTP server (`smtp.*`) to `smtp.adminEmail`. */
export class AdminMailer {
  private readonly transport: Transporter<SMTPTransport.SentMessageInfo, SMTPTransport.Options>;
  private readonly server: string;

  constructor(
    private readonly smtp: WlmConfig['smtp'],
    private readonly logger: Logger,
  ) {
    this.server = `${smtp.host}:${smtp.port}`;
    this.transport = createTransport({
      host: smtp.host,
      port: smtp.port,
      // Port 465 speaks TLS from the first byte; anything else upgrades with STARTTLS when offered.
      secure: smtp.port === 465,
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 30_000,
    });
  }

  /** @throws MailSendError (retryable) when the server does not accept the mail. */
  async send(mail: AdminMail): Promise<void> {
    try {
      const info = await this.transport.sendMail({
        from: this.smtp.from,
        to: this.smtp.adminEmail,
        subject: mail.subject,
        text: mail.text,
      });
      this.logger.info(
        { to: this.smtp.adminEmail, subject: mail.subject, messageId: info.messageId },
        'admin mail sent',
      );
    } catch (error) {
      throw new MailSendError(this.server, mail.subject, error);
    }
  }

  close(): void {
    this.transport.close();
  }
}
