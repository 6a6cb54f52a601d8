/**
 * What a worker said about an attempt besides its state, as the event processor records it: its
 * latest progress and the latest tail of its log. Either half may be absent from one event.
 */
export interface TaskReportUpdate {
  experimentId: string;
  run: number;
  taskId: string;
  attempt: number;
  progress?: { message: string | null; percent: number | null; at: Date } | undefined;
  logTail?: { text: string; at: Date } | undefined;
}

/** The stored reports of one attempt. */
export interface TaskReport {
  taskId: string;
  attempt: number;
  progress: { message: string | null; percent: number | null; at: Date } | null;
  logTail: { text: string; at: Date } | null;
}
