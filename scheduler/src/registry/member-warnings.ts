import type { Logger } from '@wlm/commons/logging';
import type { MemberReading } from './worker-view';

/**
 * Logs why a member is not a worker of this installation once per change of reason, not on every
 * event of that member: a bad advertisement is news once.
 */
export class MemberWarnings {
  private readonly warned = new Map<string, string>();

  constructor(private readonly log: Logger) {}

  /** Notes what `memberName` reads as now; logs only when the reason is new. */
  note(memberName: string, reading: MemberReading): void {
    if (reading.kind === 'worker') {
      this.warned.delete(memberName);
      return;
    }
    if (reading.kind === 'other') return;
    const signature =
      reading.kind === 'foreign' ? `foreign:${reading.queue}` : `invalid:${String(reading.error)}`;
    if (this.warned.get(memberName) === signature) return;
    this.warned.set(memberName, signature);
    if (reading.kind === 'foreign') {
      this.log.debug({ member: memberName, queue: reading.queue }, 'ignoring a worker of another namespace');
    } else {
      this.log.warn(
        { member: memberName, err: reading.error },
        'ignoring a member with an invalid worker advertisement',
      );
    }
  }
}
