-- Sliding-window rate limits, all or nothing: RateLimit::admit of the domain, with its
-- SlidingLog, for each check in order, and the request is recorded under every key or under
-- none. Optionally also reads the status of the request's access token (its revocations and its
-- user's stamp), so that one round trip serves all three.
--
-- A log is one hash. Its slots are numbered from h (oldest) to t (newest); slot i counts c<i>
-- requests, the newest at l<i> (microseconds). n is the number of requests in the log and f the
-- time of the first request of slot t. A slot leaves the window when its newest request does. A
-- request gets a slot of its own while the log has fewer than 64, else it joins the newest slot
-- when that started less than window / 64 earlier, so a log has at most 129 slots. Plain fields
-- and numbers keep the steady path at four commands a check, without string parsing.
--
-- KEYS[i]      log of check i, for i = 1 .. n, where n = ARGV[2]
-- KEYS[n+1]    with a status: the revoked-token key, holding the time until which the token is
--              revoked in microseconds
-- KEYS[n+2]    with a status: the revoked-family key, the same for the token's family
-- KEYS[n+3]    with a status: the stamp key of the token's user
-- ARGV[1]      now, microseconds since the epoch
-- ARGV[2]      n, the number of checks
-- ARGV[2i+1]   limit of check i
-- ARGV[2i+2]   window of check i, microseconds
-- ARGV[2n+3]   with a status: a new random stamp, stored when the user has none
-- ARGV[2n+4]   with a status: the lifetime of a new stamp, milliseconds
--
-- Returns 4 integers per check: allowed (1 or 0), remaining, reset after (microseconds), retry
-- after (microseconds, or -1 when allowed). With a status, two more follow: 1 when the token or
-- its family is revoked at now, else 0; and the user's stamp, as stored (a decimal string).

local now = tonumber(ARGV[1])
local checks = tonumber(ARGV[2])
local second = 1000000
local exact_slots = 64 -- SLOTS_PER_WINDOW in domain/src/throttle.rs; the contract suite checks they agree
local results = {}
local recorded = {}
local all_allowed = true

for i = 1, checks do
  local log = KEYS[i]
  local limit = tonumber(ARGV[2 * i + 1])
  local window = tonumber(ARGV[2 * i + 2])
  local state = redis.call('HMGET', log, 'n', 'h', 't', 'f')
  local total = tonumber(state[1]) or 0
  local head = tonumber(state[2]) or 1
  local tail = tonumber(state[3]) or 0
  local first = tonumber(state[4]) or 0
  local ends = redis.call('HMGET', log, 'l' .. head, 'c' .. head, 'l' .. tail, 'c' .. tail)
  local oldest_last = tonumber(ends[1])
  local newest_last = tonumber(ends[3])
  local newest_count = tonumber(ends[4])

  -- Drop the slots whose newest request left the window.
  local dropped = false
  while head <= tail and oldest_last and oldest_last <= now - window do
    total = total - (tonumber(ends[2]) or 0)
    redis.call('HDEL', log, 'l' .. head, 'c' .. head)
    head = head + 1
    dropped = true
    ends = redis.call('HMGET', log, 'l' .. head, 'c' .. head)
    oldest_last = tonumber(ends[1])
  end
  if head > tail then
    total = 0
    oldest_last = nil
  end

  local reset = 0
  if oldest_last then
    reset = oldest_last + window - now
  end

  if total >= limit then
    all_allowed = false
    if dropped then
      if head > tail then
        redis.call('DEL', log)
      else
        redis.call('HSET', log, 'n', total, 'h', head)
      end
    end
    local retry = reset
    if retry < second then
      retry = second
    end
    table.insert(results, 0)
    table.insert(results, 0)
    table.insert(results, reset)
    table.insert(results, retry)
  else
    local slots = tail - head + 1
    local entry = { log = log, window = window, total = total, head = head, tail = tail,
      first = first, newest_last = newest_last, newest_count = newest_count }
    if slots >= exact_slots and now - first < math.floor(window / exact_slots) then
      entry.joined = true
      redis.call('HSET', log, 'n', total + 1, 'h', head,
        'l' .. tail, math.max(newest_last, now), 'c' .. tail, newest_count + 1)
    else
      tail = tail + 1
      redis.call('HSET', log, 'n', total + 1, 'h', head, 't', tail, 'f', now,
        'l' .. tail, now, 'c' .. tail, 1)
    end
    table.insert(recorded, entry)
    if not oldest_last then
      reset = window
    end
    table.insert(results, 1)
    table.insert(results, limit - total - 1)
    table.insert(results, reset)
    table.insert(results, -1)
  end
end

if all_allowed then
  -- The newest request is now, so each log is useless one window later. Each check key has one
  -- window (its prefix names the limit), so the last call's window is the key's.
  for _, entry in ipairs(recorded) do
    redis.call('PEXPIRE', entry.log, math.ceil(entry.window / 1000))
  end
else
  -- Put back what this call changed, newest first, so a key used by two checks comes back to
  -- where it was. Slots this call dropped had left the window and stay dropped.
  for index = #recorded, 1, -1 do
    local entry = recorded[index]
    if entry.total == 0 then
      redis.call('DEL', entry.log)
    elseif entry.joined then
      redis.call('HSET', entry.log, 'n', entry.total, 'h', entry.head,
        'l' .. entry.tail, entry.newest_last, 'c' .. entry.tail, entry.newest_count)
    else
      local added = entry.tail + 1
      redis.call('HDEL', entry.log, 'l' .. added, 'c' .. added)
      redis.call('HSET', entry.log, 'n', entry.total, 'h', entry.head, 't', entry.tail,
        'f', entry.first)
    end
  end
end

if #KEYS > checks then
  local revoked = 0
  for _, until_time in ipairs(redis.call('MGET', KEYS[checks + 1], KEYS[checks + 2])) do
    if until_time and now <= tonumber(until_time) then
      revoked = 1
    end
  end
  table.insert(results, revoked)
  local stamp_key = KEYS[checks + 3]
  local stamp = redis.call('GET', stamp_key)
  if not stamp then
    stamp = ARGV[2 * checks + 3]
    redis.call('SET', stamp_key, stamp, 'PX', ARGV[2 * checks + 4])
  end
  table.insert(results, stamp)
end

return results
