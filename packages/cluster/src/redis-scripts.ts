/**
 * The Lua scripts of the Redis membership. Each runs atomically in Redis, so checks and
 * writes cannot interleave with another member's: this is what makes renewals and releases
 * "only by the holder" (compare-and-set) and acquisitions exclusive.
 *
 * Keys of cluster `name` (one hash tag, so they share a slot on Redis Cluster too):
 *   tsactor:{name}:members        set of member URLs
 *   tsactor:{name}:m:<url>        "<incarnation> <ttlMs> <kinds as JSON>", expiring with the lease
 *   tsactor:{name}:incarnation    counter of joins (incarnations grow over the whole cluster)
 *   tsactor:{name}:epoch          counter of acquisitions (epochs grow over the whole cluster)
 *   tsactor:{name}:a:<identity>   "<epoch> <member URL>", expiring with the activation lease
 * Channel tsactor:{name}:changes carries a message on every join and leave.
 */
import { createHash } from 'node:crypto';
import type Redis from 'ioredis';

/** A script loaded by its SHA-1 (EVALSHA), sent in full once when Redis does not know it. */
export class LuaScript {
  private readonly sha: string;

  constructor(private readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(client: Redis, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    try {
      return await client.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (e) {
      if (!String((e as { message?: unknown }).message).startsWith('NOSCRIPT')) throw e;
      return client.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}

/**
 * KEYS: member key, members set, incarnation counter.
 * ARGV: url, ttlMs, kinds JSON, channel, max members.
 * Returns the new incarnation, or -1 when the table is full.
 */
export const JOIN = new LuaScript(`
if redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 0 and redis.call('SCARD', KEYS[2]) >= tonumber(ARGV[5]) then
  return -1
end
local inc = redis.call('INCR', KEYS[3])
redis.call('SET', KEYS[1], inc .. ' ' .. ARGV[2] .. ' ' .. ARGV[3], 'PX', ARGV[2])
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('PUBLISH', ARGV[4], 'join')
return inc
`);

/**
 * KEYS: member key. ARGV: incarnation, ttlMs.
 * Returns the renewed value, or false when the row is gone or is another incarnation's.
 */
export const RENEW = new LuaScript(`
local v = redis.call('GET', KEYS[1])
if not v then return false end
local inc, kinds = string.match(v, '^(%d+) %d+ (.*)$')
if inc ~= ARGV[1] then return false end
local nv = inc .. ' ' .. ARGV[2] .. ' ' .. kinds
redis.call('SET', KEYS[1], nv, 'PX', ARGV[2])
return nv
`);

/**
 * KEYS: member key, members set. ARGV: incarnation, url, channel.
 * Returns 1 when the row was removed.
 */
export const LEAVE = new LuaScript(`
local v = redis.call('GET', KEYS[1])
if v and string.match(v, '^(%d+) ') == ARGV[1] then
  redis.call('DEL', KEYS[1])
  redis.call('SREM', KEYS[2], ARGV[2])
  redis.call('PUBLISH', ARGV[3], 'leave')
  return 1
end
return 0
`);

/**
 * KEYS: members set. ARGV: prefix of member keys.
 * Returns a flat array url, value, pttl for each live member; URLs whose key expired are
 * dropped from the set.
 */
export const LIST = new LuaScript(`
local out = {}
for _, url in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local k = ARGV[1] .. url
  local v = redis.call('GET', k)
  if v then
    out[#out + 1] = url
    out[#out + 1] = v
    out[#out + 1] = redis.call('PTTL', k)
  else
    redis.call('SREM', KEYS[1], url)
  end
end
return out
`);

/**
 * KEYS: activation key, epoch counter. ARGV: member URL, ttlMs.
 * Returns {1, value, ttl} when acquired (a new epoch from INCR, then SET NX PX), or
 * {0, holder's value, its pttl} when a live lease exists.
 */
export const ACQUIRE = new LuaScript(`
local v = redis.call('GET', KEYS[1])
if v then return {0, v, redis.call('PTTL', KEYS[1])} end
local e = redis.call('INCR', KEYS[2])
local nv = e .. ' ' .. ARGV[1]
redis.call('SET', KEYS[1], nv, 'NX', 'PX', ARGV[2])
return {1, nv, tonumber(ARGV[2])}
`);

/** KEYS: activation key. ARGV: the holder's value, ttlMs. Returns 1 when renewed. */
export const RENEW_ACTIVATION = new LuaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
`);

/** KEYS: activation key. ARGV: the holder's value. Returns 1 when released. */
export const RELEASE = new LuaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`);
