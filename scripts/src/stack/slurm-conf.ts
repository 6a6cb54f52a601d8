/** The one address every daemon of the stack's SLURM binds to. */
export const SLURM_ADDRESS = '127.0.0.1';
export const SLURMCTLD_PORT = 6817;
export const SLURMD_PORT = 6818;
/** The partition jobs go to when they name none (the compute resource's `defaultQueue`). */
export const SLURM_PARTITION = 'debug';
export const SLURM_CLUSTER_NAME = 'wlm';

/** What the stack's slurm.conf is rendered from; all paths absolute. */
export interface SlurmConfInput {
  /** The short host name: slurmctld refuses to run unless `SlurmctldHost` names the host it runs on. */
  readonly hostname: string;
  /** Cores the node offers (`nproc`); more than the machine has would drain the node. */
  readonly cpus: number;
  readonly stateDir: string;
  readonly spoolDir: string;
  readonly logDir: string;
  readonly runDir: string;
}

/** Slurm's parser splits on whitespace and `=`; a value holding them cannot be written safely. */
function plain(name: string, value: string): string {
  if (value === '' || /[\s=#"']/.test(value)) {
    throw new TypeError(`slurm.conf cannot hold ${name} ${JSON.stringify(value)}: no spaces, quotes, = or #`);
  }
  return value;
}

/**
 * slurm.conf of a single-node cluster on 127.0.0.1: one node, one partition, no slurmdbd (it would bind
 * 0.0.0.0), and finished jobs kept an hour so that `scontrol show job` still reports their exit code.
 */
export function renderSlurmConf(input: SlurmConfInput): string {
  const host = plain('the host name', input.hostname);
  if (!Number.isInteger(input.cpus) || input.cpus < 1) throw new TypeError(`not a CPU count: ${input.cpus}`);
  const path = (name: string, value: string): string => plain(name, value);
  return [
    '# Written by `wlm stack up --with-slurm`; rewritten on every start.',
    `ClusterName=${SLURM_CLUSTER_NAME}`,
    `SlurmctldHost=${host}(${SLURM_ADDRESS})`,
    `SlurmctldPort=${SLURMCTLD_PORT}`,
    `SlurmdPort=${SLURMD_PORT}`,
    // Without these the daemons (and srun) listen on 0.0.0.0; with them, on the addresses named here.
    'CommunicationParameters=NoCtldInAddrAny,NoInAddrAny',
    'SlurmUser=root',
    'SlurmdUser=root',
    'AuthType=auth/munge',
    `StateSaveLocation=${path('StateSaveLocation', input.stateDir)}`,
    `SlurmdSpoolDir=${path('SlurmdSpoolDir', input.spoolDir)}`,
    `SlurmctldPidFile=${path('SlurmctldPidFile', `${input.runDir}/slurmctld.pid`)}`,
    `SlurmdPidFile=${path('SlurmdPidFile', `${input.runDir}/slurmd.pid`)}`,
    `SlurmctldLogFile=${path('SlurmctldLogFile', `${input.logDir}/slurmctld.log`)}`,
    `SlurmdLogFile=${path('SlurmdLogFile', `${input.logDir}/slurmd.log`)}`,
    // No cgroups needed: plain process tracking, no task binding.
    'ProctrackType=proctrack/linuxproc',
    'TaskPlugin=task/none',
    'SelectType=select/cons_tres',
    'SelectTypeParameters=CR_Core',
    'MpiDefault=none',
    // A node that was DOWN comes back as soon as its slurmd registers again.
    'ReturnToService=2',
    // Monitoring reads finished jobs with `scontrol show job`: keep them an hour, not the default 5 min.
    'MinJobAge=3600',
    'AccountingStorageType=accounting_storage/none',
    'JobAcctGatherType=jobacct_gather/none',
    'JobCompType=jobcomp/none',
    // The default /bin/mail is not installed; slurmctld logs an error for it on every start.
    'MailProg=/bin/true',
    `NodeName=${host} NodeAddr=${SLURM_ADDRESS} CPUs=${input.cpus} State=UNKNOWN`,
    `PartitionName=${SLURM_PARTITION} Nodes=ALL Default=YES MaxTime=INFINITE State=UP`,
    '',
  ].join('\n');
}
