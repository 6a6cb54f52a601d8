export { configSchema } from './config-schema';
export type { WlmConfig, WlmConfigInput } from './config-schema';
export { loadConfig, readConfigFile, CONFIG_ENVIRONMENT } from './load-config';
export type { LoadConfigOptions } from './load-config';
export { parseMysqlUrl } from './mysql-url';
export type { MysqlServer, MysqlTarget, MysqlTls } from './mysql-url';
export { findProjectRoot, stackDirOf } from './project-root';
export { STACK_SERF_KEY_FILES, withSerfKeys } from './serf-keys';
