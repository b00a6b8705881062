-- Removes one IP block and returns its stored value, or false when there was none.
--
-- KEYS[1]  hash of blocks; ARGV[1] canonical range

local value = redis.call('HGET', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[1], ARGV[1])
return value
