import { withRetry } from '@wlm/commons/errors';
import neo4j from 'neo4j-driver';
import type { Driver } from 'neo4j-driver';
import { StackComponentError } from '../errors/stack-component-error';
import type { Reporter } from './types';

/** The password every new Neo4j database starts with; it must be changed before anything else runs. */
const INITIAL_PASSWORD = 'neo4j';

export interface Neo4jLogin {
  readonly url: string;
  readonly user: string;
  readonly password: string;
}

function openDriver(url: string, user: string, password: string): Driver {
  return neo4j.driver(url, neo4j.auth.basic(user, password), {
    connectionTimeout: 5000,
    maxConnectionPoolSize: 2,
    telemetryDisabled: true,
  });
}

async function withDriver<T>(
  url: string,
  user: string,
  password: string,
  work: (d: Driver) => Promise<T>,
): Promise<T> {
  const driver = openDriver(url, user, password);
  try {
    return await work(driver);
  } finally {
    await driver.close();
  }
}

function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
}

/** Whether the server accepts these credentials. Retries while the server is still starting its databases. */
function accepts(url: string, user: string, password: string): Promise<boolean> {
  return withRetry(
    () =>
      withDriver(url, user, password, async (driver) => {
        try {
          return await driver.verifyAuthentication();
        } catch (error) {
          if (errorCode(error) === 'Neo.ClientError.Security.Unauthorized') return false;
          throw error;
        }
      }),
    { maxAttempts: 12, initialDelayMs: 250, maxDelayMs: 3000 },
  );
}

/**
 * Makes the server accept the configured password. A new database only knows `neo4j`/`neo4j`, and that
 * login may do nothing but change its password: so on first start, change it to the configured one.
 */
export async function ensureNeo4jPassword(
  login: Neo4jLogin,
  report: Reporter,
  dataDir: string,
): Promise<void> {
  const { url, user, password } = login;
  if (await accepts(url, user, password)) return;
  const cannotLogIn = new StackComponentError(
    'neo4j',
    `Neo4j rejects the configured password (config neo4j.password / WLM_NEO4J_PASSWORD). ` +
      `Set the password it was first started with, or delete ${dataDir} to start over`,
    undefined,
  );
  if (user !== 'neo4j') throw cannotLogIn;
  try {
    await withDriver(url, user, INITIAL_PASSWORD, (driver) =>
      driver.executeQuery(
        `ALTER CURRENT USER SET PASSWORD FROM $initial TO $password`,
        { initial: INITIAL_PASSWORD, password },
        { database: 'system' },
      ),
    );
  } catch (error) {
    if (errorCode(error) === 'Neo.ClientError.Security.Unauthorized') throw cannotLogIn;
    throw new StackComponentError(
      'neo4j',
      `cannot set the password: ${(error as Error).message}`,
      undefined,
      {
        cause: error,
      },
    );
  }
  report('info', 'set the configured password (first start)');
  if (!(await accepts(url, user, password))) throw cannotLogIn;
}

/** `5.26.30 community`, from `dbms.components()`. */
export function neo4jVersion(login: Neo4jLogin): Promise<string> {
  return withDriver(login.url, login.user, login.password, async (driver) => {
    const { records } = await driver.executeQuery(
      'CALL dbms.components() YIELD name, versions, edition RETURN name, versions, edition',
      {},
      { database: 'system' },
    );
    const kernel = records.find((record) => record.get('name') === 'Neo4j Kernel') ?? records[0];
    if (kernel === undefined) throw new Error('dbms.components() returned nothing');
    const versions: unknown = kernel.get('versions');
    const edition: unknown = kernel.get('edition');
    const version = Array.isArray(versions) ? String(versions[0]) : String(versions);
    return typeof edition === 'string' ? `${version} ${edition}` : version;
  });
}
