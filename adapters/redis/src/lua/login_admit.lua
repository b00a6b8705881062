-- LockoutPolicy::admit of the domain on the three failure logs of one login attempt.
--
-- KEYS[1]  sorted set of the username's failures from every address
-- KEYS[2]  hash of the username's pair states; field = client IP, value =
--          "<locked until or empty>|<failure>,<failure>,..." (times in microseconds)
-- KEYS[3]  sorted set of the client IP's failures for every username
-- ARGV     1 now, 2 client IP (the hash field), 3 tag unique to this call, 4 pair limit,
--          5 pair window, 6 lock duration, 7 delay threshold, 8 username window, 9 IP limit,
--          10 IP window, 11 and on: the delays (durations in microseconds)
--
-- Returns {"proceed", 1 or 0 (locks on failure)} or {"locked" | "delayed" | "throttled",
-- retry after in microseconds}.

local now = tonumber(ARGV[1])
local ip = ARGV[2]
local tag = ARGV[3]
local pair_limit = tonumber(ARGV[4])
local pair_window = tonumber(ARGV[5])
local lock_duration = tonumber(ARGV[6])
local delay_threshold = tonumber(ARGV[7])
local username_window = tonumber(ARGV[8])
local ip_limit = tonumber(ARGV[9])
local ip_window = tonumber(ARGV[10])
local delays = {}
for i = 11, #ARGV do
  table.insert(delays, tonumber(ARGV[i]))
end
local second = 1000000
local sweep_field = '#sweep'
local min_sweep_len = 64

local function parse_pair(text)
  local pair = { locked = nil, failures = {} }
  if not text then
    return pair
  end
  local bar = string.find(text, '|', 1, true)
  if not bar then
    return pair
  end
  local locked = string.sub(text, 1, bar - 1)
  if locked ~= '' then
    pair.locked = tonumber(locked)
  end
  for t in string.gmatch(string.sub(text, bar + 1), '[^,]+') do
    table.insert(pair.failures, tonumber(t))
  end
  return pair
end

local function format_pair(pair)
  local parts = {}
  for i, t in ipairs(pair.failures) do
    parts[i] = string.format('%d', t)
  end
  local locked = ''
  if pair.locked then
    locked = string.format('%d', pair.locked)
  end
  return locked .. '|' .. table.concat(parts, ',')
end

local function prune(failures, window, at)
  local kept = {}
  for _, t in ipairs(failures) do
    if t > at - window then
      table.insert(kept, t)
    end
  end
  return kept
end

local function expire_at_least(key, ttl_micros)
  local ttl = math.ceil(ttl_micros / 1000)
  if redis.call('PTTL', key) < ttl then
    redis.call('PEXPIRE', key, ttl)
  end
end

-- Drops the pairs that no longer affect any attempt, once the hash has doubled since the last
-- sweep, so a username attacked from many addresses keeps a bounded hash.
local function sweep_pairs()
  local len = redis.call('HLEN', KEYS[2])
  local due = tonumber(redis.call('HGET', KEYS[2], sweep_field)) or min_sweep_len
  if len <= due then
    return
  end
  local entries = redis.call('HGETALL', KEYS[2])
  local live = 0
  for i = 1, #entries, 2 do
    local field = entries[i]
    if field ~= sweep_field then
      local pair = parse_pair(entries[i + 1])
      local alive
      if pair.locked then
        alive = pair.locked > now
      else
        alive = #prune(pair.failures, pair_window, now) > 0
      end
      if alive then
        live = live + 1
      else
        redis.call('HDEL', KEYS[2], field)
      end
    end
  end
  redis.call('HSET', KEYS[2], sweep_field, math.max(min_sweep_len, 2 * live))
end

local function save_pair(pair)
  if pair.locked == nil and #pair.failures == 0 then
    redis.call('HDEL', KEYS[2], ip)
    return
  end
  redis.call('HSET', KEYS[2], ip, format_pair(pair))
  expire_at_least(KEYS[2], math.max(pair_window, lock_duration))
  sweep_pairs()
end

local pair = parse_pair(redis.call('HGET', KEYS[2], ip))
if pair.locked then
  if pair.locked > now then
    return { 'locked', pair.locked - now }
  end
  pair = { locked = nil, failures = {} }
end
pair.failures = prune(pair.failures, pair_window, now)

redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - ip_window)
if redis.call('ZCARD', KEYS[3]) >= ip_limit then
  save_pair(pair)
  local oldest = redis.call('ZRANGE', KEYS[3], 0, 0, 'WITHSCORES')
  local first = now
  if oldest[2] then
    first = tonumber(oldest[2])
  end
  return { 'throttled', math.max(first + ip_window - now, second) }
end

redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - username_window)
local failures = redis.call('ZCARD', KEYS[1])
if failures >= delay_threshold then
  local over = failures - delay_threshold
  local delay = delays[math.min(over + 1, #delays)] or 0
  local newest = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
  local last = now
  if newest[2] then
    last = tonumber(newest[2])
  end
  if now < last + delay then
    save_pair(pair)
    return { 'delayed', math.max(last + delay - now, second) }
  end
end

table.insert(pair.failures, now)
redis.call('ZADD', KEYS[1], now, tag)
redis.call('ZADD', KEYS[3], now, tag)
expire_at_least(KEYS[1], username_window)
expire_at_least(KEYS[3], ip_window)
local locks = 0
if #pair.failures >= pair_limit then
  pair.locked = now + lock_duration
  locks = 1
end
save_pair(pair)
return { 'proceed', locks }
