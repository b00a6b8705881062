-- Returns the user's stamp in KEYS[1], first storing ARGV[1] there with a lifetime of ARGV[2]
-- milliseconds when the key is missing. The admission script ends with the same steps.
local stamp = redis.call('GET', KEYS[1])
if not stamp then
  stamp = ARGV[1]
  redis.call('SET', KEYS[1], stamp, 'PX', ARGV[2])
end
return stamp
