import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { loadConfig } from '@wlm/commons/config';
import { ApiClient } from '../api-client/api-client';
import { ApiRequestError } from '../errors/api-request-error';
import { table } from '../format/text-table';
import { wholeNumber } from './option-parsers';

interface DagView {
  type: string;
  version: number;
  description: string | null;
  createdAt: string;
  definition: Record<string, unknown>;
}

interface DagSummary {
  type: string;
  latestVersion: number;
  versions: number;
  description: string | null;
  updatedAt: string;
}

interface JsonOption {
  json?: boolean;
}

function putCommand(): Command {
  return new Command('put')
    .description('store a DAG definition (YAML or JSON) as the next version of its experiment type')
    .argument('<file>', 'the definition; .json files are sent as JSON, anything else as YAML')
    .option('--json', 'print the stored definition as JSON')
    .action(async (file: string, options: JsonOption) => {
      const text = await readFile(file, 'utf8').catch((error: unknown) => {
        throw new InvalidArgumentError(`cannot read ${file}: ${(error as Error).message}`);
      });
      // The URL needs the type; the server checks the body's type against it.
      const type = /^type:\s*["']?([A-Za-z][A-Za-z0-9_-]*)/m.exec(text)?.[1] ?? jsonType(text);
      if (type === undefined) throw new InvalidArgumentError(`${file} has no top-level "type"`);
      const contentType = extname(file).toLowerCase() === '.json' ? 'application/json' : 'text/yaml';
      const api = ApiClient.fromConfig(loadConfig());
      try {
        const stored = await api.request<DagView>(`/api/dags/${type}`, {
          method: 'PUT',
          text: { body: text, contentType },
        });
        if (options.json) console.log(JSON.stringify(stored, null, 2));
        else console.log(`stored ${stored.type} version ${stored.version}`);
      } catch (error) {
        throw withProblems(error, file);
      }
    });
}

function jsonType(text: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    const type =
      typeof parsed === 'object' && parsed !== null ? (parsed as { type?: unknown }).type : undefined;
    return typeof type === 'string' ? type : undefined;
  } catch {
    return undefined;
  }
}

/** An invalid definition: one problem per line, under the file's name. */
function withProblems(error: unknown, file: string): unknown {
  if (!(error instanceof ApiRequestError) || error.apiCode !== 'DAG_INVALID') return error;
  const problems = error.details['problems'];
  if (!Array.isArray(problems) || problems.length === 0) return error;
  return new ApiRequestError(
    error.status,
    error.apiCode,
    [`${file} is not a valid DAG definition:`, ...problems.map((problem) => `  - ${String(problem)}`)].join(
      '\n',
    ),
  );
}

function getCommand(): Command {
  return new Command('get')
    .description('print a DAG definition (the latest version unless --version)')
    .argument('<type>', 'experiment type')
    .option(
      '--version <n>',
      'a specific version',
      wholeNumber({ min: 1, expected: 'a version number, 1 or more' }),
    )
    .option('--json', 'print {type, version, description, createdAt, definition} as JSON')
    .action(async (type: string, options: JsonOption & { version?: number }) => {
      const api = ApiClient.fromConfig(loadConfig());
      const query = options.version === undefined ? '' : `?version=${options.version}`;
      const dag = await api.request<DagView>(`/api/dags/${encodeURIComponent(type)}${query}`);
      if (options.json) {
        console.log(JSON.stringify(dag, null, 2));
        return;
      }
      // JSON is YAML too: the output can be edited and put back as it is.
      console.error(`${dag.type} version ${dag.version}, stored ${dag.createdAt}`);
      console.log(JSON.stringify(dag.definition, null, 2));
    });
}

function listCommand(): Command {
  return new Command('list')
    .description('list the experiment types with their latest version')
    .option('--json', 'print a JSON array of {type, latestVersion, versions, description, updatedAt}')
    .action(async (options: JsonOption) => {
      const api = ApiClient.fromConfig(loadConfig());
      const { items } = await api.request<{ items: DagSummary[] }>('/api/dags');
      if (options.json) console.log(JSON.stringify(items, null, 2));
      else if (items.length === 0) console.error('no DAGs yet: store one with `wlm dag put FILE`');
      else {
        const rows = items.map((dag) => [
          dag.type,
          `v${dag.latestVersion}`,
          `${dag.versions}`,
          dag.updatedAt,
          dag.description ?? '',
        ]);
        for (const line of table([['TYPE', 'LATEST', 'VERSIONS', 'UPDATED', 'DESCRIPTION'], ...rows]))
          console.log(line);
      }
    });
}

/** `wlm dag put FILE | get TYPE [--version N] | list`: clients of the orchestrator's API. */
export function dagCommand(): Command {
  return new Command('dag')
    .description('store and read DAG definitions (experiment types) through the orchestrator API')
    .addCommand(putCommand())
    .addCommand(getCommand())
    .addCommand(listCommand())
    .addHelpText('after', '\nExamples to copy: orchestrator/examples/*.yaml.');
}
