import { parseDagDefinition } from '@wlm/commons/dag';
import express from 'express';
import type { Router } from 'express';
import type { DagStore, MasterDag, MasterDagSummary } from '../domain/dag-store';
import { DagNotFoundError } from '../errors/dag-not-found-error';
import type { Engine } from '../engine/engine';
import { ApiError, badRequest } from './api-error';
import { dagPathSchema, dagQuerySchema, dagTypeSchema, parseRequest } from './request-validation';

const YAML_TYPES = ['text/yaml', 'application/yaml', 'application/x-yaml', 'text/x-yaml', 'text/plain'];
const JSON_TYPES = ['application/json'];
/** A definition of thousands of tasks fits easily; anything bigger is a mistake or an attack. */
const MAX_DEFINITION_BYTES = '2mb';

export function masterDagView(dag: MasterDag): Record<string, unknown> {
  return {
    type: dag.experimentType,
    version: dag.version,
    description: dag.definition.description ?? null,
    createdAt: dag.createdAt.toISOString(),
    definition: dag.definition,
  };
}

function summaryView(summary: MasterDagSummary): Record<string, unknown> {
  return {
    type: summary.experimentType,
    latestVersion: summary.latestVersion,
    versions: summary.versions,
    description: summary.description,
    updatedAt: summary.updatedAt.toISOString(),
  };
}

/** `PUT/GET /api/dags/:type`, `GET /api/dags`. */
export function dagRoutes(engine: Engine, dags: DagStore): Router {
  const router = express.Router();

  router.put(
    '/:type',
    express.text({ type: [...YAML_TYPES, ...JSON_TYPES], limit: MAX_DEFINITION_BYTES }),
    async (request, response) => {
      const { type } = parseRequest(dagPathSchema, request.params, 'path');
      if (typeof request.body !== 'string') {
        throw new ApiError(
          415,
          'UNSUPPORTED_MEDIA_TYPE',
          'send the DAG definition as application/json or text/yaml (Content-Type header)',
        );
      }
      const format = request.is(JSON_TYPES) === false ? 'yaml' : 'json';
      // Validated in full (DagValidationError → 400 listing every problem) before anything is stored.
      const definition = parseDagDefinition(request.body, { format });
      if (definition.type !== type) {
        throw badRequest(
          'body.type',
          `the definition is of type "${definition.type}" but was put to /api/dags/${type}`,
        );
      }
      const stored = await engine.putDag(definition);
      response
        .status(201)
        .location(`/api/dags/${type}?version=${stored.version}`)
        .json(masterDagView(stored));
    },
  );

  router.get('/', async (_request, response) => {
    const summaries = await dags.listMasterDags();
    response.json({ items: summaries.map(summaryView) });
  });

  router.get('/:type', async (request, response) => {
    const raw: unknown = request.params['type'];
    const type = typeof raw === 'string' ? raw : '';
    // A type that cannot exist is simply not found.
    if (!dagTypeSchema.safeParse(type).success) throw new DagNotFoundError(type);
    const { version } = parseRequest(dagQuerySchema, request.query, 'query');
    const dag = await dags.getMasterDag(type, version);
    if (dag === undefined) throw new DagNotFoundError(type, version);
    response.json(masterDagView(dag));
  });

  return router;
}
