import { createTransport } from 'nodemailer';
import type { Transporter } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import type { WlmConfig } from '@wlm/commons/config';
import type { Logger } from '@wlm/commons/logging';
import { MailSendError } from '../errors';
import type { AdminMail } from './incident-mail';

/** Sends admin mails through the configured SMTP server (`smtp.*`) to `smtp.adminEmail`. */
export class AdminMailer {
  private readonly transport: Transporter<SMTPTransport.SentMessageInfo, SMTPTransport.Options>;
  private readonly server: string;
  /** The right-hand side of every Message-ID: the sender's domain. */
  private readonly domain: string;

  constructor(
    private readonly smtp: WlmConfig['smtp'],
    private readonly logger: Logger,
  ) {
    this.server = `${smtp.host}:${smtp.port}`;
    this.domain = smtp.from.slice(smtp.from.lastIndexOf('@') + 1) || 'localhost';
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

  /** The Message-ID a mail with this {@link AdminMail.id} is sent with. */
  messageIdOf(id: string): string {
    return `<${id}@${this.domain}>`;
  }

  /**
   * Sends with a Message-ID made from the mail's id, so a repeat of the same incident's mail is
   * recognisably the same message.
   *
   * @throws MailSendError (retryable) when the server does not accept the mail.
   */
  async send(mail: AdminMail): Promise<void> {
    const replyTo = mail.inReplyTo === undefined ? undefined : this.messageIdOf(mail.inReplyTo);
    try {
      const info = await this.transport.sendMail({
        from: this.smtp.from,
        to: this.smtp.adminEmail,
        subject: mail.subject,
        text: mail.text,
        messageId: this.messageIdOf(mail.id),
        ...(replyTo === undefined ? {} : { inReplyTo: replyTo, references: replyTo }),
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
