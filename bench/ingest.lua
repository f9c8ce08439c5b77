-- wrk script of bench/ingest.py: replays presigned webhook requests, each exactly once.
--
-- bench/ingest.py writes the requests (complete HTTP/1.1 requests: Host, content type and
-- length, the Standard Webhooks headers signed with a unique webhook-id, and the body) to the
-- file named by BENCH_REQUESTS, each record "<byte length>\n<request>". It is read by every
-- wrk thread's init; thread i of BENCH_THREADS takes records i, i + BENCH_THREADS, ... so no
-- webhook-id is sent twice, by any connection of any thread.
--
-- When a thread runs out of records it stops at once (wrk.thread:stop()), sends nothing more
-- and creates the file BENCH_EXHAUSTED (bench/ingest.py then ends wrk with SIGINT): a repeated
-- webhook-id would be answered "duplicate" at a fraction of the work, and an idle connection
-- would hold a gunicorn sync worker. Requests still in flight then are not counted.
--
-- BENCH_RATE > 0 paces the run at that many requests per second in all, with wrk's delay(): the
-- k-th request of a thread waits for its slot, start + k / (its share of the rate): slots are
-- absolute, so rounding to wrk's milliseconds does not add up, and a late answer is followed by
-- an early request.
-- Mind gunicorn's sync workers: they close every connection, wrk reconnects at once and sends
-- after the delay, and a free worker accepts the new connection and waits for its request. A
-- waiting connection may so hold a worker (idle, no CPU) that another connection's request then
-- waits for.
--
-- done() writes a JSON summary to BENCH_SUMMARY: wrk's duration, request count, socket errors
-- and latency percentiles, and each thread's requests sent, HTTP statuses and the "status" (or
-- "error") field of the answers' JSON bodies.

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clock, bench_timespec *tp);
]]
local CLOCK_MONOTONIC = 1
local timespec = ffi.new("bench_timespec")

local function now_us()
   ffi.C.clock_gettime(CLOCK_MONOTONIC, timespec)
   return tonumber(timespec.tv_sec) * 1000000 + math.floor(tonumber(timespec.tv_nsec) / 1000)
end

-- main state: the threads, numbered in the order wrk creates them

local threads = {}

function setup(thread)
   threads[#threads + 1] = thread
   thread:set("thread_number", #threads)
end

-- each thread's state (globals, so that done() can read them with thread:get)

records = {}
record_count = 0
next_record = 1
sent = 0
codes = {}
answers = {}
exhausted = false
first_sent_us = 0
stopped_us = 0
verify_pending = false
start_us = 0
slots = 0

local rate_per_thread = 0
local slot_offset_us = 0
local exhausted_path

function init(args)
   local count = tonumber(os.getenv("BENCH_THREADS") or "1")
   local rate = tonumber(os.getenv("BENCH_RATE") or "0")
   exhausted_path = os.getenv("BENCH_EXHAUSTED")
   local file = assert(io.open(assert(os.getenv("BENCH_REQUESTS"), "BENCH_REQUESTS not set"), "rb"))
   local data = file:read("*a")
   file:close()
   local position, index = 1, 0
   while position <= #data do
      local newline = string.find(data, "\n", position, true)
      local length = tonumber(string.sub(data, position, newline - 1))
      if index % count == thread_number - 1 then
         records[#records + 1] = string.sub(data, newline + 1, newline + length)
      end
      index = index + 1
      position = newline + 1 + length
   end
   record_count = #records
   if rate > 0 then -- wrk looks for delay() after init: defined only when pacing
      rate_per_thread = rate / count
      slot_offset_us = (thread_number - 1) * 1000000 / rate -- the threads' slots interleave
      delay = paced_delay
   end
   -- wrk calls request() once on the first thread before the run, to check the request's syntax
   verify_pending = thread_number == 1
end

function request()
   if verify_pending then
      verify_pending = false
      return records[1] or "GET / HTTP/1.1\r\nHost: x\r\n\r\n"
   end
   local record = records[next_record]
   if record == nil then
      if not exhausted then
         exhausted = true
         stopped_us = now_us()
         if exhausted_path then
            local marker = io.open(exhausted_path, "w")
            if marker then marker:close() end
         end
      end
      wrk.thread:stop()
      return ""
   end
   next_record = next_record + 1
   if sent == 0 then first_sent_us = now_us() end
   sent = sent + 1
   return record
end

function response(status, headers, body)
   codes[status] = (codes[status] or 0) + 1
   local answer = string.match(body, '"status"%s*:%s*"([%w_]+)"') -- the plugin's and the baseline's 200s
      or string.match(body, '"error"%s*:%s*"([%w_]+)"') or "(none)" -- the plugin's errors
   local key = status .. " " .. answer
   answers[key] = (answers[key] or 0) + 1
end

function paced_delay()
   local now = now_us()
   if start_us == 0 then start_us = now + slot_offset_us end
   local slot = start_us + slots * 1000000 / rate_per_thread
   slots = slots + 1
   return math.max(0, math.floor((slot - now) / 1000 + 0.5)) -- milliseconds
end

-- main state, after the run

local function json_value(value)
   if type(value) == "table" then
      local parts = {}
      for key, item in pairs(value) do
         parts[#parts + 1] = string.format("%q: %s", tostring(key), json_value(item))
      end
      return "{" .. table.concat(parts, ", ") .. "}"
   elseif type(value) == "boolean" then
      return value and "true" or "false"
   elseif type(value) == "number" then
      return string.format("%.17g", value)
   end
   return string.format("%q", tostring(value))
end

function done(summary, latency, requests)
   local per_thread = {}
   for number, thread in ipairs(threads) do
      per_thread[tostring(number)] = {
         records = thread:get("record_count"),
         sent = thread:get("sent"),
         codes = thread:get("codes"),
         answers = thread:get("answers"),
         exhausted = thread:get("exhausted"),
         first_sent_us = thread:get("first_sent_us"),
         stopped_us = thread:get("stopped_us"),
      }
   end
   local result = {
      duration_us = summary.duration,
      requests = summary.requests,
      errors = summary.errors,
      latency_us = {
         p50 = latency:percentile(50), p90 = latency:percentile(90), p99 = latency:percentile(99),
         max = latency.max, mean = latency.mean,
      },
      done_us = now_us(),
      threads = per_thread,
   }
   local file = assert(io.open(assert(os.getenv("BENCH_SUMMARY"), "BENCH_SUMMARY not set"), "w"))
   file:write(json_value(result), "\n")
   file:close()
end
