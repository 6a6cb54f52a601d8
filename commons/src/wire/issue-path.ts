/** Keys that read unambiguously after a dot; anything else is quoted in brackets. */
const PLAIN_KEY = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

/**
 * The part of a schema issue read here. Structural, so that an issue of zod 3 or 4 fits, and so does
 * a {@link JsonProblem}: a plugin may bring its own copy of zod.
 */
export interface PathIssue {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

/**
 * `retry.maxAttempts`, `params.files[0].src`, `constraints.labels["site name"]`: how a person points
 * at a field. `root` is text the path continues (`body`, `items[3]`); an empty path yields `root`,
 * which is `''` unless given. The one place a schema issue's path becomes text.
 */
export function formatIssuePath(path: readonly PropertyKey[], root = ''): string {
  let text = root;
  for (const key of path) {
    if (typeof key === 'number') text += `[${key}]`;
    else if (typeof key === 'string' && PLAIN_KEY.test(key)) text += text === '' ? key : `.${key}`;
    else text += `[${JSON.stringify(String(key))}]`;
  }
  return text;
}

/** `params.files[0]: expected string`, or the message alone for an issue of the value itself. */
export function describeIssue(issue: PathIssue, root = ''): string {
  const where = formatIssuePath(issue.path, root);
  return where === '' ? issue.message : `${where}: ${issue.message}`;
}

/** `path: message; path: message` — each issue by {@link describeIssue}. */
export function describeIssues(issues: readonly PathIssue[], root = ''): string {
  return issues.map((issue) => describeIssue(issue, root)).join('; ');
}
