import { z } from 'zod';
import { AdvertisementTooLargeError } from '../errors/advertisement-too-large-error';
import { MessageValidationError } from '../errors/message-validation-error';
import { describeIssue } from '../wire';
import { SERF_TAGS_MAX_BYTES, serfTagsSize } from './serf-tags-size';
import { workerAdvertisementSchema } from './worker-advertisement';
import type { WorkerAdvertisement } from './worker-advertisement';

/**
 * Serf tag names of an advertisement. One letter each because Serf allows 512 bytes of tags per member
 * in all. `r=worker` marks wlm workers, so `serf members -tag r=worker` lists them.
 */
export const ADVERTISEMENT_TAGS = {
  role: 'r',
  format: 'v',
  workerId: 'w',
  queue: 'q',
  slots: 's',
  freeSlots: 'f',
  /** `echo@1.0.0,shell@1.2.0` */
  taskTypes: 't',
  /** `gpu=a100,site=bigred` */
  labels: 'l',
  /** `1` while the worker stops for good; absent otherwise. */
  departing: 'd',
} as const;

/** Bumped when the tag layout changes incompatibly; a scheduler rejects formats it does not know. */
export const ADVERTISEMENT_FORMAT = '1';

const MESSAGE_TYPE = 'worker advertisement';
const FIELD_OF_TAG = new Map<PropertyKey, string>(Object.entries(ADVERTISEMENT_TAGS).map(([f, t]) => [t, f]));

function describeIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((issue) => {
    const [first, ...rest] = issue.path;
    // Name a tag by its field too: "tag t (taskTypes)" tells the reader more than "t".
    const field = first === undefined ? undefined : FIELD_OF_TAG.get(first);
    if (field === undefined) return describeIssue(issue);
    return describeIssue({ path: rest, message: issue.message }, `tag ${String(first)} (${field})`);
  });
}

/** Parses `a@1,b@2` or `k=v,k2=v2` into a record, reporting malformed or repeated items. */
function listTag(separator: '@' | '=', itemName: string) {
  const expected = separator === '@' ? 'type@version' : 'name=value';
  return z
    .string()
    .default('')
    .transform((value, ctx) => {
      const record: Record<string, string> = {};
      if (value === '') return record;
      for (const item of value.split(',')) {
        // Neither task types nor label names may hold their separator, so the first one ends the name;
        // the schema the result is piped into rejects whatever is left malformed.
        const at = item.indexOf(separator);
        if (at <= 0) {
          ctx.issues.push({ code: 'custom', input: value, message: `expected ${expected}, got "${item}"` });
          return z.NEVER;
        }
        const key = item.slice(0, at);
        if (Object.hasOwn(record, key)) {
          ctx.issues.push({ code: 'custom', input: value, message: `${itemName} "${key}" appears twice` });
          return z.NEVER;
        }
        record[key] = item.slice(at + 1);
      }
      return record;
    });
}

const countTag = z
  .string()
  .regex(/^(0|[1-9]\d{0,8})$/, 'expected a whole number')
  .transform(Number);

const T = ADVERTISEMENT_TAGS;
const advertisementTagsSchema = z
  .object({
    [T.role]: z.literal('worker'),
    [T.format]: z.literal(ADVERTISEMENT_FORMAT, {
      error: `expected format ${ADVERTISEMENT_FORMAT}; a worker with a newer format needs a newer scheduler`,
    }),
    [T.workerId]: z.string(),
    [T.queue]: z.string(),
    [T.slots]: countTag,
    [T.freeSlots]: countTag,
    [T.taskTypes]: listTag('@', 'task type'),
    [T.labels]: listTag('=', 'label'),
    [T.departing]: z.literal('1').optional(),
  })
  .transform((tags): WorkerAdvertisement => ({
    role: 'worker',
    workerId: tags[T.workerId],
    queue: tags[T.queue],
    slots: tags[T.slots],
    freeSlots: tags[T.freeSlots],
    taskTypes: tags[T.taskTypes],
    labels: tags[T.labels],
    ...(tags[T.departing] === undefined ? {} : { departing: true }),
  }))
  .pipe(workerAdvertisementSchema);

/** `{b: '2', a: '1'}` → `a@1,b@2`: sorted, so equal adverts give equal tags and no needless Serf update. */
function joinSorted(record: Readonly<Record<string, string>>, separator: string): string {
  return Object.keys(record)
    .sort()
    .map((key) => `${key}${separator}${record[key]}`)
    .join(',');
}

/**
 * Encodes an advertisement as Serf tags (see {@link ADVERTISEMENT_TAGS}); empty task types and labels
 * are left out. A worker that adds tags of its own should check the merged set with `serfTagsSize`.
 *
 * @throws MessageValidationError when the advertisement is not valid (it could not be decoded).
 * @throws AdvertisementTooLargeError when the tags would exceed Serf's 512-byte limit.
 */
export function encodeAdvertisementTags(advertisement: WorkerAdvertisement): Record<string, string> {
  const result = workerAdvertisementSchema.safeParse(advertisement);
  if (!result.success) throw new MessageValidationError(MESSAGE_TYPE, describeIssues(result.error.issues));
  const ad = result.data;
  const tags: Record<string, string> = {
    [T.role]: 'worker',
    [T.format]: ADVERTISEMENT_FORMAT,
    [T.workerId]: ad.workerId,
    [T.queue]: ad.queue,
    [T.slots]: String(ad.slots),
    [T.freeSlots]: String(ad.freeSlots),
  };
  const taskTypes = joinSorted(ad.taskTypes, '@');
  if (taskTypes !== '') tags[T.taskTypes] = taskTypes;
  const labels = joinSorted(ad.labels, '=');
  if (labels !== '') tags[T.labels] = labels;
  if (ad.departing === true) tags[T.departing] = '1';
  const size = serfTagsSize(tags);
  if (size > SERF_TAGS_MAX_BYTES)
    throw new AdvertisementTooLargeError(ad.workerId, size, SERF_TAGS_MAX_BYTES);
  return tags;
}

/**
 * Reads a Serf member's tags as a worker advertisement. Tags it does not know are ignored, so other
 * components may add their own.
 *
 * @returns undefined for a member that is not a worker (no `r=worker`), e.g. the scheduler's own agent.
 * @throws MessageValidationError naming each malformed tag when the member claims to be a worker.
 */
export function decodeAdvertisementTags(
  tags: Readonly<Record<string, string>>,
): WorkerAdvertisement | undefined {
  if (tags[T.role] !== 'worker') return undefined;
  const result = advertisementTagsSchema.safeParse(tags);
  if (!result.success) throw new MessageValidationError(MESSAGE_TYPE, describeIssues(result.error.issues));
  return result.data;
}
