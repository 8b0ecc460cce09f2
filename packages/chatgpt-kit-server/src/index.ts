/**
 * `chatgpt-kit-server`: what runs on servers beside the `chatgpt-kit` library: coordination of
 * accounts across processes on Redis, and conversation stores that outlive a process.
 *
 * @module chatgpt-kit-server
 */
export { connectRedis, redisWhere, type RedisConnectionOptions } from './redis/connect-redis.js'
export { REDIS_LEASE_DEFAULTS, RedisLeases, type RedisLease, type RedisLeasesOptions } from './lease/redis-leases.js'
export { SQLITE_STORE_DEFAULTS, SqliteStore, type SqliteStoreOptions } from './stores/sqlite-store.js'
export { RedisStore, type RedisStoreOptions } from './stores/redis-store.js'
export { RedisCoordinator, type RedisCoordinatorOptions } from './redis-coordinator.js'
export { createGateway, type Gateway } from './gateway/create-gateway.js'
export { GATEWAY_DEFAULTS, type GatewayKeyLimits, type GatewayLogger, type GatewayOptions } from './gateway/gateway-options.js'
export { GATEWAY_SERVER_DEFAULTS, serveGateway, type GatewayServer, type GatewayServerOptions } from './gateway/serve-gateway.js'
export { IGNORED_FIELDS } from './gateway/chat-request.js'
export type { GatewayMetrics } from './gateway/gateway-metrics.js'
export { createJsonLogger } from './gateway/json-logger.js'
