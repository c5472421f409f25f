-- wrk script for bench/run.sh's scale scenario: every request POSTs one message to a random
-- application, with a random one of the event types, so that across the run the messages are
-- spread over every application and every endpoint. The payload is the one of every other
-- scenario; the summary line is post.lua's (this script reuses its response() and done()).
--
-- Environment (besides post.lua's BENCH_BODY_FILE, BENCH_TOKEN, BENCH_EXPECT):
--   BENCH_APPS         number of applications, uids <BENCH_APP_PREFIX>0 .. <prefix>(N-1)
--   BENCH_APP_PREFIX   application uid prefix (default "s")
--   BENCH_TYPES        number of event types, named <BENCH_TYPE_PREFIX>0 .. (default 10)
--   BENCH_TYPE_PREFIX  event type prefix (default "t.")
--
-- The body file holds {"eventType":"...","payload":{...}}; its payload is reused verbatim.

local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "post.lua")

local apps = tonumber(os.getenv("BENCH_APPS") or "")
assert(apps and apps >= 1, "BENCH_APPS is not set")
local app_prefix = os.getenv("BENCH_APP_PREFIX") or "s"
local types = tonumber(os.getenv("BENCH_TYPES") or "10")
local type_prefix = os.getenv("BENCH_TYPE_PREFIX") or "t."

local payload = assert(wrk.body:match('"payload":(.*)}$'), "body has no payload")
local reqs, n = {}, 0

-- wrk.init calls this after it has set the Host header, which wrk.format needs: the requests
-- can only be formatted here, not when the file is loaded
function init(args)
   assert(wrk.headers["Host"], "no Host header")
   -- every (application, event type) request is formatted once, up front (about 11 MB per
   -- thread for 1,000 x 10), so a request costs wrk no more than post.lua's fixed one
   for i = 0, apps - 1 do
      local path = "/api/v1/app/" .. app_prefix .. i .. "/msg"
      for k = 0, types - 1 do
         reqs[n] = wrk.format("POST", path, nil,
            '{"eventType":"' .. type_prefix .. k .. '","payload":' .. payload .. '}')
         n = n + 1
      end
   end
   -- a different sequence in every thread
   math.randomseed(os.time() + (tonumber(tostring({}):match("0x(%x+)") or "0", 16) % 1000003))
end

function request()
   return reqs[math.random(0, n - 1)]
end
