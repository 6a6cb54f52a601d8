/**
 * The DAG model: definitions as users write them (YAML or JSON), their validation, the graph
 * helpers the orchestrator advances experiments with, and params templates.
 *
 * @example
 * ```ts
 * import { DagGraph, parseDagDefinition, readyTasks, renderParams } from '@wlm/commons/dag';
 *
 * const graph = DagGraph.from(parseDagDefinition(yamlText)); // throws DagValidationError
 * const executed = new Set<string>();
 * for (const id of readyTasks(graph, executed)) {
 *   const params = renderParams(graph.task(id).params ?? {}, { inputs: { msg: 'hi' } });
 *   // …dispatch id with params…
 * }
 * ```
 */
export { dagDefinitionSchema, dagTaskSchema, SAFE_IDENTIFIER } from './dag-schema';
export type { DagDefinition, DagTask, DagTaskConstraints, DagTaskRetry } from './dag-schema';
export { parseDagDefinition } from './parse-dag';
export type { ParseDagOptions } from './parse-dag';
export { validateDagDefinition } from './validate-dag';
export { DagGraph } from './dag-graph';
export {
  downstreamOf,
  isComplete,
  readyDependentsOf,
  readyTasks,
  rootTasks,
  topologicalOrder,
  upstreamOf,
} from './topology';
export type { DagLike } from './topology';
export { INPUT_SHAPES, inputDeclarationSchema, inputShapeProblems } from './input-shapes';
export type { InputDeclaration, InputShape, InputShapeProblem } from './input-shapes';
export { templateReferences } from './template-syntax';
export type { InputReference, TaskOutputReference, TemplateReference } from './template-syntax';
export { renderParams, smallestRendering } from './render-params';
export { jsonNestingDepth, paramsLimitProblems } from './wire-limits';
export type { ParamsLimitWording } from './wire-limits';
export type { TemplateContext } from './render-params';
// JsonValue itself is exported by the wire module; exporting it here too would clash in the package index.
export { declaredOutputKeys, pluginProblems } from './plugin-checks';
export type { PluginSchemas } from './plugin-checks';
