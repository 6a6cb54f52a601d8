import { templateReferences } from '@wlm/commons';
import type { DagDefinition } from '@wlm/commons';
import type { JsonObject } from '../domain/json';

/** An experiment input a DAG refers to, with the first place that uses it. */
export interface RequiredInput {
  name: string;
  /** e.g. `task "stage-in" (params.source)`. */
  usedBy: string;
}

/** Every `{{inputs.<name>}}` of the DAG, once per name, in definition order. */
export function requiredInputs(definition: DagDefinition): RequiredInput[] {
  const found = new Map<string, RequiredInput>();
  for (const task of definition.tasks) {
    for (const reference of templateReferences(task.params ?? {})) {
      if (reference.kind === 'input' && !found.has(reference.name)) {
        found.set(reference.name, { name: reference.name, usedBy: `task "${task.id}" (${reference.path})` });
      }
    }
  }
  return [...found.values()];
}

/** The required inputs `inputs` lacks (own keys only, like the renderer). */
export function missingInputs(required: readonly RequiredInput[], inputs: JsonObject): RequiredInput[] {
  return required.filter(({ name }) => !Object.hasOwn(inputs, name));
}
