-- LockoutPolicy::release of the domain: takes back the failure that login_admit.lua counted for
-- an attempt whose password could not be checked. Removes the newest failure of the pair, the
-- username and the client IP, and clears the pair's lock only when that failure set it.
--
-- KEYS[1]  sorted set of the username's failures, KEYS[2] hash of its pairs,
-- KEYS[3]  sorted set of the client IP's failures
-- ARGV[1]  client IP (the hash field), ARGV[2] lock duration in microseconds
--
-- The pair value is "<locked until or empty>|<failure>,<failure>,..." as login_admit.lua
-- writes it, oldest failure first. Returns 1.

local ip = ARGV[1]
local lock_duration = tonumber(ARGV[2])

redis.call('ZPOPMAX', KEYS[1])
redis.call('ZPOPMAX', KEYS[3])

local text = redis.call('HGET', KEYS[2], ip)
if not text then
  return 1
end
local bar = string.find(text, '|', 1, true)
if not bar then
  return 1
end
local locked = tonumber(string.sub(text, 1, bar - 1))
local failures = {}
for t in string.gmatch(string.sub(text, bar + 1), '[^,]+') do
  table.insert(failures, t)
end
local newest = tonumber(table.remove(failures))
if locked and newest and locked == newest + lock_duration then
  locked = nil
end

if locked == nil and #failures == 0 then
  redis.call('HDEL', KEYS[2], ip)
  return 1
end
local prefix = ''
if locked then
  prefix = string.format('%d', locked)
end
redis.call('HSET', KEYS[2], ip, prefix .. '|' .. table.concat(failures, ','))
return 1
