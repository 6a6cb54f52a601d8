import fc from 'fast-check';
import {
  SERF_TAGS_MAX_BYTES,
  decodeAdvertisementTags,
  encodeAdvertisementTags,
  serfTagsSize,
} from '@wlm/commons/advertisement';
import { AdvertisementTooLargeError, MessageValidationError } from '@wlm/commons/errors';
import type { WorkerAdvertisement } from '@wlm/commons/advertisement';

const advert: WorkerAdvertisement = {
  role: 'worker',
  workerId: 'worker-01',
  queue: 'wlm.worker.worker-01',
  slots: 4,
  freeSlots: 3,
  taskTypes: { shell: '1.2.0', echo: '1.0.0' },
  labels: { site: 'bigred', gpu: 'a100' },
};

const validTags = encodeAdvertisementTags(advert);

function decodeError(tags: Record<string, string>): MessageValidationError {
  try {
    decodeAdvertisementTags(tags);
  } catch (error) {
    if (error instanceof MessageValidationError) return error;
    throw error;
  }
  throw new Error('expected decoding to fail');
}

describe('encodeAdvertisementTags', () => {
  it('writes compact tags with sorted lists', () => {
    expect(validTags).toEqual({
      r: 'worker',
      v: '1',
      w: 'worker-01',
      q: 'wlm.worker.worker-01',
      s: '4',
      f: '3',
      t: 'echo@1.0.0,shell@1.2.0',
      l: 'gpu=a100,site=bigred',
    });
  });

  it('leaves out empty task types and labels', () => {
    const tags = encodeAdvertisementTags({ ...advert, taskTypes: {}, labels: {} });
    expect(Object.keys(tags).sort()).toEqual(['f', 'q', 'r', 's', 'v', 'w']);
    expect(decodeAdvertisementTags(tags)).toEqual({ ...advert, taskTypes: {}, labels: {} });
  });

  it('keeps a realistic advert of every wlm task type well under the Serf limit', () => {
    const tags = encodeAdvertisementTags({
      ...advert,
      workerId: 'bigred3-compute-node-0042',
      queue: 'wlm.worker.bigred3-compute-node-0042',
      slots: 64,
      freeSlots: 64,
      taskTypes: {
        echo: '1.0.0',
        shell: '1.2.0',
        'env-setup': '2.1.3',
        'data-staging': '1.4.0-beta.2',
        'job-submission': '3.0.11',
      },
      labels: { site: 'bigred', gpu: 'a100', partition: 'general', arch: 'x86_64' },
    });
    expect(serfTagsSize(tags)).toBeLessThan(SERF_TAGS_MAX_BYTES / 2);
  });

  it('rejects an advert over 512 bytes, naming the worker and the size', () => {
    const taskTypes = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`task-type-${i}`, '1.0.0']));
    const encode = () => encodeAdvertisementTags({ ...advert, taskTypes });
    expect(encode).toThrow(AdvertisementTooLargeError);
    try {
      encode();
    } catch (error) {
      expect(error).toMatchObject({ code: 'ADVERTISEMENT_TOO_LARGE', workerId: 'worker-01', limit: 512 });
      const { size } = error as AdvertisementTooLargeError;
      expect(size).toBeGreaterThan(512);
      expect((error as Error).message).toContain(`${size} bytes`);
    }
  });

  it('accepts exactly 512 bytes and refuses 513', () => {
    // Label values stop at 256 characters, so two labels make up the size.
    const withNote = (length: number) => ({
      ...advert,
      labels: { a: 'x'.repeat(200), note: 'x'.repeat(length) },
    });
    const base = serfTagsSize(encodeAdvertisementTags(withNote(40)));
    const fits = withNote(40 + SERF_TAGS_MAX_BYTES - base);
    expect(serfTagsSize(encodeAdvertisementTags(fits))).toBe(SERF_TAGS_MAX_BYTES);
    expect(() => encodeAdvertisementTags(withNote(41 + SERF_TAGS_MAX_BYTES - base))).toThrow(
      AdvertisementTooLargeError,
    );
  });

  it('refuses an advert that could not be decoded', () => {
    expect(() => encodeAdvertisementTags({ ...advert, labels: { site: 'a,b' } })).toThrow(
      MessageValidationError,
    );
    expect(() => encodeAdvertisementTags({ ...advert, freeSlots: 5 })).toThrow(
      /freeSlots: cannot exceed slots/,
    );
    expect(() => encodeAdvertisementTags({ ...advert, taskTypes: { echo: 'v1.0.0' } })).toThrow(
      /semantic version/,
    );
  });
});

