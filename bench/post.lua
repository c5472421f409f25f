-- wrk script for bench/run.sh: POST one fixed JSON body, count responses whose status is not
-- the expected one, and print a machine-readable summary.
--
-- Environment:
--   BENCH_BODY_FILE  file holding the request body (required)
--   BENCH_TOKEN      when set, sent as "Authorization: Bearer <token>"
--   BENCH_EXPECT     status counted as success (default 200; run.sh uses 202 for hookd)
--
-- Output (one line, after wrk's own report):
--   WRK requests=<responses> expected=<n> unexpected=<n> seconds=<s> rps=<responses/s>
--       ok_rps=<expected/s> p50_ms=<ms> p99_ms=<ms> max_ms=<ms> connect_errors=<n>
--       read_errors=<n> write_errors=<n> timeouts=<n> first_unexpected=<status body...>

local body_file = os.getenv("BENCH_BODY_FILE")
assert(body_file and body_file ~= "", "BENCH_BODY_FILE is not set")
local f = assert(io.open(body_file, "rb"))
local body = f:read("*a")
f:close()

wrk.method = "POST"
wrk.body = body
wrk.headers["Content-Type"] = "application/json"
local token = os.getenv("BENCH_TOKEN")
if token and token ~= "" then
   wrk.headers["Authorization"] = "Bearer " .. token
end
local expect = tonumber(os.getenv("BENCH_EXPECT") or "200")

-- main state: remember the threads so done() can add up their counters
local threads = {}
function setup(thread)
   table.insert(threads, thread)
end

-- thread states
unexpected = 0
first_unexpected = nil

function response(status, headers, resp_body)
   if status ~= expect then
      unexpected = unexpected + 1
      if first_unexpected == nil then
         local b = resp_body or ""
         first_unexpected = tostring(status) .. " " .. b:sub(1, 200):gsub("%s+", " ")
      end
   end
end

function done(summary, latency, requests)
   local bad, sample = 0, nil
   for _, t in ipairs(threads) do
      bad = bad + (t:get("unexpected") or 0)
      sample = sample or t:get("first_unexpected")
   end
   local secs = summary.duration / 1e6
   local n = summary.requests
   local e = summary.errors
   io.write(string.format(
      "WRK requests=%d expected=%d unexpected=%d seconds=%.3f rps=%.1f ok_rps=%.1f " ..
      "p50_ms=%.3f p99_ms=%.3f max_ms=%.3f connect_errors=%d read_errors=%d " ..
      "write_errors=%d timeouts=%d first_unexpected=%s\n",
      n, n - bad, bad, secs, n / secs, (n - bad) / secs,
      latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
      e.connect, e.read, e.write, e.timeout, sample or "-"))
end
