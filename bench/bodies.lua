-- wrk script: every request posts the next line of a bodies file, with its own Idempotency-Key.
--   wrk ... -s bodies.lua <url> -- <file> <threads> <once|cycle> <expect> <delay_ms> [ids_out]
-- <file>: one request per line, "<idempotency key>\t<json body>"; lines are dealt to the
-- threads round-robin. "once": every line is sent at most once (redemptions burn their code);
-- a thread that has sent all of its lines stops and the run reports "exhausted". <expect>: the
-- status every answer must have (others are counted as bad). <delay_ms>: a pause before each
-- request on a connection, to load the server below its saturated rate. [ids_out]: append the
-- "id" of each answer to <ids_out>.<thread> (the bench setup opens orders this way).
-- VB_BENCH_EXPECT_BODY (environment): a text every answer's body must also contain, else it is
-- counted as bad (the micro-mall's hook answers HTTP 200 with its own code in the body).
-- done() prints one line "WRKJSON {...}" that bench/run reads.

local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local keys, bodies, n, i = {}, {}, 0, 0
local mode, expect, pause = "cycle", 200, 0
local headers = {}
local ids = nil
local want_body = os.getenv("VB_BENCH_EXPECT_BODY") or ""
-- wrk calls request() once on thread 0 before any connection, only to count pipelined
-- requests (script_verify_request): that call must not use up a line, or "once" skips one.
local verifying = false
bad, exhausted, sample = 0, 0, ""

function init(args)
  local path, nthreads = args[1], tonumber(args[2])
  mode, expect, pause = args[3], tonumber(args[4]), tonumber(args[5])
  local k, total = 0, 0
  for _ in io.lines(path) do total = total + 1 end
  if total < nthreads then nthreads = 1 end  -- too few to deal: every thread sends them all
  for line in io.lines(path) do
    if k % nthreads == id % nthreads then
      local tab = line:find("\t", 1, true)
      table.insert(keys, line:sub(1, tab - 1))
      table.insert(bodies, line:sub(tab + 1))
    end
    k = k + 1
  end
  n = #bodies
  math.randomseed(1000 + id)
  verifying = (id == 0)
  for name, value in pairs(wrk.headers) do headers[name] = value end
  headers["Content-Type"] = "application/json"
  if args[6] ~= nil and args[6] ~= "" then ids = io.open(args[6] .. "." .. id, "a") end
end

function request()
  if verifying then
    verifying = false
    return wrk.format("POST", nil, headers, bodies[1] or "")
  end
  i = i + 1
  if mode == "once" and i > n then
    exhausted = 1
    wrk.thread:stop()
    i = n
  end
  local at = ((i - 1) % n) + 1
  headers["Idempotency-Key"] = keys[at]
  return wrk.format("POST", nil, headers, bodies[at])
end

-- Known when the script loads (init runs later): wrk only paces when delay() exists at all.
-- The pause is random, exponential with mean <delay_ms> (each connection a stream of
-- independent customers): a fixed pause kept the 16 connections in step, so requests came in
-- bursts of 16 and the last of each burst waited for the 15 before it.
if tonumber(os.getenv("VB_BENCH_DELAY_MS") or "0") > 0 then
  function delay() return math.floor(-math.log(1 - math.random()) * pause) end
end

function response(status, _, body)
  if status ~= expect or (want_body ~= "" and not body:find(want_body, 1, true)) then
    bad = bad + 1
    if sample == "" then sample = status .. " " .. body:sub(1, 300) end
  elseif ids ~= nil then
    local found = body:match('"id":%s*(%d+)')
    if found then ids:write(found, "\n"); ids:flush() end
  end
end

function done(summary, latency, _)
  local total_bad, total_exhausted, first = 0, 0, ""
  for _, thread in ipairs(threads) do
    total_bad = total_bad + thread:get("bad")
    total_exhausted = total_exhausted + thread:get("exhausted")
    if first == "" then first = thread:get("sample") end
  end
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"socket_errors":%d,"bad":%d,"exhausted":%d,' ..
    '"p50_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, total_bad,
    total_exhausted, latency:percentile(50.0), latency:percentile(99.0), latency.max))
  if first ~= "" then io.write("WRKBAD ", first:gsub("\n", " "), "\n") end
end
