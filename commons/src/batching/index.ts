export { GroupCommit } from './group-commit';
export type { GroupCommitOptions, ItemOutcome } from './group-commit';
