import type { WlmConfig } from '@wlm/commons/config';
import type { HostPort } from '@wlm/commons/net';
import type { StackPaths } from './paths';

/** Every component of the local stack, in the order `status` lists them. */
export const COMPONENT_NAMES = [
  'rabbitmq',
  'mariadb',
  'neo4j',
  'serf',
  'sshd',
  'smtp',
  'slurm',
  'redis',
] as const;
export type ComponentName = (typeof COMPONENT_NAMES)[number];

/** Programs the project installs for its own use that are not servers of the stack (the browser tests' chromium). */
export type ToolName = 'chromium';

/**
 * Components `stack up` starts only when asked (`--with-slurm`, `--with-redis`, or named in `only`);
 * `status` and `down` include them when they run.
 */
export const OPTIONAL_COMPONENT_NAMES = ['slurm', 'redis'] as const satisfies readonly ComponentName[];

/** What `stack up` starts by default: every component but the optional ones. */
export const DEFAULT_COMPONENT_NAMES: readonly ComponentName[] = COMPONENT_NAMES.filter(
  (name) => !(OPTIONAL_COMPONENT_NAMES as readonly ComponentName[]).includes(name),
);

/** A Unix domain socket, for daemons without a TCP port (munged). */
export interface UnixSocket {
  readonly path: string;
}

/** Where a server answers: a TCP address or a Unix socket. */
export type Endpoint = HostPort | UnixSocket;

/** A process `stack up` starts and records, for components made of several daemons. */
export interface OwnedProcess {
  /** The program, as progress and `down` name it (`slurmctld`). */
  readonly label: string;
  readonly pidFile: string;
  /** A string its command line contains, so a recycled PID is never taken for ours. */
  readonly processMarker: string;
}

/** What `stack status` reports for one component. */
export interface ComponentStatus {
  readonly name: ComponentName;
  readonly state: 'up' | 'down';
  /** `host:port` the component answers on. */
  readonly address: string;
  /** The running server's version; null when down or when it cannot be read. */
  readonly version: string | null;
  /** Set when `stack up` started the process (and `stack down` would stop it); for slurm, slurmctld's. */
  readonly pid: number | null;
}

/** A line of progress from `stack up`/`down`; `waiting` repeats while a slow step runs. */
export interface ProgressEvent {
  /** `stack` for what concerns the whole stack (waiting for another `wlm stack` command). */
  readonly component: ComponentName | 'stack';
  readonly kind: 'info' | 'waiting' | 'done';
  readonly message: string;
  readonly elapsedMs?: number;
}

export type ProgressListener = (event: ProgressEvent) => void;

/** The progress sink a component writes to; the stack fills in the component name. */
export type Reporter = (kind: ProgressEvent['kind'], message: string, elapsedMs?: number) => void;

/** What every component is built from. */
export interface ComponentEnv {
  readonly config: WlmConfig;
  readonly paths: StackPaths;
}

/**
 * One server of the local stack. The stack decides whether it is up (its port answers); a component only
 * knows how to start itself, how to set itself up once it answers, and how to read its version.
 */
export interface StackComponent {
  readonly name: ComponentName;
  readonly address: HostPort;
  /** Where its output goes; named in every error about it. */
  readonly logFile: string;
  /** Written only when `stack up` started the process. */
  readonly pidFile: string;
  /** A string the process's command line contains, so a recycled PID is never taken for ours. */
  readonly processMarker: string;
  /**
   * For a component made of several daemons: each process `stack up` may start, in the order `stack down`
   * stops them (the one in {@link pidFile} among them). Its {@link start} then runs whenever the component
   * is not wholly up, and starts only the daemons that are not running.
   */
  readonly processes?: readonly OwnedProcess[];
  /** Whether it is up; by default, whether {@link address} accepts connections. */
  isUp?(): Promise<boolean>;
  /** Installs what is missing, starts the server and waits until its port answers. */
  start(report: Reporter): Promise<void>;
  /** Idempotent setup once it answers (a database, a password); runs on every `up`. */
  provision?(report: Reporter): Promise<void>;
  /** The running server's version; throws when it cannot be read. */
  version(): Promise<string>;
}
