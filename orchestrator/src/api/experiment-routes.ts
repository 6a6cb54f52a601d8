import { TASK_LOG_TAIL } from '@wlm/commons/wire';
import type { TaskLogsResponse } from '@wlm/commons/api';
import type { Logger } from '@wlm/commons/logging';
import express from 'express';
import type { Request, Router } from 'express';
import type { DagStore } from '../domain/dag-store';
import type { StateStore } from '../domain/state-store';
import { ExperimentNotFoundError } from '../errors/experiment-not-found-error';
import type { DagCatalog } from '../engine/dag-catalog';
import type { Engine } from '../engine/engine';
import { ApiError, badRequest } from './api-error';
import { submitBatch } from './batch-submit';
import { markRespondedAsync, prefersRespondAsync, submissionStatus } from './prefer-async';
import { actorOf } from './bearer-auth';
import { experimentSummary, experimentView } from './experiment-view';
import {
  EXPERIMENT_ID,
  experimentQuerySchema,
  listExperimentsQuerySchema,
  pageQuerySchema,
  parseRequest,
  submitBatchBodySchema,
  submitBodySchema,
  taskLogsQuerySchema,
} from './request-validation';

export interface ExperimentRouteDeps {
  engine: Engine;
  states: StateStore;
  dags: DagStore;
  catalog: DagCatalog;
  logger: Logger;
}

/** A batch of 1,000 experiments with their inputs outgrows the single submission's 1 MB. */
const BATCH_BODY_LIMIT = '32mb';

/** The `:id` of the path; an id that cannot exist is simply not found. */
function experimentId(request: Request): string {
  const raw: unknown = request.params['id'];
  const id = typeof raw === 'string' ? raw : '';
  if (!EXPERIMENT_ID.test(id)) throw new ExperimentNotFoundError(id);
  return id;
}

/** The `:task` of the path, a task of the experiment's DAG; 404 otherwise. */
async function taskOf(
  deps: ExperimentRouteDeps,
  experiment: { id: string; type: string; dagVersion: number },
  request: Request,
): Promise<string> {
  const taskId = String(request.params['task']);
  const { graph } = await deps.catalog.version(experiment.type, experiment.dagVersion);
  if (!graph.taskIds.includes(taskId)) {
    throw new ApiError(404, 'NOT_FOUND', `experiment ${experiment.id} has no task ${JSON.stringify(taskId)}`);
  }
  return taskId;
}

/**
 * `POST/GET /api/experiments`, `POST /api/experiments/batch`, `GET /api/experiments/:id[/audit]`,
 * `POST …/:id/{cancel,rerun,resume}`, `POST …/:id/tasks/:task/cancel`, `GET …/:id/tasks/:task/logs`.
 */
export function experimentRoutes(deps: ExperimentRouteDeps): Router {
  const { engine, states } = deps;
  const router = express.Router();
  // Before the router-wide parser: a body parsed here is not parsed again.
  router.post('/batch', express.json({ limit: BATCH_BODY_LIMIT }), async (request, response) => {
    const { items } = parseRequest(submitBatchBodySchema, request.body, 'body');
    const respondAsync = prefersRespondAsync(request);
    const answer = await submitBatch(engine, items, { actor: actorOf(response), respondAsync }, deps.logger);
    if (answer.items.some((item) => item.status === 202)) markRespondedAsync(response);
    response.json(answer);
  });
  router.use(express.json({ limit: '1mb' }));

  router.post('/', async (request, response) => {
    const body = parseRequest(submitBodySchema, request.body, 'body');
    const { experiment, created } = await engine.submit({
      ...body,
      actor: actorOf(response),
      startInBackground: prefersRespondAsync(request),
    });
    const status = submissionStatus(experiment, created);
    if (status === 202) markRespondedAsync(response);
    response.status(status).location(`/api/experiments/${experiment.id}`).json(experimentSummary(experiment));
  });

  router.get('/', async (request, response) => {
    const query = parseRequest(listExperimentsQuerySchema, request.query, 'query');
    const page = await states.listExperiments(query);
    response.json({ items: page.items.map(experimentSummary), nextCursor: page.nextCursor });
  });

  router.get('/:id', async (request, response) => {
    const id = experimentId(request);
    const { run } = parseRequest(experimentQuerySchema, request.query, 'query');
    const experiment = await states.getExperiment(id);
    if (experiment === undefined) throw new ExperimentNotFoundError(id);
    if (run !== undefined && run > experiment.run) {
      throw badRequest(
        'query.run',
        `experiment ${id} has ${experiment.run} run${experiment.run === 1 ? '' : 's'}`,
      );
    }
    response.json(await experimentView(experiment, deps, run));
  });

  router.get('/:id/audit', async (request, response) => {
    const id = experimentId(request);
    const query = parseRequest(pageQuerySchema, request.query, 'query');
    if ((await states.getExperiment(id)) === undefined) throw new ExperimentNotFoundError(id);
    const page = await states.listAuditEvents(id, query);
    response.json({
      items: page.items.map((event) => ({ ...event, at: event.at.toISOString() })),
      nextCursor: page.nextCursor,
    });
  });

  router.post('/:id/tasks/:task/cancel', async (request, response) => {
    const id = experimentId(request);
    const experiment = await states.getExperiment(id);
    if (experiment === undefined) throw new ExperimentNotFoundError(id);
    const taskId = await taskOf(deps, experiment, request);
    await engine.cancelTask(id, taskId, actorOf(response));
    response.status(202).json({ experimentId: id, run: experiment.run, taskId });
  });

  router.get('/:id/tasks/:task/logs', async (request, response) => {
    const id = experimentId(request);
    const query = parseRequest(taskLogsQuerySchema, request.query, 'query');
    const experiment = await states.getExperiment(id);
    if (experiment === undefined) throw new ExperimentNotFoundError(id);
    const run = query.run ?? experiment.run;
    if (run > experiment.run) throw badRequest('query.run', `experiment ${id} has no run ${run}`);
    const taskId = await taskOf(deps, experiment, request);
    const report = await states.getTaskLog({ experimentId: id, run, taskId, attempt: query.attempt });
    const answer: TaskLogsResponse = {
      experimentId: id,
      run,
      taskId,
      attempt: report?.attempt ?? query.attempt ?? null,
      text: report?.logTail?.text ?? '',
      at: report?.logTail?.at.toISOString() ?? null,
      limits: TASK_LOG_TAIL,
    };
    response.json(answer);
  });

  const actions = { cancel: engine.cancel, rerun: engine.rerun, resume: engine.resume } as const;
  for (const [name, action] of Object.entries(actions)) {
    router.post(`/:id/${name}`, async (request, response) => {
      const experiment = await action.call(engine, experimentId(request), actorOf(response));
      response.json(experimentSummary(experiment));
    });
  }

  return router;
}
