import { MAX_CONTROLLER_EXCHANGES, controllersToMeet } from '../../../src/advertisement';
import type { MemberAddress } from '../../../src/advertisement';
import type { SerfMemberStatus } from '../../../src/serf';

function member(
  addr: string,
  { status = 'alive', tags = {} }: { status?: SerfMemberStatus; tags?: Record<string, string> } = {},
): MemberAddress {
  return { addr, port: 7946, tags, status };
}

describe('the controllers a joined worker meets', () => {
  it('are the alive members that advertise no worker, other than those joined through', () => {
    const members = [
      member('10.0.0.1'),
      member('10.0.0.2', { tags: { role: 'scheduler' } }),
      member('10.0.0.3', { status: 'failed' }),
      member('10.0.0.4', { status: 'left' }),
      member('10.0.1.1', { tags: { r: 'worker', w: 'w1' } }),
      member('10.0.1.2', { tags: { r: 'worker', w: 'w2' } }),
    ];
    expect(controllersToMeet(members, ['10.0.0.1:7946'])).toEqual(['10.0.0.2:7946']);
    expect(controllersToMeet(members, ['10.0.1.1:7946'])).toEqual(['10.0.0.1:7946', '10.0.0.2:7946']);
  });

  it('brackets an IPv6 address, as Serf’s join expects', () => {
    expect(controllersToMeet([member('fd00::1')], [])).toEqual(['[fd00::1]:7946']);
  });

  it(`are at most ${MAX_CONTROLLER_EXCHANGES}: gossip tells the others`, () => {
    const many = Array.from({ length: MAX_CONTROLLER_EXCHANGES + 5 }, (_, i) => member(`10.0.2.${i}`));
    expect(controllersToMeet(many, [])).toHaveLength(MAX_CONTROLLER_EXCHANGES);
  });
});
