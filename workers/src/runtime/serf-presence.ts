import { EventEmitter } from 'node:events';
import {
  ADVERTISEMENT_TAGS,
  WORKER_UP_EVENT,
  exchangeWithControllers,
  newIncarnation,
  workerNodeName,
} from '@wlm/commons/advertisement';
import { ConfigError, WlmError, withRetry } from '@wlm/commons/errors';
import { SerfRpcClient } from '@wlm/commons/serf';
import type { Logger } from '@wlm/commons/logging';
import type { Advertiser } from './advertiser';
import { OwnSerfAgent } from './own-serf-agent';
import type { WorkerStartInfo } from './worker-events';
import type { WorkerSerfOptions } from './worker-options';

export interface SerfPresenceEvents {
  /** The worker's own agent died: the cluster no longer sees the worker. */
  lost: [error: Error];
}

const OUR_TAG_NAMES = new Set<string>(Object.values(ADVERTISEMENT_TAGS));

/**
 * The worker's place in the Serf cluster, in either mode of {@link WorkerSerfOptions}: which agent it
 * talks to, how it joins, and how it goes away.
 */
export class SerfPresence extends EventEmitter<SerfPresenceEvents> {
  private departing = false;

  private constructor(
    readonly client: SerfRpcClient,
    private readonly agent: OwnSerfAgent | undefined,
    private readonly options: WorkerSerfOptions,
    private readonly log: Logger,
    /** Tags on a shared agent that are not ours; they count against Serf's tag limit. */
    readonly foreignTags: Readonly<Record<string, string>>,
  ) {
    super();
    agent?.on('exit', (exit) => {
      if (this.departing) return;
      const how = exit.signal === null ? `exit code ${exit.code ?? 'unknown'}` : `signal ${exit.signal}`;
      this.emit(
        'lost',
        new WlmError('SERF_UNAVAILABLE', `the worker's serf agent exited unexpectedly (${how})`),
      );
    });
  }

  /**
   * Starts the worker's own agent, or connects to the host's agent and checks that no other worker
   * advertises through it. Not joined yet: set the tags first, then {@link join}, so the cluster
   * sees the worker with its advertisement from its first gossip.
   */
  static async open(options: WorkerSerfOptions, workerId: string, logger: Logger): Promise<SerfPresence> {
    const log = logger.child({ serfMode: options.mode });
    if (options.mode === 'host-agent') {
      const client = await SerfRpcClient.connect({
        addr: options.rpcAddr,
        logger: log,
        ...(options.rpcAuthKey === undefined ? {} : { authKey: options.rpcAuthKey }),
      }).catch((error: unknown) => {
        throw new WlmError(
          'SERF_UNAVAILABLE',
          `cannot reach the Serf agent at ${options.rpcAddr} (--serf-rpc): ${(error as Error).message}`,
          { cause: error },
        );
      });
      try {
        const foreign = await foreignTagsOf(client, workerId, options.rpcAddr);
        return new SerfPresence(client, undefined, options, log, foreign);
      } catch (error) {
        await client.close();
        throw error;
      }
    }
    // A node of its own for every process: a restart never meets its predecessor's dead member.
    const agent = await OwnSerfAgent.start({
      nodeName: workerNodeName(workerId, newIncarnation()),
      logger: log,
      ...(options.bind === undefined ? {} : { bind: options.bind }),
      ...(options.advertise === undefined ? {} : { advertise: options.advertise }),
      ...(options.encryptKey === undefined ? {} : { encryptKey: options.encryptKey }),
      ...(options.rpcAuthKey === undefined ? {} : { rpcAuthKey: options.rpcAuthKey }),
      ...(options.binary === undefined ? {} : { binary: options.binary }),
    });
    const authKey = options.rpcAuthKey;
    try {
      // The agent answers on its RPC port a moment after it opens it.
      const connect = (): Promise<SerfRpcClient> =>
        SerfRpcClient.connect({
          addr: agent.rpcAddr,
          logger: log,
          ...(authKey === undefined ? {} : { authKey }),
        });
      const client = await withRetry(connect, {
        maxAttempts: 10,
        initialDelayMs: 50,
        maxDelayMs: 500,
      });
      return new SerfPresence(client, agent, options, log, {});
    } catch (error) {
      agent.kill();
      await agent.exited;
      throw error;
    }
  }

  /** What the start line reports about Serf. */
  get info(): WorkerStartInfo['serf'] {
    if (this.agent === undefined || this.options.mode !== 'own-agent') {
      return { mode: 'host-agent', rpcAddr: this.rpcAddr };
    }
    return {
      mode: 'own-agent',
      rpcAddr: this.agent.rpcAddr,
      bindAddr: this.agent.bindAddr,
      joined: [...this.options.join],
    };
  }

