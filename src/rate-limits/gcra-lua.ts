import { createHash } from 'node:crypto'

/**
 * `applyGcra` as a Redis script, so check-and-consume over several counters is one atomic
 * round trip. KEYS: the counters. ARGV: mode (`consume` | `adjust`), now in ms (empty: use
 * Redis `TIME`, one clock for every instance), then limit, windowMs and cost per key.
 * Reply: refused index (1-based, 0: none), retry-after ms (-1: cost above the limit), then
 * remaining and reset ms per key. TATs are stored with 17 significant digits (Lua's
 * `tostring` keeps 14, too few for epoch ms with fractions) and expire once back to full.
 */
export const GCRA_LUA = `
-- Redis 3.2 to 4 need this before TIME may precede writes; from 5 it is the default, in 7 a no-op.
if redis.replicate_commands then redis.replicate_commands() end
local EPSILON = 1e-6
local mode = ARGV[1]
local now = tonumber(ARGV[2])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
end
local n = #KEYS
local bases, intervals = {}, {}
local refused, wait, tooLarge = 0, 0, false
for i = 1, n do
  local a = 2 + (i - 1) * 3
  local limit, window, cost = tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3])
  local interval = window / limit
  local stored = tonumber(redis.call('GET', KEYS[i]))
  local base = now
  if stored and stored > now then base = stored end
  bases[i], intervals[i] = base, interval
  if mode == 'consume' and not tooLarge then
    if cost > limit then
      refused, tooLarge = i, true
    else
      local needed = base + cost * interval - window - now
      if needed > EPSILON and needed > wait then refused, wait = i, needed end
    end
  end
end
local reply = { refused, 0 }
if tooLarge then reply[2] = -1 elseif refused > 0 then reply[2] = math.ceil(wait) end
for i = 1, n do
  local a = 2 + (i - 1) * 3
  local limit, window, cost = tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3])
  local after = bases[i]
  if refused == 0 then
    after = math.max(now, bases[i] + cost * intervals[i])
    local ttl = math.ceil(after - now)
    if ttl > 0 then
      redis.call('SET', KEYS[i], string.format('%.17g', after), 'PX', ttl)
    else
      redis.call('DEL', KEYS[i])
    end
  end
  local remaining = math.floor((now + window - after) / intervals[i] + EPSILON)
  reply[#reply + 1] = math.min(limit, math.max(0, remaining))
  reply[#reply + 1] = math.max(0, math.ceil(after - now))
end
return reply
`

/** SHA-1 of the script, for EVALSHA. */
export const GCRA_LUA_SHA = createHash('sha1').update(GCRA_LUA).digest('hex')
