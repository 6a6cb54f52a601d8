import { paramsLimitProblems, smallestRendering, templateReferences } from '@wlm/commons/dag';
import type { DagDefinition } from '@wlm/commons/dag';
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

/**
 * The wire's limits on the params of every task that uses inputs, rendered with `inputs` (upstream
 * outputs, not known yet, count as the least they can render to): what the inputs add may make a
 * task's params too deep or too large to dispatch. The definition itself was checked when it was put.
 */
export function inputLimitProblems(definition: DagDefinition, inputs: JsonObject): string[] {
  return definition.tasks.flatMap((task) => {
    const params = task.params ?? {};
    if (!templateReferences(params).some((reference) => reference.kind === 'input')) return [];
    return paramsLimitProblems(smallestRendering(params, inputs), {
      subject: 'params rendered with the inputs',
      smallest: true,
    }).map((problem) => `task "${task.id}": ${problem}`);
  });
}