  /**
   * Joins the cluster through the configured addresses (own agent; the host's agent is in already),
   * exchanges state with every controller's agent so that each scheduler knows the worker at once
   * rather than whenever gossip reaches it ({@link exchangeWithControllers}), then tells the
   * schedulers it is up ({@link WORKER_UP_EVENT}) so they need not wait for Serf's member-join.
   */
  async join(): Promise<void> {
    if (this.options.mode !== 'own-agent' || this.agent === undefined) return;
    const addrs = this.options.join;
    try {
      const reached = await withRetry(() => this.client.join(addrs), {
        maxAttempts: 5,
        initialDelayMs: 200,
        maxDelayMs: 2_000,
        onRetry: (error, attempt) => this.log.debug({ err: error, attempt }, 'serf join failed; retrying'),
      });
      this.log.info({ join: addrs, reached }, 'joined the Serf cluster');
    } catch (error) {
      throw new WlmError(
        'SERF_UNAVAILABLE',
        `cannot join the Serf cluster through ${addrs.join(', ')}: ${(error as Error).message}; ` +
          'is an agent running there (`npx wlm stack status`)? Choose another with --join',
        { cause: error },
      );
    }
    await exchangeWithControllers(this.client, addrs).then(
      (met) => this.log.debug({ met }, 'exchanged state with the controllers'),
      (error: unknown) =>
        this.log.debug({ err: error }, 'could not reach every controller; gossip will tell them'),
    );
    // Only a shortcut: Serf's member-join follows anyway.
    await this.client
      .event(WORKER_UP_EVENT, this.agent.nodeName)
      .catch((error: unknown) => this.log.debug({ err: error }, 'could not announce the worker'));
  }

  /**
   * Leaves the cluster: the own agent announces the departure ({@link announceDeparture}), leaves
   * gracefully (the scheduler sees member-leave, not a failure) and is stopped; on a shared agent
   * our tags are removed and the agent stays.
   */
  async depart(advertiser: Advertiser | undefined): Promise<void> {
    this.departing = true;
    if (this.agent === undefined) {
      await advertiser?.stop();
      await advertiser
        ?.withdraw()
        .catch((error: unknown) => this.log.warn({ err: error }, 'could not remove the tags from the agent'));
      await this.client.close();
      return;
    }
    if (this.agent.running) {
      await this.announceDeparture(advertiser);
      await this.client
        .leave()
        .catch((error: unknown) => this.log.warn({ err: error }, 'serf leave failed; stopping the agent'));
    } else {
      await advertiser?.stop();
    }
    await this.client.close();
    await this.agent.stop();
    this.log.info('left the Serf cluster');
  }

  /**
   * Marks the advertisement departing and exchanges state directly with every controller's agent.
   * Serf gossips a leave intent to a few members only; a scheduler whose agent misses it finds the
   * member gone and would report a failure to the admin. With the mark, which each controller's
   * agent has before the leave begins, that scheduler reads the disappearance as the departure it is.
   */
  private async announceDeparture(advertiser: Advertiser | undefined): Promise<void> {
    if (advertiser === undefined) return;
    try {
      await advertiser.depart();
    } catch (error) {
      this.log.warn({ err: error }, 'could not mark the departure in the Serf tags; leaving all the same');
      return;
    }
    await exchangeWithControllers(this.client, []).then(
      (met) => this.log.debug({ met }, 'told the controllers of the departure'),
      (error: unknown) =>
        this.log.debug({ err: error }, 'could not reach every controller; the leave will tell them'),
    );
  }

  /** Drops out at once after a failed start: no graceful leave, the agent is killed. */
  async abort(): Promise<void> {
    this.departing = true;
    await this.client.close();
    if (this.agent !== undefined) {
      this.agent.kill();
      await this.agent.exited;
    }
  }

  private get rpcAddr(): string {
    return this.options.mode === 'host-agent' ? this.options.rpcAddr : (this.agent?.rpcAddr ?? '');
  }
}

/** The agent's tags that are not ours, refusing an agent that already advertises another worker. */
async function foreignTagsOf(
  client: SerfRpcClient,
  workerId: string,
  rpcAddr: string,
): Promise<Record<string, string>> {
  const tags = (await client.stats())['tags'] ?? {};
  const advertised = tags[ADVERTISEMENT_TAGS.workerId];
  if (tags[ADVERTISEMENT_TAGS.role] === 'worker' && advertised !== undefined && advertised !== workerId) {
    throw new ConfigError(
      'serf-rpc',
      `the Serf agent at ${rpcAddr} already advertises worker "${advertised}": run one worker per agent, ` +
        'or leave out --serf-rpc so that this worker starts an agent of its own',
    );
  }
  return Object.fromEntries(Object.entries(tags).filter(([name]) => !OUR_TAG_NAMES.has(name)));
}
