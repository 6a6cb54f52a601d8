import { nodeReadiness, parseNodeState } from '../../../src/stack/slurm-node';

// `scontrol --oneliner show node vm` from SLURM 22.05 (Debian), shortened in the middle.
const IDLE =
  'NodeName=vm Arch=x86_64 CoresPerSocket=1  CPUAlloc=0 CPUEfctv=2 CPUTot=2 CPULoad=1.23 ' +
  'NodeAddr=127.0.0.1 NodeHostName=vm Version=22.05.8 RealMemory=1 AllocMem=0 FreeMem=22598 Sockets=2 ' +
  'Boards=1 State=IDLE ThreadsPerCore=1 TmpDisk=0 Weight=1 Owner=N/A MCS_label=N/A Partitions=debug  ' +
  'CfgTRES=cpu=2,mem=1M,billing=2 AllocTRES= CapWatts=n/a CurrentWatts=0 AveWatts=0';
const DRAINED =
  'NodeName=vm Arch=x86_64 CPUTot=2 State=DOWN+DRAIN ThreadsPerCore=1 Partitions=debug ' +
  'CfgTRES=cpu=2,mem=1M,billing=2 AllocTRES= CapWatts=n/a Reason=drain test [root@2026-11-23T15:42:21]';

describe('parseNodeState', () => {
  it('reads the state of an idle node, which has no reason', () => {
    expect(parseNodeState(IDLE)).toEqual({ state: 'IDLE', reason: undefined });
  });

  it('reads a reason with spaces, without the user and time slurm appends', () => {
    expect(parseNodeState(DRAINED)).toEqual({ state: 'DOWN+DRAIN', reason: 'drain test' });
  });

  it('does not take AllocTRES= or CfgTRES= for the state', () => {
    expect(parseNodeState('NodeName=vm AllocTRES= CfgTRES=cpu=2')).toBeUndefined();
    expect(parseNodeState('')).toBeUndefined();
  });
});

describe('nodeReadiness', () => {
  it.each(['IDLE', 'MIXED', 'ALLOCATED', 'IDLE+COMPLETING', 'ALLOCATED+COMPLETING'])(
    '%s takes jobs',
    (state) => {
      expect(nodeReadiness(state)).toBe('ready');
    },
  );

  it.each(['DOWN', 'DOWN+DRAIN', 'IDLE+DRAIN', 'DRAINED', 'MIXED+DRAIN'])('%s is resumed', (state) => {
    expect(nodeReadiness(state)).toBe('resume');
  });

  it.each(['UNKNOWN', 'DOWN+NOT_RESPONDING', 'IDLE*', 'DOWN*', 'IDLE+POWERING_UP', 'FUTURE'])(
    '%s is waited for (its slurmd is not registered or not answering)',
    (state) => {
      expect(nodeReadiness(state)).toBe('wait');
    },
  );
});
