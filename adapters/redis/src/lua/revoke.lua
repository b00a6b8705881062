-- Revokes every key until ARGV[1] (microseconds since the epoch), keeping a later until already
-- stored, and lets each written key expire after ARGV[2] milliseconds.

local ends_at = tonumber(ARGV[1])
local ttl = tonumber(ARGV[2])
for _, key in ipairs(KEYS) do
  local stored = tonumber(redis.call('GET', key))
  if stored == nil or stored < ends_at then
    redis.call('SET', key, ARGV[1], 'PX', ttl)
  end
end
return 1
