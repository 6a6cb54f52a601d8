/**
 * @wlm/scripts — the local stack of servers wlm runs against (RabbitMQ, MariaDB, Neo4j, Serf, sshd,
 * an SMTP sink and, on request, a single-node SLURM cluster), the `wlm` command line, and the mock
 * orchestrator harness (`runMockOrchestrator`, `wlm mock-orchestrator`) that drives the scheduler and
 * workers with generated DAGs.
 *
 * @example
 * ```ts
 * import { loadConfig } from '@wlm/commons/config';
 * import { stackComputeResource, stackUp, stackStatus, stackPaths } from '@wlm/scripts';
 * const config = loadConfig();
 * await stackUp({ config, onProgress: (e) => process.stderr.write(`${e.component}: ${e.message}\n`) });
 * const { ssh } = stackPaths(config); // ssh.clientKey, ssh.hostPublicKey, ssh.knownHosts for SSH clients
 *
 * await stackUp({ config, withSlurm: true }); // also munged, slurmctld, slurmd; waits for an idle node
 * const { slurm } = stackPaths(config); // SLURM_CONF=slurm.conf for sbatch, squeue, scontrol, scancel
 * const resource = stackComputeResource(config, process.cwd()); // the SSH + SLURM compute resource
 * ```
 */
export { stackUp, stackDown, stackStatus, stackComponents } from './stack/stack';
export type { StackOptions, UpResult, DownResult } from './stack/stack';
export { stackPaths, findProjectRoot } from './stack/paths';
export { ensureChromium } from './stack/chromium';
export type { StackPaths } from './stack/paths';
export { stackComputeResource } from './stack/compute-resource';
export type { StackComputeResource } from './stack/compute-resource';
export { COMPONENT_NAMES, DEFAULT_COMPONENT_NAMES, OPTIONAL_COMPONENT_NAMES } from './stack/types';
export type {
  ComponentName,
  ComponentStatus,
  ProgressEvent,
  ProgressListener,
  StackComponent,
} from './stack/types';
export { listMails, deleteMails, clearMails } from './stack/mail-store';
export type { StoredMail } from './stack/mail-store';
export { formatStatus, formatMails, formatProgress } from './stack/format';
export { StackComponentError, StackError } from './errors';
export { runMockOrchestrator } from './mock-orchestrator/mock-orchestrator';
export type { MockOrchestratorOptions } from './mock-orchestrator/mock-orchestrator';
export type { RunSummary, RunOutcome, LatencyReport } from './mock-orchestrator/summary';
export type { ProgressSnapshot } from './mock-orchestrator/progress';
export { DAG_SHAPES } from './mock-orchestrator/dag-generator';
export { seededRandom } from './mock-orchestrator/seeded-random';
export { table } from './format/text-table';
export type { RandomSource } from './mock-orchestrator/seeded-random';
export type { DagShape } from './mock-orchestrator/dag-generator';
export { NetnsLab } from './netns/netns-lab';
export type { LabHost } from './netns/netns-lab';
export { TcpForwarder } from './netns/tcp-forwarder';
