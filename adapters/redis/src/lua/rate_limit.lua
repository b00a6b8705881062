-- Sliding-window rate limits, all or nothing: RateLimit::admit of the domain, with its
-- SlidingLog, for each check in order, and the request is recorded under every key or under
-- none. Optionally also reads the status of the request's access token (its revocations and its
-- user's stamp), so that one round trip serves all three.
--
-- A log is one hash. Its slots are numbered from h (oldest) to t (newest), and each slot has a
-- count of requests and the time of its newest request (microseconds). n is the number of
-- requests in the log and f the time of the first request of slot t. Field m contains the two
-- ends of the log as eight little-endian doubles: n, h, t, f, then ol and oc (newest time and count
-- of slot h), then nl and nc (those of slot t; ol and oc repeat them when h = t). Each slot
-- strictly between h and t is a field named by its number, holding its newest time and count
-- as two doubles, written when a newer slot closes it. A slot leaves the window when its newest
-- request does. A request gets a slot of its own while the log has fewer than 64, else it joins
-- the newest slot when that started less than window / 64 earlier, so a log has at most 129
-- slots. Times in microseconds since the epoch stay below 2^53, so doubles hold them exactly.
--
-- A request that joins the newest slot, the common case under load, costs one HGET and one
-- HSET of m. A request that starts a slot writes the closed slot in the same HSET and then moves
-- the key's expiry. Slots leaving the window cost an HGET for each middle slot that becomes the
-- oldest, then one HDEL and one HSET. Packed doubles spare Redis the conversions between
-- numbers and decimal strings. With decimal fields, a joined request took about 15 us of Redis
-- CPU per call (INFO commandstats), most of it outside the commands. Packed, it takes about 10 us.
--
-- The expiry is set when a slot starts: one window, plus window / 64 when the log then has 64
-- slots or more, since later requests may then join the slot for less than window / 64. So the
-- key lives at least one window past the newest request the slot can take, provided the times
-- in ARGV advance with Redis's clock.
--
-- This script never reads hashes of earlier layouts, which were stored under rate-log: and
-- rate-slots: keys and expire by their own TTL.
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
local ends_format = '<dddddddd'
local slot_format = '<dd'
local results = {}
local recorded = {}
local all_allowed = true

-- Packs the two ends of a log into the value of field m.
local function pack_ends(total, head, tail, first, oldest_last, oldest_count, newest_last,
                         newest_count)
  return struct.pack(ends_format, total, head, tail, first, oldest_last, oldest_count,
    newest_last, newest_count)
end

-- Reads the ends of the log at key. A missing key is the empty log: n = 0 and h = t + 1, as the
-- drop phase leaves a log it empties.
local function read_log(key)
  local ends = redis.call('HGET', key, 'm')
  if not ends then
    return { key = key, total = 0, head = 1, tail = 0 }
  end
  local total, head, tail, first, oldest_last, oldest_count, newest_last, newest_count =
    struct.unpack(ends_format, ends)
  return {
    key = key,
    total = total,
    head = head,
    tail = tail,
    first = first,
    oldest_last = oldest_last,
    oldest_count = oldest_count,
    newest_last = newest_last,
    newest_count = newest_count,
  }
end

-- Writes field m from the values in log.
local function write_ends(log)
  redis.call('HSET', log.key, 'm', pack_ends(log.total, log.head, log.tail, log.first,
    log.oldest_last, log.oldest_count, log.newest_last, log.newest_count))
end

-- Drops the slots whose newest request is at or before horizon, oldest first, as
-- SlidingLog::forget_until does, and writes the result: the key is deleted when the log
-- empties, else m is rewritten and the field of each slot that became the oldest is deleted. On
-- a busy key a slot leaves about once per window / 64, so this may cost a few calls.
local function drop_left(log, horizon)
  if log.total == 0 or log.oldest_last > horizon then
    return
  end
  local moved = {}
  while log.head <= log.tail and log.oldest_last <= horizon do
    log.total = log.total - log.oldest_count
    log.head = log.head + 1
    if log.head == log.tail then
      log.oldest_last = log.newest_last
      log.oldest_count = log.newest_count
    elseif log.head < log.tail then
      local field = tostring(log.head)
      log.oldest_last, log.oldest_count = struct.unpack(slot_format,
        redis.call('HGET', log.key, field))
      table.insert(moved, field)
    end
  end

  if log.head > log.tail then
    redis.call('DEL', log.key)
    log.total = 0
    log.head = 1
    log.tail = 0
    return
  end
  if #moved > 0 then
    redis.call('HDEL', log.key, unpack(moved))
  end
  write_ends(log)
