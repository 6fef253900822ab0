-- wrk script for scripts/bench.sh: POSTs a unique JSON body per request and
-- counts non-2xx responses exactly.
--
--   wrk ... -s post.lua URL -- project PATH PREFIX
--   wrk ... -s post.lua URL -- task PATH PREFIX NOTES_BYTES
--   wrk ... -s post.lua URL -- assessment PATH PREFIX
--
-- Names and titles are PREFIX-THREAD-N, unique across threads and, with a
-- fresh PREFIX, across runs.

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")

local threads = {}

function setup(thread)
   table.insert(threads, thread)
   thread:set("tid", #threads)
end

local filler = "Runbook step: check the dashboard, confirm the alert routes to the on-call " ..
   "rotation, record the result and link the evidence. "

function init(args)
   kind = args[1] or "project"
   path = args[2] or "/api/v1/projects"
   prefix = args[3] or "wrk"
   local notes_bytes = tonumber(args[4] or "0")
   notes = nil
   if notes_bytes > 0 then
      notes = string.rep(filler, math.floor(notes_bytes / #filler) + 1):sub(1, notes_bytes)
   end
   headers = { ["Content-Type"] = "application/json" }
   counter = 0
   ok = 0
   bad = 0
end

function request()
   counter = counter + 1
   local body
   if kind == "project" then
      body = string.format(
         '{"name":"%s-%d-%d","description":"wrk benchmark project","ownerEmail":"bench@example.com"}',
         prefix, tid, counter)
   elseif kind == "assessment" then
      local scores = {}
      for i, pillar in ipairs({ "reliability", "security", "observability", "supportability" }) do
         scores[i] = string.format(
            '{"pillar":"%s","score":%d,"target":4,"evidence":"wrk %s %d-%d",' ..
            '"links":["https://ci.example.com/run/%d"],"owner":"Owner %d"}',
            pillar, 1 + (counter + i) % 5, pillar, tid, counter, counter, i)
      end
      body = '{"scores":[' .. table.concat(scores, ",") .. ']}'
   elseif notes ~= nil then
      body = string.format('{"title":"%s task %d-%d","notes":"%s"}', prefix, tid, counter, notes)
   else
      body = string.format('{"title":"%s task %d-%d"}', prefix, tid, counter)
   end
   return wrk.format("POST", path, headers, body)
end

function response(status, hdrs, body)
   if status >= 200 and status < 300 then
      ok = ok + 1
   else
      bad = bad + 1
      if bad <= 3 then
         io.stderr:write(string.format("non-2xx response %d: %s\n", status, tostring(body):sub(1, 300)))
      end
   end
end

function done(summary, latency, requests)
   local non2xx, created = 0, 0
   for _, t in ipairs(threads) do
      non2xx = non2xx + t:get("bad")
      created = created + t:get("ok")
   end
   io.write(string.format("BENCH_CREATED %d\n", created))
   bench_report(summary, latency, non2xx)
end
