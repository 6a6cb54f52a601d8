/** The part of a zod (3 or 4) issue this module reads; plugins may bring their own copy of zod. */
interface SchemaIssue {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

/** `params.files[0].name: Invalid input: expected string` — one issue per field, `; `-separated. */
export function formatIssues(root: string, issues: readonly SchemaIssue[]): string {
  return issues.map((issue) => `${fieldPath(root, issue.path)}: ${issue.message}`).join('; ');
}

function fieldPath(root: string, path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (text, key) => (typeof key === 'number' ? `${text}[${key}]` : `${text}.${String(key)}`),
    root,
  );
}
