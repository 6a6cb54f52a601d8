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
