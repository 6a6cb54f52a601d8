import { z } from 'zod';
import { taskTypeSchema, workerIdSchema } from '../wire';
import { isPluginVersion } from './plugin-version';

/**
 * Labels travel as `k=v,…` (in one Serf tag, and on the CLI as `--labels`), so names and values avoid
 * `=` and `,`. The alphabet matches DAG constraints, so every constraint a DAG can state is advertisable.
 * A name starts with a letter or digit, which also keeps `__proto__` out of the label records.
 */
const labelKeySchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_./-]{0,63}$/, 'label names hold letters, digits, "_", ".", "/" and "-"');
const labelValueSchema = z.string().regex(/^[^=,]{0,256}$/, 'label values cannot contain "=" or ","');

/** A plugin version, written canonically (`1.2.0`, not `v1.2.0`) so adverts compare and round-trip. */
export const pluginVersionSchema = z
  .string()
  .refine(isPluginVersion, 'expected a semantic version such as 1.2.0');

/** A sanity bound: far above any machine, low enough that a typo is caught. */
const MAX_SLOTS = 100_000;

/**
 * What a worker tells the cluster about itself over Serf: which task types it runs (with the version
 * of each plugin), how many tasks it runs at once and how many more it can take now, its labels and
 * the queue its assignments go to. Encoded compactly by {@link encodeAdvertisementTags}.
 */
export const workerAdvertisementSchema = z
  .strictObject({
    role: z.literal('worker'),
    workerId: workerIdSchema,
    /** The worker's own AMQP queue; the scheduler publishes its assignments there. */
    queue: z.string().min(1).max(255),
    slots: z.int().min(1).max(MAX_SLOTS),
    freeSlots: z.int().min(0).max(MAX_SLOTS),
    /** Task type → version of the plugin serving it. */
    taskTypes: z.record(taskTypeSchema, pluginVersionSchema),
    labels: z.record(labelKeySchema, labelValueSchema),
    /**
     * Set while the worker stops for good: it takes no more work, and its member disappearing next
     * is its departure, not a failure — even when its leave intent does not reach a scheduler's
     * agent before that agent finds the member gone. Absent otherwise.
     */
    departing: z.literal(true).optional(),
  })
  .refine((ad) => ad.freeSlots <= ad.slots, { message: 'cannot exceed slots', path: ['freeSlots'] });

export type WorkerAdvertisement = z.infer<typeof workerAdvertisementSchema>;
