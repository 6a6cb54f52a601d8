/**
 * Serf refuses tags whose encoding exceeds memberlist's `MetaMaxSize` of 512 bytes ("Encoded length
 * of tags exceeds limit of 512 bytes"), both at agent start (`-tag`) and on the `tags` RPC.
 */
export const SERF_TAGS_MAX_BYTES = 512;

/** Bytes of a msgpack string or map header for `length` items, as go-msgpack writes it. */
function headerBytes(length: number, fixLimit: number): number {
  if (length < fixLimit) return 1;
  return length < 65_536 ? 3 : 5;
}

/**
 * The size Serf checks against {@link SERF_TAGS_MAX_BYTES}: one magic byte, then the tags as a msgpack
 * map encoded by go-msgpack's default handle, which has no `str8` type — a string of 32 to 65,535
 * bytes takes a 3-byte header. Counting that way is exact for Serf 0.8 and an upper bound for any
 * encoder that does use `str8`, so an advert that passes here is never refused by the agent.
 */
export function serfTagsSize(tags: Readonly<Record<string, string>>): number {
  const entries = Object.entries(tags);
  let size = 1 + headerBytes(entries.length, 16);
  for (const [key, value] of entries) {
    for (const text of [key, value]) {
      const bytes = Buffer.byteLength(text, 'utf8');
      size += headerBytes(bytes, 32) + bytes;
    }
  }
  return size;
}
