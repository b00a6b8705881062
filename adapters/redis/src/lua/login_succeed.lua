-- LockoutPolicy::succeed of the domain: clears the pair and takes back the newest failure of
-- the username and client IP logs.
--
-- KEYS[1]  sorted set of the username's failures, KEYS[2] hash of its pairs,
-- KEYS[3]  sorted set of the client IP's failures
-- ARGV[1]  client IP (the hash field)

redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('ZPOPMAX', KEYS[1])
redis.call('ZPOPMAX', KEYS[3])
return 1
