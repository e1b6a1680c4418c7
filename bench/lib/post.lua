-- wrk script: POST one body per request, cycling through a file of bodies (one per line).
-- Environment: BENCH_BODIES (file), BENCH_PATH, BENCH_HEADERS ("name: value" lines joined by "\n").
-- Each thread starts at its own offset; done() prints one JSON line for the harness.
local bodies = {}
for line in io.lines(os.getenv("BENCH_BODIES")) do
  if #line > 0 then bodies[#bodies + 1] = line end
end
wrk.method = "POST"
wrk.path = os.getenv("BENCH_PATH") or "/"
wrk.headers["Content-Type"] = "application/json"
for h in string.gmatch(os.getenv("BENCH_HEADERS") or "", "[^\n]+") do
  local k, v = string.match(h, "^([^:]+):%s*(.*)$")
  if k then wrk.headers[k] = v end
end

local threads = 0
function setup(thread)
  thread:set("offset", threads * 997)
  threads = threads + 1
end

local i = 0
function init(args)
  i = offset or 0
end

function request()
  i = i % #bodies + 1
  return wrk.format(nil, nil, nil, bodies[i])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"mean_us":%.1f,"max_us":%d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.mean, latency.max))
end
