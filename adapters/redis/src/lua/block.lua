-- Stores one IP block and drops the blocks that ended, then lets the whole hash expire when its
-- last block ends.
--
-- KEYS[1]  hash of blocks; field = canonical range, value = "<until>|<range>|<reason>"
-- ARGV     1 field, 2 value, 3 now (microseconds since the epoch), 4 margin (milliseconds)

redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
local now = tonumber(ARGV[3])
local latest = now
local entries = redis.call('HGETALL', KEYS[1])
for i = 1, #entries, 2 do
  local ends_at = tonumber(string.match(entries[i + 1], '^(%-?%d+)|'))
  if ends_at == nil or ends_at <= now then
    redis.call('HDEL', KEYS[1], entries[i])
  elseif ends_at > latest then
    latest = ends_at
  end
end
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('PEXPIRE', KEYS[1], math.ceil((latest - now) / 1000) + tonumber(ARGV[4]))
end
return 1
