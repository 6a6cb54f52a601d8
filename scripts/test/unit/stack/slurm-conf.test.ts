import { renderSlurmConf } from '../../../src/stack/slurm-conf';
import type { SlurmConfInput } from '../../../src/stack/slurm-conf';

const input: SlurmConfInput = {
  hostname: 'vm',
  cpus: 2,
  stateDir: '/stack/slurm/state',
  spoolDir: '/stack/slurm/spool',
  logDir: '/stack/slurm/log',
  runDir: '/stack/slurm/run',
};

/** Each `Key=value` line as key → value; the node and partition lines keep their whole text. */
function settings(conf: string): Map<string, string> {
  const entries = conf
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line): [string, string] => {
      const equals = line.indexOf('=');
      return [line.slice(0, equals), line.slice(equals + 1)];
    });
  return new Map(entries);
}

describe('renderSlurmConf', () => {
  const conf = renderSlurmConf(input);
  const lines = conf.split('\n');
  const set = settings(conf);

  it('runs the controller on this host at 127.0.0.1 and binds every daemon there', () => {
    expect(set.get('SlurmctldHost')).toBe('vm(127.0.0.1)');
    expect(set.get('SlurmctldPort')).toBe('6817');
    expect(set.get('SlurmdPort')).toBe('6818');
    expect(set.get('CommunicationParameters')).toBe('NoCtldInAddrAny,NoInAddrAny');
  });

  it('declares one node with the machine CPUs and a default partition named debug', () => {
    expect(lines).toContain('NodeName=vm NodeAddr=127.0.0.1 CPUs=2 State=UNKNOWN');
    expect(lines).toContain('PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP');
  });

  it('needs no cgroups, keeps finished jobs an hour and brings a DOWN node back', () => {
    expect(set.get('ProctrackType')).toBe('proctrack/linuxproc');
    expect(set.get('TaskPlugin')).toBe('task/none');
    expect(set.get('SelectType')).toBe('select/cons_tres');
    expect(set.get('MpiDefault')).toBe('none');
    expect(set.get('ReturnToService')).toBe('2');
    expect(set.get('MinJobAge')).toBe('3600');
  });

  it('has no accounting daemon to talk to', () => {
    expect(set.get('AccountingStorageType')).toBe('accounting_storage/none');
    expect(conf).not.toMatch(/slurmdbd|AccountingStorageHost/i);
  });

  it('keeps state, spool, logs and PID files in the folders given', () => {
    expect(set.get('StateSaveLocation')).toBe('/stack/slurm/state');
    expect(set.get('SlurmdSpoolDir')).toBe('/stack/slurm/spool');
    expect(set.get('SlurmctldLogFile')).toBe('/stack/slurm/log/slurmctld.log');
    expect(set.get('SlurmdLogFile')).toBe('/stack/slurm/log/slurmd.log');
    expect(set.get('SlurmctldPidFile')).toBe('/stack/slurm/run/slurmctld.pid');
    expect(set.get('SlurmdPidFile')).toBe('/stack/slurm/run/slurmd.pid');
  });

  it('sets every key once', () => {
    const keys = lines.filter((l) => l !== '' && !l.startsWith('#')).map((l) => l.split('=', 1)[0]);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('refuses values slurm.conf cannot hold rather than writing a broken file', () => {
    expect(() => renderSlurmConf({ ...input, stateDir: '/my stack/state' })).toThrow(/StateSaveLocation/);
    expect(() => renderSlurmConf({ ...input, hostname: 'a=b' })).toThrow(/host name/);
    expect(() => renderSlurmConf({ ...input, cpus: 0 })).toThrow(/CPU/);
  });
});