end

-- Counts a request at now in a log below its limit, as SlidingLog::record does, and writes the
-- fields that change. Leaves the values in log as they were, for take_back. Returns the expiry
-- the key needs in milliseconds, or nil when the request joined the newest slot, whose start
-- set the expiry.
local function record(log, window)
  local span = math.floor(window / exact_slots)
  local slots = log.tail - log.head + 1

  -- A log of 64 slots or more has h < t, so joining slot t leaves ol and oc as they are.
  if slots >= exact_slots and now - log.first < span then
    log.joined = true
    redis.call('HSET', log.key, 'm', pack_ends(log.total + 1, log.head, log.tail, log.first,
      log.oldest_last, log.oldest_count, math.max(log.newest_last, now), log.newest_count + 1))
    return nil
  end

  local tail = log.tail + 1
  if log.total == 0 then
    -- The new slot is also the oldest.
    redis.call('HSET', log.key, 'm', pack_ends(1, tail, tail, now, now, 1, now, 1))
  elseif log.head == log.tail then
    -- Slot t was also slot h, so ol and oc already contain its values.
    redis.call('HSET', log.key, 'm', pack_ends(log.total + 1, log.head, tail, now,
      log.oldest_last, log.oldest_count, now, 1))
  else
    -- Write the closed slot t to its own field.
    redis.call('HSET', log.key, 'm', pack_ends(log.total + 1, log.head, tail, now,
      log.oldest_last, log.oldest_count, now, 1),
      tostring(log.tail), struct.pack(slot_format, log.newest_last, log.newest_count))
  end

  local expiry = window
  if slots + 1 >= exact_slots then
    expiry = expiry + span
  end
  return math.ceil(expiry / 1000)
end

-- Puts back what record wrote, so the log is as drop_left left it. Slots that drop_left
-- dropped had left the window and stay dropped.
-- NOTE: SlidingLog::take_back_newest keeps the newest time that a joined request raised, so
-- after a roll-back the in-process store may count that slot a little longer than this one.
local function take_back(log)
  if log.total == 0 then
    redis.call('DEL', log.key)
    return
  end
  write_ends(log)
  if not log.joined and log.head < log.tail then
    redis.call('HDEL', log.key, tostring(log.tail))
  end
end

for i = 1, checks do
  local limit = tonumber(ARGV[2 * i + 1])
  local window = tonumber(ARGV[2 * i + 2])
  local log = read_log(KEYS[i])
  drop_left(log, now - window)

  local reset = 0
  if log.total > 0 then
    reset = log.oldest_last + window - now
  end

  if log.total >= limit then
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
    log.expiry = record(log, window)
    table.insert(recorded, log)
    if log.total == 0 then
      reset = window
    end
    table.insert(results, 1)
    table.insert(results, limit - log.total - 1)
    table.insert(results, reset)
    table.insert(results, -1)
  end
end

if all_allowed then
  -- Each check key has one window (its prefix names the limit), so any check's expiry fits the
  -- key when one key appears in two checks.
  for _, log in ipairs(recorded) do
    if log.expiry then
      redis.call('PEXPIRE', log.key, log.expiry)
    end
  end
else
  -- Newest first, so a key used by two checks comes back to where it was.
  for index = #recorded, 1, -1 do
    take_back(recorded[index])
  end
end

if #KEYS > checks then
  -- One MGET reads both revocation keys and the stamp, and a missing stamp is stored.
  local status = redis.call('MGET', KEYS[checks + 1], KEYS[checks + 2], KEYS[checks + 3])
  local revoked = 0
  for index = 1, 2 do
    local until_time = status[index]
    if until_time and now <= tonumber(until_time) then
      revoked = 1
    end
  end
  table.insert(results, revoked)
  local stamp = status[3]
  if not stamp then
    stamp = ARGV[2 * checks + 3]
    redis.call('SET', KEYS[checks + 3], stamp, 'PX', ARGV[2 * checks + 4])
  end
  table.insert(results, stamp)
end

return results
