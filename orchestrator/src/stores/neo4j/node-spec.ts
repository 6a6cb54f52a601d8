import { templateReferences } from '@wlm/commons/dag';
import type { DagTask } from '@wlm/commons/dag';
import type { NodeSpec } from '../../domain/dag-store';
import { isJsonObject } from '../../domain/json';
import type { JsonObject } from '../../domain/json';
import type { ValueReader } from './value-reader';

/** The context a node of a concrete DAG is created with; optional parts only when defined. */
export function buildNodeSpec(task: DagTask, inputs: JsonObject): NodeSpec {
  return {
    params: task.params ?? {},
    inputs,
    ...(task.retry === undefined ? {} : { retry: task.retry }),
    ...(task.timeoutMs === undefined ? {} : { timeoutMs: task.timeoutMs }),
    ...(task.queueTimeoutMs === undefined ? {} : { queueTimeoutMs: task.queueTimeoutMs }),
    ...(task.constraints === undefined ? {} : { constraints: task.constraints }),
  };
}

/**
 * Upstream tasks whose outputs the params use. Templates may name any upstream task, not only a
 * direct predecessor (validation allows "directly or through another task"), so the node records
 * them: the ready queries then fetch exactly those by key instead of walking every ancestor path.
 */
export function outputSources(task: DagTask): string[] {
  const sources = new Set<string>();
  for (const reference of templateReferences(task.params ?? {})) {
    if (reference.kind === 'task-output') sources.add(reference.taskId);
  }
  return [...sources].sort();
}

function isNonNegativeInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/**
 * Reads `context` back, checking the shape of each part; the bounds of the values (attempts,
 * label syntax, versions) are checked by the wire schemas when the task is dispatched.
 */
export function readNodeSpec(reader: ValueReader, key: string): NodeSpec {
  const raw = reader.jsonObject(key);
  const { params, inputs, retry, timeoutMs, queueTimeoutMs, constraints } = raw;
  if (!isJsonObject(params) || !isJsonObject(inputs)) {
    throw reader.invalid(key, 'a context with params and inputs objects', JSON.stringify(raw));
  }
  const context: NodeSpec = { params, inputs };
  if (retry !== undefined) {
    if (
      !isJsonObject(retry) ||
      !isNonNegativeInteger(retry['maxAttempts']) ||
      !isNonNegativeInteger(retry['backoffMs'])
    ) {
      throw reader.invalid(`${key}.retry`, '{ maxAttempts, backoffMs }', JSON.stringify(retry));
    }
    context.retry = { maxAttempts: retry['maxAttempts'], backoffMs: retry['backoffMs'] };
  }
  if (timeoutMs !== undefined) {
    if (!isNonNegativeInteger(timeoutMs)) throw reader.invalid(`${key}.timeoutMs`, 'an integer', timeoutMs);
    context.timeoutMs = timeoutMs;
  }
  if (queueTimeoutMs !== undefined) {
    if (!isNonNegativeInteger(queueTimeoutMs))
      throw reader.invalid(`${key}.queueTimeoutMs`, 'an integer', queueTimeoutMs);
    context.queueTimeoutMs = queueTimeoutMs;
  }
  if (constraints !== undefined) {
    const labels = isJsonObject(constraints) ? constraints['labels'] : undefined;
    const minPluginVersion = isJsonObject(constraints) ? constraints['minPluginVersion'] : undefined;
    if (
      !isJsonObject(labels) ||
      !Object.values(labels).every((value) => typeof value === 'string') ||
      (minPluginVersion !== undefined && typeof minPluginVersion !== 'string')
    ) {
      throw reader.invalid(
        `${key}.constraints`,
        '{ labels, minPluginVersion? }',
        JSON.stringify(constraints),
      );
    }
    context.constraints = {
      labels: labels as Record<string, string>,
      ...(minPluginVersion === undefined ? {} : { minPluginVersion }),
    };
  }
  return context;
}
