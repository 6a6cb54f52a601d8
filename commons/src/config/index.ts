export { configSchema } from './config-schema';
export { API_SCOPES, DEFAULT_API_TOKEN, apiTokensSchema, scopeAllows } from './api-tokens';
export type { ApiScope, ApiToken } from './api-tokens';
export type { WlmConfig, WlmConfigInput } from './config-schema';
export { loadConfig, readConfigFile, CONFIG_ENVIRONMENT } from './load-config';
export type { LoadConfigOptions } from './load-config';
export { parseMysqlUrl } from './mysql-url';
export type { MysqlServer, MysqlTarget } from './mysql-url';
