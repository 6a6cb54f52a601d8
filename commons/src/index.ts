/**
 * @wlm/commons — what every wlm service shares: configuration, logging, typed errors.
 *
 * This root entry holds everything, for the services. Narrower entries (package.json `exports`)
 * serve one audience each and load only what it needs: `@wlm/commons/plugin` (the plugin SDK, what
 * plugins import), `@wlm/commons/remote` (compute resources over SSH), `@wlm/commons/plugin-host`
 * (loading plugin modules, in the worker and its task processes), `@wlm/commons/wire` and
 * `@wlm/commons/config`.
 *
 * @example
 * ```ts
 * import { loadConfig, createLogger } from '@wlm/commons';
 * const config = loadConfig();
 * const log = createLogger({ component: 'scheduler', level: config.log.level });
 * ```
 */
export * from './advertisement';
export * from './amqp';
export * from './api';
export * from './collections';
export * from './config';
export * from './control';
export * from './dag';
export * from './errors';
export * from './lifecycle';
export * from './logging';
export * from './metrics';
export * from './net';
export * from './plugin';
export * from './remote';
export * from './serf';
export * from './text';
export * from './wire';
