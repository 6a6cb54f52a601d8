import { StoreInputError } from '../../errors/store-input-error';

/**
 * Opaque page cursors. Keyset pagination (rather than OFFSET) keeps every page an index range scan,
 * so page 1,000 costs what page 1 does and rows inserted meanwhile do not shift later pages.
 */

/** Position after the last experiment of a page, in `created_at DESC, id DESC` order. */
export interface ExperimentCursor {
  createdAt: Date;
  id: string;
}

export function encodeExperimentCursor(cursor: ExperimentCursor): string {
  return Buffer.from(JSON.stringify(['e', cursor.createdAt.getTime(), cursor.id])).toString('base64url');
}

export function decodeExperimentCursor(cursor: string): ExperimentCursor {
  const value = decode(cursor);
  if (Array.isArray(value) && value.length === 3 && value[0] === 'e') {
    const [, time, id] = value as unknown[];
    if (typeof time === 'number' && Number.isSafeInteger(time) && typeof id === 'string') {
      return { createdAt: new Date(time), id };
    }
  }
  throw invalidCursor();
}

/** Position after the last audit event of a page, in `id` order. */
export function encodeAuditCursor(lastId: number): string {
  return Buffer.from(JSON.stringify(['a', lastId])).toString('base64url');
}

export function decodeAuditCursor(cursor: string): number {
  const value = decode(cursor);
  if (Array.isArray(value) && value.length === 2 && value[0] === 'a') {
    const [, id] = value as unknown[];
    if (typeof id === 'number' && Number.isSafeInteger(id) && id >= 0) return id;
  }
  throw invalidCursor();
}

function decode(cursor: string): unknown {
  try {
    return JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor();
  }
}

function invalidCursor(): StoreInputError {
  return new StoreInputError('cursor', 'not a cursor returned by this listing; start again without one');
}
