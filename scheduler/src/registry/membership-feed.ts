import { ADVERTISEMENT_TAGS, WORKER_DIED_EVENT, WORKER_UP_EVENT } from '@wlm/commons/advertisement';
import type { Logger } from '@wlm/commons/logging';
import type { SerfEventStream, SerfMember, SerfRpcClient } from '@wlm/commons/serf';

/**
 * How a member reading reached the registry; only some may bring a failed worker back. `reread` is
 * a fresh read of one member the registry asked for ({@link MembershipFeed.reread}).
 */
export type Origin = 'snapshot' | 'join' | 'update' | 'poll' | 'reread';

/** What the feed tells: the {@link WorkerRegistry}. */
export interface MembershipSink {
  /** One member's state, as read. */
  member(member: SerfMember, origin: Origin): void;
  /** The whole membership, read at start and after every reconnect of the agent's client. */
  snapshot(members: readonly SerfMember[], reason: 'start' | 'reconnect'): void;
  /** The agent forgot a member for good. */
  reaped(member: SerfMember): void;
  /** A worker's watchdog says the process behind node `nodeName` ended. */
  died(nodeName: string): void;
  /** Whether node `nodeName` is known dead here: a late up notice must not bring it back. */
  knownDead(nodeName: string): boolean;
}

export interface MembershipFeedOptions {
  /** A connected client of the scheduler's own Serf agent; the feed does not close it. */
  readonly serf: SerfRpcClient;
  readonly logger: Logger;
  /** How often to ask the agent for failed and departed workers, in ms; 0 turns it off. */
  readonly failurePollMs: number;
}

/**
 * Everything the scheduler's Serf agent says about members: the member event stream, a re-read
 * after every reconnect (events missed while disconnected are lost), a poll of failed members (an
 * agent that coalesces member events reports a failure on its stream a second after `members`
 * shows it), and the workers' own notices — {@link WORKER_DIED_EVENT} from the watchdog of a dead
 * worker's agent, {@link WORKER_UP_EVENT} from a worker that just joined, whose member is read at
 * once rather than on Serf's member-join a second later.
 */
export class MembershipFeed {
  private stream: SerfEventStream | undefined;
  /** Members being re-read: one read at a time each, however many updates ask for it. */
  private readonly rereading = new Set<string>();
  private pollTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly onReconnected = (): void => void this.read('reconnect');

  constructor(
    private readonly options: MembershipFeedOptions,
    private readonly sink: MembershipSink,
  ) {}

  /** Subscribes, then reads the membership (a failed first read throws), then starts polling. */
  async start(): Promise<void> {
    const { serf } = this.options;
    // Subscribe before reading, so nothing that happens in between is missed.
    this.stream = await serf.stream([
      'member-join',
      'member-leave',
      'member-failed',
      'member-update',
      'member-reap',
      `user:${WORKER_DIED_EVENT}`,
      `user:${WORKER_UP_EVENT}`,
    ]);
    this.stream.on('event', (event) => {
      if (this.closed) return;
      if (event.type === 'user') {
        const nodeName = new TextDecoder().decode(event.payload);
        if (event.name === WORKER_DIED_EVENT) this.sink.died(nodeName);
        else void this.readAnnounced(nodeName);
        return;
      }
      const origin: Origin = event.type === 'member-join' ? 'join' : 'update';
      for (const member of event.members) {
        if (event.type === 'member-reap') this.sink.reaped(member);
        else this.sink.member(member, origin);
      }
    });
    serf.on('reconnected', this.onReconnected);
    await this.read('start');
    if (this.options.failurePollMs > 0) {
      this.pollTimer = setInterval(() => void this.pollFailures(), this.options.failurePollMs);
      this.pollTimer.unref();
    }
  }

  /** Stops listening. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.pollTimer);
    this.options.serf.off('reconnected', this.onReconnected);
    await this.stream
      ?.stop()
      .catch((error: unknown) => this.options.logger.debug({ err: error }, 'serf stream stop failed'));
  }

  private async read(reason: 'start' | 'reconnect'): Promise<void> {
    let members: SerfMember[];
    try {
      members = await this.options.serf.members();
    } catch (error) {
      if (reason === 'start') throw error;
      this.options.logger.warn({ err: error }, 'cannot re-read the Serf membership after reconnecting');
      return;
    }
    if (!this.closed) this.sink.snapshot(members, reason);
  }

  private async pollFailures(): Promise<void> {
    if (this.closed) return;
    try {
      const members = await this.options.serf.membersFiltered({
        status: 'failed|left|leaving',
        tags: { [ADVERTISEMENT_TAGS.role]: 'worker' },
      });
      for (const member of members) if (!this.closed) this.sink.member(member, 'poll');
    } catch (error) {
      this.options.logger.debug(
        { err: error },
        'failure poll failed; the event stream still reports failures',
      );
    }
  }

  /**
   * Reads one member afresh and hands it on as `reread`. For a failed worker that an event shows
   * alive: the agent coalesces a member's events, so a rejoin followed within its window by a tag
   * update reaches the stream as a single `member-update`, which alone cannot tell a comeback from
   * an update queued before the failure.
   */
  reread(nodeName: string): void {
    if (this.closed || this.rereading.has(nodeName)) return;
    this.rereading.add(nodeName);
    void this.readMember(nodeName, 'reread').finally(() => this.rereading.delete(nodeName));
  }

  private async readAnnounced(nodeName: string): Promise<void> {
    if (this.sink.knownDead(nodeName)) return;
    await this.readMember(nodeName, 'join');
  }

  private async readMember(nodeName: string, origin: 'join' | 'reread'): Promise<void> {
    if (!/^[\w.~-]+$/.test(nodeName)) return;
    try {
      const members = await this.options.serf.membersFiltered({
        name: `^${nodeName.replace(/\./g, '\\.')}$`,
      });
      for (const member of members) if (!this.closed) this.sink.member(member, origin);
    } catch (error) {
      this.options.logger.debug(
        { err: error, member: nodeName, origin },
        'cannot read a member afresh; its next member event will do',
      );
    }
  }
}
