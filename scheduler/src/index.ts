/**
 * @wlm/scheduler — places wlm tasks on workers advertised over Serf and routes them through RabbitMQ.
 */
export * from './placement';
