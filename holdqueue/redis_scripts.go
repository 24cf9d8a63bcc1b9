package holdqueue

import "github.com/redis/go-redis/v9"

// The Redis backend's state machine, in Lua so that each step is atomic
// across the message hash and its indexes. Every key lives under one
// {prefix} hash tag, so on Cluster all keys of the queue share one slot and
// a script may touch keys it derives from ARGV[1] (the prefix).
//
// These mirror transitions.go; the conformance suite holds them equal.

const luaCommon = `
local P = ARGV[1]
local function setstate(id, mk, old, new)
  if old ~= new then
    redis.call('ZREM', P..'s:'..old, id)
    redis.call('ZADD', P..'s:'..new, 0, id)
    redis.call('HSET', mk, 'state', new)
  end
end
local function setdue(id, mk, due)
  if due == 0 then
    redis.call('ZREM', P..'due', id)
  else
    redis.call('ZADD', P..'due', due, id)
  end
  redis.call('HSET', mk, 'due', due)
end
local function feed(maxlen, id, state, actor, at)
  redis.call('XADD', P..'feed', 'MAXLEN', '~', maxlen, '*', 'id', id, 'state', state, 'actor', actor, 'at', at)
end
local function livelease(mk, now)
  local l = redis.call('HGET', mk, 'lease')
  local lu = tonumber(redis.call('HGET', mk, 'lease_until') or '0') or 0
  return l and l ~= '' and lu > now, l
end
`

// hold: ARGV P, id, maxlen, body, hist, due, hist-cached, nwait, wait..., ntoks, toks..., field, value...
// A verdict that arrived shortly before the hold (between the gate's
// lookup and now) is in the verdict memory (vc:<tok>) and applies at once.
var scriptHold = redis.NewScript(luaCommon + `
local id = ARGV[2]
local mk = P..'m:'..id
if redis.call('EXISTS', mk) == 1 then return 'EXISTS' end
local i = 8
local nw = tonumber(ARGV[i]); i = i + 1
local wait = {}
for j = 1, nw do wait[#wait+1] = ARGV[i]; i = i + 1 end
local nt = tonumber(ARGV[i]); i = i + 1
for j = 1, nt do redis.call('ZADD', P..'x:'..ARGV[i], 0, id); i = i + 1 end
local f = {}
while i <= #ARGV do f[#f+1] = ARGV[i]; i = i + 1 end
redis.call('HSET', mk, unpack(f))
redis.call('RPUSH', P..'h:'..id, ARGV[5])
local due = tonumber(ARGV[6])
local cached = false
for _, tok in ipairs(wait) do
  local v = redis.call('GET', P..'vc:'..tok)
  if v then
    local nl = string.find(v, '\n', 1, true)
    redis.call('HSET', mk, 'v:'..tok, string.sub(v, 1, nl - 1), 's:'..tok, string.sub(v, nl + 1))
    if redis.call('HINCRBY', mk, 'pending', -1) == 0 then due = tonumber(redis.call('HGET', mk, 'created')) end
    cached = true
  else
    redis.call('SADD', P..'w:'..tok, id)
  end
end
if cached then redis.call('RPUSH', P..'h:'..id, ARGV[7]) end
redis.call('SET', P..'b:'..id, ARGV[4])
redis.call('ZADD', P..'all', 0, id)
redis.call('ZADD', P..'s:held', 0, id)
setdue(id, mk, due)
feed(ARGV[3], id, 'held', 'system', redis.call('HGET', mk, 'created'))
return 'OK'
`)

// verdict: KEYS w:tok; ARGV P, tok, verdict, summary, hist, now, maxlen, memory-ms
var scriptVerdict = redis.NewScript(luaCommon + `
local tok, now = ARGV[2], tonumber(ARGV[6])
redis.call('SET', P..'vc:'..tok, ARGV[3]..'\n'..ARGV[4], 'PX', ARGV[8])
local ids = redis.call('SMEMBERS', KEYS[1])
redis.call('DEL', KEYS[1])
local n = 0
for _, id in ipairs(ids) do
  local mk = P..'m:'..id
  if redis.call('HGET', mk, 'v:'..tok) == '' then
    redis.call('HSET', mk, 'v:'..tok, ARGV[3], 's:'..tok, ARGV[4])
    local pend = redis.call('HINCRBY', mk, 'pending', -1)
    local st = redis.call('HGET', mk, 'state')
    local due = tonumber(redis.call('HGET', mk, 'due') or '0') or 0
    if pend == 0 and st == 'held' and (due == 0 or due > now) then setdue(id, mk, now) end
    redis.call('RPUSH', P..'h:'..id, ARGV[5])
    feed(ARGV[7], id, st, 'verdict', now)
    n = n + 1
  end
end
return n
`)

// claim: KEYS due; ARGV P, now, until, node, token, hist, hist-after-expiry, maxlen
var scriptClaim = redis.NewScript(luaCommon + `
local now = tonumber(ARGV[2])
for i = 1, 20 do
  local r = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, 1)
  if #r == 0 then return false end
  local id = r[1]
  local mk = P..'m:'..id
  local st = redis.call('HGET', mk, 'state')
  local live, lease = livelease(mk, now)
  if (st == 'held' or st == 'releasing') and not live then
    local hist = ARGV[6]
    if lease and lease ~= '' then hist = ARGV[7] end
    setstate(id, mk, st, 'releasing')
    redis.call('HSET', mk, 'lease', ARGV[5], 'lease_node', ARGV[4], 'lease_until', ARGV[3])
    setdue(id, mk, tonumber(ARGV[3]))
    redis.call('RPUSH', P..'h:'..id, hist)
    feed(ARGV[8], id, 'releasing', ARGV[4], now)
    return id
  end
  redis.call('ZREM', KEYS[1], id)
end
return false
`)

