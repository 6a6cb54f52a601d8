import { decodeAdvertisementTags, incarnationOf } from '@wlm/commons/advertisement';
import { SerfRpcClient } from '@wlm/commons/serf';
import type { WorkerAdvertisement } from '@wlm/commons/advertisement';
import type { SerfMember } from '@wlm/commons/serf';
import { SerfAgent } from '@wlm/test-support';

/**
 * A `serf agent` of the test's own (the shared test launcher, with the installation's keys): the
 * cluster the workers under test join, and the vantage point from which the test sees their
 * adverts, as the scheduler would.
 */
export class SeedAgent {
  private constructor(
    private readonly agent: SerfAgent,
    readonly client: SerfRpcClient,
  ) {}

  /** Starts an agent; `join` makes it join an existing cluster through that gossip address. */
  static async start(name: string, join?: string): Promise<SeedAgent> {
    const agent = await SerfAgent.start({ name, join: join === undefined ? [] : [join] });
    try {
      return new SeedAgent(agent, await SerfRpcClient.connect(agent.rpcClientOptions()));
    } catch (error) {
      await agent.stop();
      throw error;
    }
  }

  /** Gossip address: what workers `--join`. */
  get bindAddr(): string {
    return this.agent.bindAddr;
  }

  get rpcAddr(): string {
    return this.agent.rpcAddr;
  }

  /** The member named `name`, or the latest process of worker `name` (its node is named with an incarnation). */
  async member(name: string): Promise<SerfMember | undefined> {
    const members = await this.client.members();
    const exact = members.find((member) => member.name === name);
    if (exact !== undefined) return exact;
    return members
      .filter((member) => incarnationOf(member.name, name) > 0)
      .sort((a, b) => incarnationOf(b.name, name) - incarnationOf(a.name, name))[0];
  }

  /** The advert of worker `name` as the cluster currently sees it. */
  async advert(name: string): Promise<WorkerAdvertisement | undefined> {
    const member = await this.member(name);
    return member === undefined || member.status !== 'alive'
      ? undefined
      : decodeAdvertisementTags(member.tags);
  }

  /**
   * Leaves the cluster gracefully and waits for the agent to exit. A killed agent stays a gossip target
   * of its peers for seconds, and a worker that joins then leaves in that time may have its own
   * graceful leave gossiped to the dead agent only: the cluster would see that worker fail.
   */
  async leave(): Promise<void> {
    try {
      await this.client.leave();
      await this.agent.exited;
    } finally {
      await this.agent.stop();
    }
  }

  async stop(): Promise<void> {
    try {
      await this.client.close();
    } finally {
      await this.agent.stop();
    }
  }
}
