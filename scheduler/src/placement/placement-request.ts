/**
 * What placement needs from a task request. A wire `TaskRequest` satisfies it as it is; the fields
 * accept `undefined` so that zod-inferred optional fields fit under `exactOptionalPropertyTypes`.
 */
export interface PlacementConstraints {
  /** Every label must be advertised by the worker with exactly this value. */
  readonly labels?: Readonly<Record<string, string>> | undefined;
  /** The worker's plugin for the task type must be at least this semantic version. */
  readonly minPluginVersion?: string | undefined;
}

export interface PlacementRequest {
  readonly taskType: string;
  /** Higher goes first; absent means 0. */
  readonly priority?: number | undefined;
  readonly constraints?: PlacementConstraints | undefined;
}

/** One placed request of a batch. */
export interface Assignment<R extends PlacementRequest> {
  readonly request: R;
  /** Position of the request in the batch as given. */
  readonly requestIndex: number;
  readonly workerId: string;
}

/** The outcome of placing a batch: every request is either assigned or unplaced, in input order. */
export interface BatchPlacement<R extends PlacementRequest> {
  readonly assignments: readonly Assignment<R>[];
  readonly unplaced: readonly R[];
}
