import { join } from 'node:path';
import { findProjectRoot, stackDirOf } from '@wlm/commons/config';
import type { WlmConfig } from '@wlm/commons/config';

export { findProjectRoot };

/** Every file and folder of the local stack; all of it lives under {@link StackPaths.dir}. */
export interface StackPaths {
  /** The stack dir itself (config `stack.dir`, default `.wlm` in the repo root). */
  readonly dir: string;
  /** One `<component>.log` per component, plus `apt.log` and `neo4j-maven.log`. */
  readonly logDir: string;
  /** One `<component>.pid` per process `stack up` started. */
  readonly runDir: string;
  readonly neo4j: {
    readonly home: string;
    readonly conf: string;
    readonly lib: string;
    readonly data: string;
    readonly logs: string;
    readonly run: string;
  };
  readonly ssh: {
    readonly dir: string;
    readonly config: string;
    /** Private key of the stack's SSH user; its public half is in `authorizedKeys`. */
    readonly clientKey: string;
    readonly clientPublicKey: string;
    readonly hostKey: string;
    /** What a client pins the stack's sshd to (ssh2 `hostVerifier`, or compare with `knownHosts`). */
    readonly hostPublicKey: string;
    readonly knownHosts: string;
    readonly authorizedKeys: string;
  };
  /** Where the SMTP sink stores each received mail as a JSON file. */
  readonly mailDir: string;
  /** The single-node SLURM cluster of `stack up --with-slurm`; every path absolute. */
  readonly slurm: {
    readonly dir: string;
    /** What SLURM's client commands need in `SLURM_CONF` (`SLURM_CONF=… sbatch …`). */
    readonly conf: string;
    /** slurmctld's StateSaveLocation: jobs and node states survive a restart. */
    readonly stateDir: string;
    /** slurmd's SlurmdSpoolDir. */
    readonly spoolDir: string;
    /** slurmctld.log and slurmd.log. */
    readonly logDir: string;
    /** The PID files the daemons write themselves (`stack up` keeps its own in {@link StackPaths.runDir}). */
    readonly runDir: string;
  };
  /** Work root of the stack's compute resource (SSH + SLURM): job folders go below it. */
  readonly workRoot: string;
}

/** Where the local stack keeps its files, for `config` as seen from `cwd`. */
export function stackPaths(config: WlmConfig, cwd: string = process.cwd()): StackPaths {
  const dir = stackDirOf(config, cwd);
  const neo4jHome = join(dir, 'neo4j');
  const sshDir = join(dir, 'ssh');
  const slurmDir = join(dir, 'slurm');
  return {
    dir,
    logDir: join(dir, 'logs'),
    runDir: join(dir, 'run'),
    neo4j: {
      home: neo4jHome,
      conf: join(neo4jHome, 'conf'),
      lib: join(neo4jHome, 'lib'),
      data: join(neo4jHome, 'data'),
      logs: join(neo4jHome, 'logs'),
      run: join(neo4jHome, 'run'),
    },
    ssh: {
      dir: sshDir,
      config: join(sshDir, 'sshd_config'),
      clientKey: join(sshDir, 'id_ed25519'),
      clientPublicKey: join(sshDir, 'id_ed25519.pub'),
      hostKey: join(sshDir, 'ssh_host_ed25519_key'),
      hostPublicKey: join(sshDir, 'ssh_host_ed25519_key.pub'),
      knownHosts: join(sshDir, 'known_hosts'),
      authorizedKeys: join(sshDir, 'authorized_keys'),
    },
    mailDir: join(dir, 'smtp', 'mails'),
    slurm: {
      dir: slurmDir,
      conf: join(slurmDir, 'slurm.conf'),
      stateDir: join(slurmDir, 'state'),
      spoolDir: join(slurmDir, 'spool'),
      logDir: join(slurmDir, 'log'),
      runDir: join(slurmDir, 'run'),
    },
    workRoot: join(dir, 'hpc-work'),
  };
}

export function componentLogFile(paths: StackPaths, name: string): string {
  return join(paths.logDir, `${name}.log`);
}

export function componentPidFile(paths: StackPaths, name: string): string {
  return join(paths.runDir, `${name}.pid`);
}
