import { ConfigError } from '../errors/config-error';

/** Where to connect, without the database: what both the pool and the leader's lock connection need. */
export interface MysqlServer {
  host: string;
  port: number;
  user: string;
  password: string;
}

export interface MysqlTarget {
  server: MysqlServer;
  database: string;
}

const DEFAULT_DATABASE = 'wlm';
/** Database names are interpolated into DDL, so only plain identifiers are accepted. */
const DATABASE_NAME = /^[A-Za-z0-9_]{1,64}$/;

/** Splits `mysql.url` (`mysql://user:password@host:port/database`) into server and database. */
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
  if (parsed.search !== '') {
    // Silently ignoring options would surprise whoever wrote them; say so instead.
    throw new ConfigError('mysql.url', `mysql.url takes no query options (got ${parsed.search})`);
  }
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
    },
    database,
  };
}
