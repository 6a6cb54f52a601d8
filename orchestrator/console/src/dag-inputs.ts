import type { MasterDag } from './types.js';

/** The inputs a DAG uses (`{{inputs.name}}` anywhere in its tasks' params): the form asks for these. */
export function declaredInputs(dag: MasterDag): string[] {
  const names = new Set<string>();
  for (const match of JSON.stringify(dag.definition.tasks).matchAll(/\{\{\s*inputs\.([A-Za-z0-9_-]+)/g)) {
    if (match[1] !== undefined) names.add(match[1]);
  }
  return [...names].sort();
}
