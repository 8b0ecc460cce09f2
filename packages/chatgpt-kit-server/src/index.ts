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
