import { gte, valid } from 'semver';
import { MessageValidationError } from '../errors/message-validation-error';

/**
 * True when `version` is a full semantic version written canonically, e.g. `1.2.0` or `2.0.0-rc.1`;
 * not `v1.2.0`, `1.2` or `1.2.0+build.5` (build metadata does not order versions).
 */
export function isPluginVersion(version: string): boolean {
  // `valid` also accepts `v1.2.0` or `=1.2.0` and returns them cleaned; requiring the cleaned form back
  // keeps one spelling per version, so tags round-trip byte for byte.
  return valid(version) === version;
}

/**
 * Placement asks this for every candidate of every constrained request, always about the same few
 * versions, and parsing them costs about 1.5 µs a time — so answers are remembered (min → version →
 * answer). The bound keeps arbitrary input from growing the memory without limit.
 */
const MAX_REMEMBERED = 4096;
const remembered = new Map<string, Map<string, boolean>>();
let rememberedCount = 0;

/**
 * True when a worker's plugin `version` satisfies a task's `minPluginVersion` (`version >= min` by
 * semver precedence, so `1.2.0-beta.1` is below `1.2.0`).
 *
 * @throws MessageValidationError when `min` is not a semantic version: a request that no worker could
 *   ever satisfy should be dead-lettered with a reason, not held forever waiting for capacity.
 */
export function satisfiesMinVersion(version: string, min: string): boolean {
  let answers = remembered.get(min);
  const known = answers?.get(version);
  if (known !== undefined) return known;
  if (!isPluginVersion(min)) {
    throw new MessageValidationError('placement constraints', [
      `minPluginVersion: "${min}" is not a semantic version such as 1.2.0`,
    ]);
  }
  // An advertisement is validated when decoded, so an invalid `version` here means a caller built one
  // by hand; it cannot satisfy anything.
  const answer = isPluginVersion(version) && gte(version, min);
  if (rememberedCount >= MAX_REMEMBERED) {
    remembered.clear();
    rememberedCount = 0;
  }
  if (answers === undefined) {
    answers = new Map();
    remembered.set(min, answers);
  }
  answers.set(version, answer);
  rememberedCount += 1;
  return answer;
}
