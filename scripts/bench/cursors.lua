-- wrk script for scripts/bench.sh: GETs a page of the project list with a
-- different cursor on every request, so the response cache cannot answer.
--
--   wrk ... -s cursors.lua URL -- IDS_FILE LIMIT THREADS
--
-- IDS_FILE holds one project id a line (lp.py count --sample-file). Each
-- thread walks the whole list round-robin, starting 1/THREADS of the way
-- further along than the previous thread. The cache keeps at most 256
-- entries and starts over when full, so with ~1,000 ids a cursor comes round
-- again only after the cache has been emptied several times: every request
-- is rendered from the store.

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")

local threads = {}

function setup(thread)
   table.insert(threads, thread)
   thread:set("tid", #threads)
end

function init(args)
   local file = args[1] or error("cursors.lua: pass the ids file after --")
   local limit = tonumber(args[2] or "50")
   local nthreads = tonumber(args[3] or "1")
   reqs = {}
   for id in io.lines(file) do
      if id ~= "" then
         table.insert(reqs, wrk.format("GET", string.format("/api/v1/projects?limit=%d&cursor=%s", limit, id)))
      end
   end
   if #reqs == 0 then
      error("cursors.lua: no ids in " .. file)
   end
   -- tid is set by setup() before the thread runs, but read it lazily anyway.
   nthreads_arg = nthreads
   pos = nil
end

function request()
   if pos == nil then
      pos = math.floor(((tid or 1) - 1) * #reqs / nthreads_arg)
   end
   pos = pos % #reqs + 1
   return reqs[pos]
end
