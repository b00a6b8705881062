-- Sliding-window rate limits, all or nothing: RateLimit::admit of the domain, with its
-- SlidingLog, for each check in order, and the request is recorded under every key or under
-- none. Optionally also reads the revocations of the request's access token, so that one round
-- trip serves both.
--
-- A log is a list of slots "first last count" (times in microseconds), oldest first, and a
-- counter of the requests in it. A slot leaves the window when its newest request does. A
-- request gets a slot of its own while the log has fewer than 64, else it joins the newest slot
-- when that started less than window / 64 earlier, so a log has at most 129 slots.
--
-- KEYS[2i-1]   slot list of check i, for i = 1 .. n, where n = (#ARGV - 1) / 2
-- KEYS[2i]     request counter of check i
-- KEYS[2n+j]   revocation keys to read (a revoked token and its family), each holding the time
--              until which it is revoked in microseconds; none for a plain admit
-- ARGV[1]      now, microseconds since the epoch
-- ARGV[2i]     limit of check i
-- ARGV[2i+1]   window of check i, microseconds
--
-- Returns 4 integers per check: allowed (1 or 0), remaining, reset after (microseconds), retry
-- after (microseconds, or -1 when allowed). With revocation keys, one more integer follows: 1
-- when any of them is revoked at now, else 0.

local now = tonumber(ARGV[1])
local checks = (#ARGV - 1) / 2
local second = 1000000
local exact_slots = 64
local results = {}
local recorded = {}
local all_allowed = true

local function parse(slot)
  local first, last, count = string.match(slot, '^(%d+) (%d+) (%d+)$')
  return tonumber(first), tonumber(last), tonumber(count)
end

local function format(first, last, count)
  return string.format('%d %d %d', first, last, count)
end

-- Stores a log's counter with the log's expiry, or deletes it with an empty log.
local function store_total(list, counter, total)
  if total <= 0 then
    redis.call('DEL', counter)
    return
  end
  redis.call('SET', counter, total, 'KEEPTTL')
  if redis.call('PTTL', counter) < 0 then
    local ttl = redis.call('PTTL', list)
    if ttl > 0 then
      redis.call('PEXPIRE', counter, ttl)
    end
  end
end

-- Returns the number of requests in a log, rebuilding a lost counter from the slots.
local function read_total(list, counter)
  local total = redis.call('GET', counter)
  if total then
    return tonumber(total)
  end
  local sum = 0
  for _, slot in ipairs(redis.call('LRANGE', list, 0, -1)) do
    local _, _, count = parse(slot)
    sum = sum + count
  end
  return sum
end

for i = 1, checks do
  local list = KEYS[2 * i - 1]
  local counter = KEYS[2 * i]
  local limit = tonumber(ARGV[2 * i])
  local window = tonumber(ARGV[2 * i + 1])
  local total = read_total(list, counter)

  -- Drop the slots whose newest request left the window.
  local oldest = redis.call('LINDEX', list, 0)
  while oldest do
    local _, last, count = parse(oldest)
    if last > now - window then
      break
    end
    redis.call('LPOP', list)
    total = total - count
    oldest = redis.call('LINDEX', list, 0)
  end
  if total < 0 then
    total = 0
  end

  local reset = 0
  if oldest then
    local _, last = parse(oldest)
    reset = last + window - now
  end

  if total >= limit then
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
    local joined = nil
    if redis.call('LLEN', list) >= exact_slots then
      local newest = redis.call('LINDEX', list, -1)
      local first, last, count = parse(newest)
      if now - first < math.floor(window / exact_slots) then
        redis.call('LSET', list, -1, format(first, math.max(last, now), count + 1))
        joined = newest
      end
    end
    if not joined then
      redis.call('RPUSH', list, format(now, now, 1))
    end
    table.insert(recorded, { list = list, counter = counter, window = window, joined = joined })
    if not oldest then
      reset = window
    end
    table.insert(results, 1)
    table.insert(results, limit - total - 1)
    table.insert(results, reset)
    table.insert(results, -1)
    total = total + 1
  end
  store_total(list, counter, total)
end

if all_allowed then
  for _, entry in ipairs(recorded) do
    -- The newest request is now, so the log is useless one window later. A longer window used
    -- on the same key keeps its longer TTL.
    local ttl = math.ceil(entry.window / 1000)
    for _, key in ipairs({ entry.list, entry.counter }) do
      if redis.call('PTTL', key) < ttl then
        redis.call('PEXPIRE', key, ttl)
      end
    end
  end
else
  -- Take back what this call recorded, newest first, so a key used by two checks comes back
  -- to where it was.
  for index = #recorded, 1, -1 do
    local entry = recorded[index]
    if entry.joined then
      redis.call('LSET', entry.list, -1, entry.joined)
    else
      redis.call('RPOP', entry.list)
    end
    store_total(entry.list, entry.counter, tonumber(redis.call('GET', entry.counter)) - 1)
  end
end

if #KEYS > 2 * checks then
  local revoked = 0
  for j = 2 * checks + 1, #KEYS do
    local until_time = tonumber(redis.call('GET', KEYS[j]))
    if until_time and now <= until_time then
      revoked = 1
    end
  end
  table.insert(results, revoked)
end

return results
