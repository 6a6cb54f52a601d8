import { initial } from './0001_initial';
import type { Migration } from './migration';

export type { Migration } from './migration';

/** Every migration, in order of application. Append only. */
export const MIGRATIONS: readonly Migration[] = [initial];