// renew: KEYS m:id; ARGV P, id, token, until
var scriptRenew = redis.NewScript(luaCommon + `
if redis.call('HGET', KEYS[1], 'state') ~= 'releasing' or redis.call('HGET', KEYS[1], 'lease') ~= ARGV[3] then
  return redis.error_reply('LEASELOST')
end
redis.call('HSET', KEYS[1], 'lease_until', ARGV[4])
setdue(ARGV[2], KEYS[1], tonumber(ARGV[4]))
return 'OK'
`)

// retry: KEYS m:id; ARGV P, id, token, at, reply, hist, now, node, maxlen
var scriptRetry = redis.NewScript(luaCommon + `
if redis.call('HGET', KEYS[1], 'state') ~= 'releasing' or redis.call('HGET', KEYS[1], 'lease') ~= ARGV[3] then
  return redis.error_reply('LEASELOST')
end
redis.call('HSET', KEYS[1], 'lease', '', 'lease_node', '', 'lease_until', 0, 'next', ARGV[4], 'reply', ARGV[5])
redis.call('HINCRBY', KEYS[1], 'attempts', 1)
setdue(ARGV[2], KEYS[1], tonumber(ARGV[4]))
redis.call('RPUSH', P..'h:'..ARGV[2], ARGV[6])
feed(ARGV[9], ARGV[2], 'releasing', ARGV[8], ARGV[7])
return 'OK'
`)

// complete: KEYS m:id; ARGV P, id, token, state, reply, hist, now, actor, maxlen
var scriptComplete = redis.NewScript(luaCommon + `
local st = redis.call('HGET', KEYS[1], 'state')
if st ~= 'releasing' or redis.call('HGET', KEYS[1], 'lease') ~= ARGV[3] then
  return redis.error_reply('LEASELOST')
end
setstate(ARGV[2], KEYS[1], st, ARGV[4])
redis.call('HSET', KEYS[1], 'lease', '', 'lease_node', '', 'lease_until', 0, 'next', 0)
if ARGV[5] ~= '' then redis.call('HSET', KEYS[1], 'reply', ARGV[5]) end
setdue(ARGV[2], KEYS[1], 0)
redis.call('RPUSH', P..'h:'..ARGV[2], ARGV[6])
feed(ARGV[9], ARGV[2], ARGV[4], ARGV[8], ARGV[7])
return 'OK'
`)

// admin: KEYS m:id; ARGV P, id, target, hist, now, actor, maxlen
var scriptAdmin = redis.NewScript(luaCommon + `
local id, target, now = ARGV[2], ARGV[3], tonumber(ARGV[5])
local st = redis.call('HGET', KEYS[1], 'state')
if not st then return redis.error_reply('NOTFOUND') end
if livelease(KEYS[1], now) then return redis.error_reply('BUSY a release loop is delivering it') end
local ok = false
if target == 'releasing' then ok = (st == 'held' or st == 'quarantined' or st == 'failed' or st == 'releasing')
elseif target == 'quarantined' then ok = (st == 'held' or st == 'failed' or st == 'releasing')
elseif target == 'deleted' then ok = (st ~= 'deleted') end
if not ok then return redis.error_reply('STATE ' .. st .. ' cannot become ' .. target) end
setstate(id, KEYS[1], st, target)
redis.call('HSET', KEYS[1], 'lease', '', 'lease_node', '', 'lease_until', 0, 'next', 0)
if target == 'releasing' then
  redis.call('HSET', KEYS[1], 'released', 1)
  setdue(id, KEYS[1], now)
else
  setdue(id, KEYS[1], 0)
end
if target == 'deleted' then redis.call('DEL', P..'b:'..id) end
redis.call('RPUSH', P..'h:'..id, ARGV[4])
feed(ARGV[7], id, target, ARGV[6], now)
return 'OK'
`)

// note: KEYS m:id; ARGV P, id, once marker ("" = none), sealed event.
var scriptNote = redis.NewScript(luaCommon + `
if redis.call('EXISTS', KEYS[1]) == 0 then return redis.error_reply('NOTFOUND') end
if ARGV[3] ~= '' and redis.call('HSETNX', KEYS[1], 'mark:'..ARGV[3], 1) == 0 then return 0 end
redis.call('RPUSH', P..'h:'..ARGV[2], ARGV[4])
return 1
`)

// purge: KEYS s:state; ARGV P, state, ids...
var scriptPurge = redis.NewScript(luaCommon + `
local n = 0
for i = 3, #ARGV do
  local id = ARGV[i]
  local mk = P..'m:'..id
  if redis.call('HGET', mk, 'state') == ARGV[2] then
    local toks = redis.call('HGET', mk, 'toks') or ''
    for t in string.gmatch(toks, '%S+') do
      redis.call('ZREM', P..'x:'..t, id)
      redis.call('SREM', P..'w:'..t, id)
    end
    redis.call('DEL', mk, P..'h:'..id, P..'b:'..id)
    redis.call('ZREM', P..'due', id)
    redis.call('ZREM', P..'all', id)
    n = n + 1
  end
  redis.call('ZREM', KEYS[1], id)
end
return n
`)
