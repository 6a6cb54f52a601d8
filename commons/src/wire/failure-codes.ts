/**
 * The `errorCode`s wlm itself puts in FAILED events, in one registry. Commons owns the registry and
 * the rules of a code; each package that reports failures extends it with its own codes through
 * {@link defineFailureCodes} — the worker those of a run that ended outside the plugin's own
 * `TaskFailure`, the scheduler those of an attempt it gave up on. A plugin's `TaskFailure` codes
 * are the plugin's business and stay out of it.
 *
 * @example
 * ```ts
 * export const SCHEDULER_FAILURE_CODES = defineFailureCodes('scheduler', {
 *   workerLost: { code: 'WORKER_LOST', retryable: true, meaning: 'its worker failed while it ran' },
 * });
 * failureCodeInfo('WORKER_LOST')?.owner; // 'scheduler'
 * ```
 */

/** The longest `errorCode` a FAILED event carries. */
export const MAX_ERROR_CODE_LENGTH = 64;

/** The component that reports a code. */
export type FailureCodeOwner = 'worker' | 'scheduler';

/** One code as its owner declares it. */
export interface FailureCodeSpec {
  /** `SCREAMING_SNAKE_CASE`, at most {@link MAX_ERROR_CODE_LENGTH} characters. */
  readonly code: string;
  /** Whether a FAILED with this code is retryable: always, never, or depending on the case. */
  readonly retryable: boolean | 'depends';
  /** What happened, for the reader of the event (and of the docs). */
  readonly meaning: string;
}

/** A registered code: its spec and who reports it. */
export interface FailureCodeInfo extends FailureCodeSpec {
  readonly owner: FailureCodeOwner;
}

const CODE_FORMAT = /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$/;

const registry = new Map<string, FailureCodeInfo>();

/**
 * Registers `owner`'s codes and returns them by name (`{ name: code }`), typed as their literals.
 * Throws for a malformed code or one another owner (or another meaning) registered already: two
 * components reporting the same code would make an event's origin ambiguous — the scheduler tells
 * its own FAILED events from the workers' by their code. Registering the same spec again (a module
 * loaded twice) changes nothing.
 */
export function defineFailureCodes<const T extends Record<string, FailureCodeSpec>>(
  owner: FailureCodeOwner,
  specs: T,
): { readonly [K in keyof T]: T[K]['code'] } {
  const codes: Record<string, string> = {};
  for (const [name, spec] of Object.entries(specs)) {
    if (!CODE_FORMAT.test(spec.code) || spec.code.length > MAX_ERROR_CODE_LENGTH) {
      throw new RangeError(
        `failure code "${spec.code}" must be SCREAMING_SNAKE_CASE of at most ${MAX_ERROR_CODE_LENGTH} characters`,
      );
    }
    const known = registry.get(spec.code);
    if (known !== undefined && !sameInfo(known, { ...spec, owner })) {
      throw new Error(`failure code ${spec.code} is registered already, by the ${known.owner}`);
    }
    registry.set(spec.code, Object.freeze({ ...spec, owner }));
    codes[name] = spec.code;
  }
  return Object.freeze(codes) as { readonly [K in keyof T]: T[K]['code'] };
}

/** The registered code's owner, retryability and meaning; undefined for a plugin's own code. */
export function failureCodeInfo(code: string): FailureCodeInfo | undefined {
  return registry.get(code);
}

/** Every code registered in this process so far, in registration order. */
export function registeredFailureCodes(): FailureCodeInfo[] {
  return [...registry.values()];
}

function sameInfo(a: FailureCodeInfo, b: FailureCodeInfo): boolean {
  return a.owner === b.owner && a.retryable === b.retryable && a.meaning === b.meaning;
}

/**
 * Codes one component reports and another acts on, so the wire owns them: the orchestrator drops a
 * queue timeout's TASK_UNSCHEDULABLE when the attempt turns out to have been placed after all.
 */
export const PROTOCOL_FAILURE_CODES = defineFailureCodes('scheduler', {
  unschedulable: {
    code: 'TASK_UNSCHEDULABLE',
    retryable: false,
    meaning: 'the attempt waited longer than its queueTimeoutMs without being placed',
  },
});
