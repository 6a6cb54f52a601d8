import { MAX_CONTROLLER_EXCHANGES, controllersToMeet } from '../../../src/advertisement';
import type { SerfMember, SerfMemberStatus } from '../../../src/serf';

function member(
  name: string,
  addr: string,
  { status = 'alive', tags = {} }: { status?: SerfMemberStatus; tags?: Record<string, string> } = {},
): SerfMember {
  return {
    name,
    addr,
    port: 7946,
    tags,
    status,
    protocolMin: 1,
    protocolMax: 5,
    protocolCur: 2,
    delegateMin: 2,
    delegateMax: 5,
    delegateCur: 4,
  };
}

describe('the controllers a joined worker meets', () => {
  it('are the alive members that advertise no worker, other than those joined through', () => {
    const members = [
      member('ctl-1', '10.0.0.1'),
      member('ctl-2', '10.0.0.2', { tags: { role: 'scheduler' } }),
      member('ctl-3', '10.0.0.3', { status: 'failed' }),
      member('ctl-4', '10.0.0.4', { status: 'left' }),
      member('w1~a', '10.0.1.1', { tags: { r: 'worker', w: 'w1' } }),
      member('w2~b', '10.0.1.2', { tags: { r: 'worker', w: 'w2' } }),
    ];
    expect(controllersToMeet(members, ['10.0.0.1:7946'])).toEqual(['10.0.0.2:7946']);
    expect(controllersToMeet(members, ['10.0.1.1:7946'])).toEqual(['10.0.0.1:7946', '10.0.0.2:7946']);
  });

  it('brackets an IPv6 address, as Serf’s join expects', () => {
    expect(controllersToMeet([member('ctl', 'fd00::1')], [])).toEqual(['[fd00::1]:7946']);
  });

  it(`are at most ${MAX_CONTROLLER_EXCHANGES}: gossip tells the others`, () => {
    const many = Array.from({ length: MAX_CONTROLLER_EXCHANGES + 5 }, (_, i) => member(`ctl-${i}`, `10.0.2.${i}`));
    expect(controllersToMeet(many, [])).toHaveLength(MAX_CONTROLLER_EXCHANGES);
  });
});
