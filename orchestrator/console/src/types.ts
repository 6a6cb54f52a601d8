/** The API's answers as the console reads them (the orchestrator's and commons' types, type-only). */
export type { TaskLogsResponse, WorkerEntry, WorkerIncidentEntry, WorkersResponse } from '@wlm/commons/api';
import type { ExperimentView } from '@wlm/orchestrator';
export type { ExperimentView, TaskView } from '@wlm/orchestrator';

export type Experiment = Omit<ExperimentView, 'tasks' | 'edges' | 'viewedRun'>;

export const EXPERIMENT_STATES = ['PENDING', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED'] as const;

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface DagSummary {
  type: string;
  latestVersion: number;
  versions: number;
  description: string | null;
  updatedAt: string;
}

export interface DagTask {
  id: string;
  type: string;
  after?: string[];
  params?: Record<string, unknown>;
}

export interface MasterDag {
  type: string;
  version: number;
  description: string | null;
  createdAt: string;
  definition: { type: string; description?: string; tasks: DagTask[] } & Record<string, unknown>;
}

export interface AuditEntry {
  id: number;
  type: string;
  taskId: string | null;
  fromState: string | null;
  toState: string | null;
  actor: string;
  reason: string | null;
  details: Record<string, unknown> | null;
  at: string;
}

export type { DeadLetterDetail, DeadLetterView } from '@wlm/commons/amqp';
