-- Sliding-window rate limits, all or nothing: RateLimit::admit of the domain for each check in
-- order, and the request is recorded under every key or under none. Optionally also reads the
-- revocations of the request's access token, so that one round trip serves both.
--
-- KEYS[i]      sorted set of accepted request times of check i (score and time in microseconds),
--              for i = 1 .. n, where n = (#ARGV - 2) / 2
-- KEYS[n+j]    revocation keys to read (a revoked token and its family), each holding the time
--              until which it is revoked in microseconds; none for a plain admit
-- ARGV[1]      now, microseconds since the epoch
-- ARGV[2]      a tag unique to this call; members are "<tag>:<i>"
-- ARGV[2i+1]   limit of check i
-- ARGV[2i+2]   window of check i, microseconds
--
-- Returns 4 integers per check: allowed (1 or 0), remaining, reset after (microseconds), retry
-- after (microseconds, or -1 when allowed). With revocation keys, one more integer follows: 1
-- when any of them is revoked at now, else 0.

local now = tonumber(ARGV[1])
local tag = ARGV[2]
local checks = (#ARGV - 2) / 2
local second = 1000000
local results = {}
local added = {}
local all_allowed = true

for i = 1, checks do
  local key = KEYS[i]
  local limit = tonumber(ARGV[2 * i + 1])
  local window = tonumber(ARGV[2 * i + 2])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  local used = redis.call('ZCARD', key)
  local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  local reset = 0
  if oldest[2] then
    reset = tonumber(oldest[2]) + window - now
  end
  if used >= limit then
    all_allowed = false
    local retry = reset
    if retry < second then
      retry = second
    end
    table.insert(results, 0)
    table.insert(results, 0)
    table.insert(results, reset)
    table.insert(results, retry)
  else
    local member = tag .. ':' .. i
    redis.call('ZADD', key, now, member)
    table.insert(added, { key, member, window })
    if not oldest[2] then
      reset = window
    end
    table.insert(results, 1)
    table.insert(results, limit - used - 1)
    table.insert(results, reset)
    table.insert(results, -1)
  end
end

for _, entry in ipairs(added) do
  if all_allowed then
    -- The newest entry is now, so the key is useless one window later. A longer window used
    -- on the same key keeps its longer TTL.
    local ttl = math.ceil(entry[3] / 1000)
    if redis.call('PTTL', entry[1]) < ttl then
      redis.call('PEXPIRE', entry[1], ttl)
    end
  else
    redis.call('ZREM', entry[1], entry[2])
  end
end

if #KEYS > checks then
  local revoked = 0
  for j = checks + 1, #KEYS do
    local until_time = tonumber(redis.call('GET', KEYS[j]))
    if until_time and now <= until_time then
      revoked = 1
    end
  end
  table.insert(results, revoked)
end

return results