describe('serfTagsSize', () => {
  it('counts what Serf counts: magic byte, msgpack map and string headers', () => {
    // 1 magic + 1 fixmap + (1 + 1) key + (1 + 1) value
    expect(serfTagsSize({ a: 'b' })).toBe(6);
    // A 32-byte string needs a 3-byte header in go-msgpack's default encoding.
    expect(serfTagsSize({ a: 'x'.repeat(32) })).toBe(1 + 1 + 2 + 3 + 32);
    expect(serfTagsSize({ a: 'é' })).toBe(1 + 1 + 2 + 1 + 2);
  });
});

describe('decodeAdvertisementTags', () => {
  it('round-trips an advertisement', () => {
    expect(decodeAdvertisementTags(validTags)).toEqual(advert);
  });

  it.each([{}, { role: 'scheduler' }, { r: 'scheduler', v: '1' }, { r: 'orchestrator' }])(
    'ignores a member that is not a worker: %j',
    (tags) => expect(decodeAdvertisementTags(tags)).toBeUndefined(),
  );

  it('round-trips the departing mark as d=1, and leaves it out of an advert that does not depart', () => {
    const departing = encodeAdvertisementTags({ ...advert, freeSlots: 0, departing: true });
    expect(departing).toEqual({ ...validTags, f: '0', d: '1' });
    expect(decodeAdvertisementTags(departing)).toEqual({ ...advert, freeSlots: 0, departing: true });
    expect(validTags).not.toHaveProperty('d');
    expect(decodeAdvertisementTags(validTags)).not.toHaveProperty('departing');
  });

  it('ignores tags it does not know', () => {
    expect(decodeAdvertisementTags({ ...validTags, metrics: '127.0.0.1:9100' })).toEqual(advert);
  });

  it.each([
    [{ s: 'four' }, 'tag s (slots): expected a whole number'],
    [{ f: '-1' }, 'tag f (freeSlots): expected a whole number'],
    [{ f: '9' }, 'freeSlots: cannot exceed slots'],
    [{ t: 'echo' }, 'tag t (taskTypes): expected type@version, got "echo"'],
    [{ t: 'echo@1.0.0,echo@2.0.0' }, 'task type "echo" appears twice'],
    [{ t: 'echo@1.0' }, 'taskTypes.echo: expected a semantic version'],
    [{ t: 'Echo@1.0.0' }, 'taskTypes.Echo'],
    [{ l: 'site' }, 'tag l (labels): expected name=value, got "site"'],
    [{ v: '2' }, 'tag v (format): expected format 1'],
    [{ w: '' }, 'workerId'],
    [{ d: 'yes' }, 'tag d (departing)'],
  ])('names the problem in malformed worker tags %j', (override, problem) => {
    const error = decodeError({ ...validTags, ...override });
    expect(error.code).toBe('MESSAGE_INVALID');
    expect(error.message).toContain('invalid worker advertisement');
    expect(error.message).toContain(problem);
  });

  it('names a missing tag', () => {
    const withoutQueue = { ...validTags };
    delete withoutQueue['q'];
    expect(decodeError(withoutQueue).message).toContain('tag q (queue)');
  });

  it('round-trips any valid advertisement that fits', () => {
    const name = fc.stringMatching(/^[a-z][a-z0-9_.-]{0,15}$/);
    const version = fc
      .tuple(fc.nat(999), fc.nat(999), fc.nat(999), fc.option(fc.stringMatching(/^[a-z][a-z0-9]{0,5}$/)))
      .map(([a, b, c, pre]) => `${a}.${b}.${c}${pre === null ? '' : `-${pre}`}`);
    const arbitraryAdvert = fc
      .record({
        workerId: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,20}$/),
        queue: fc.string({ minLength: 1, maxLength: 40 }),
        slots: fc.integer({ min: 1, max: 1000 }),
        taskTypes: fc.dictionary(name, version, { maxKeys: 8 }),
        labels: fc.dictionary(
          fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_./-]{0,10}$/),
          fc.stringMatching(/^[^=,]{0,12}$/),
          { maxKeys: 6 },
        ),
        freeFraction: fc.double({ min: 0, max: 1, noNaN: true }),
      })
      .map(({ freeFraction, ...rest }): WorkerAdvertisement => ({
        role: 'worker',
        ...rest,
        freeSlots: Math.floor(rest.slots * freeFraction),
      }));
    fc.assert(
      fc.property(arbitraryAdvert, (ad) => {
        let tags: Record<string, string>;
        try {
          tags = encodeAdvertisementTags(ad);
        } catch (error) {
          expect(error).toBeInstanceOf(AdvertisementTooLargeError);
          return;
        }
        expect(serfTagsSize(tags)).toBeLessThanOrEqual(SERF_TAGS_MAX_BYTES);
        expect(decodeAdvertisementTags(tags)).toEqual(ad);
      }),
    );
  });
});
