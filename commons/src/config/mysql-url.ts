import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors/config-error';

/** TLS to the server, in mysql2's terms (its `ssl` option). */
export interface MysqlTls {
  /** PEM of the CA that signed the server's certificate; default the system's CAs. */
  ca?: string;
  /** False for `ssl-mode=REQUIRED`: encrypted, the certificate not checked. */
  rejectUnauthorized: boolean;
  /** Set for `ssl-mode=VERIFY_CA`: the certificate is checked, the host name is not. */
  checkServerIdentity?: () => undefined;
}

/** Where to connect, without the database: what both the pool and the leader's lock connection need. */
export interface MysqlServer {
  host: string;
  port: number;
  user: string;
  password: string;
  /** Absent: plain TCP (`ssl-mode=DISABLED`, the default). */
  ssl?: MysqlTls;
}

const SSL_MODES = ['DISABLED', 'REQUIRED', 'VERIFY_CA', 'VERIFY_IDENTITY'] as const;
const URL_OPTIONS = new Set(['ssl-mode', 'ssl-ca']);

export interface MysqlTarget {
  server: MysqlServer;
  database: string;
}

const DEFAULT_DATABASE = 'wlm';
/** Database names are interpolated into DDL, so only plain identifiers are accepted. */
const DATABASE_NAME = /^[A-Za-z0-9_]{1,64}$/;

/**
 * Splits `mysql.url` (`mysql://user:password@host:port/database[?ssl-mode=…&ssl-ca=/path/ca.pem]`)
 * into server and database. `ssl-mode` takes MySQL's client values: DISABLED (default), REQUIRED
 * (encrypted, certificate not checked), VERIFY_CA (certificate checked against `ssl-ca` or the
 * system's CAs), VERIFY_IDENTITY (and the host name too). `ssl-ca` is read at once.
 */
export function parseMysqlUrl(url: string): MysqlTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError('mysql.url', `mysql.url is not a URL: ${url}`);
  }
  if (parsed.protocol !== 'mysql:') {
    throw new ConfigError('mysql.url', `mysql.url must start with mysql://, got ${parsed.protocol}//`);
  }
  for (const name of parsed.searchParams.keys()) {
    // Silently ignoring options would surprise whoever wrote them; say so instead.
    if (!URL_OPTIONS.has(name))
      throw new ConfigError('mysql.url', `mysql.url takes only ssl-mode and ssl-ca as options (got ${name})`);
  }
  const ssl = tlsOf(parsed.searchParams);
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, '')) || DEFAULT_DATABASE;
  if (!DATABASE_NAME.test(database)) {
    throw new ConfigError(
      'mysql.url',
      `mysql.url names database "${database}"; use letters, digits and underscores only (at most 64)`,
    );
  }
  return {
    server: {
      host: parsed.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1',
      port: parsed.port === '' ? 3306 : Number(parsed.port),
      user: decodeURIComponent(parsed.username) || 'root',
      password: decodeURIComponent(parsed.password),
      ...(ssl === undefined ? {} : { ssl }),
    },
    database,
  };
}

function tlsOf(params: URLSearchParams): MysqlTls | undefined {
  const mode = (params.get('ssl-mode') ?? 'DISABLED').toUpperCase();
  if (!(SSL_MODES as readonly string[]).includes(mode)) {
    throw new ConfigError(
      'mysql.url',
      `mysql.url ssl-mode must be one of ${SSL_MODES.join(', ')}, got ${mode}`,
    );
  }
  const caFile = params.get('ssl-ca');
  if (mode === 'DISABLED') {
    if (caFile !== null) throw new ConfigError('mysql.url', 'mysql.url has ssl-ca but ssl-mode is DISABLED');
    return undefined;
  }
  let ca: string | undefined;
  if (caFile !== null) {
    try {
      ca = readFileSync(caFile, 'utf8');
    } catch (error) {
      throw new ConfigError(
        'mysql.url',
        `mysql.url ssl-ca: cannot read ${caFile}: ${(error as Error).message}`,
      );
    }
  }
  return {
    ...(ca === undefined ? {} : { ca }),
    rejectUnauthorized: mode !== 'REQUIRED',
    ...(mode === 'VERIFY_CA' ? { checkServerIdentity: () => undefined } : {}),
  };
}
