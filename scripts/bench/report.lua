-- Shared by the wrk scripts of scripts/bench.sh: prints one machine-readable
-- line after the run. Used alone (`wrk -s report.lua`) it leaves wrk's
-- requests static, so plain GET runs pay no Lua cost per request.
--
-- status_errors is wrk's own count of responses with status >= 400; the POST
-- script counts every non-2xx exactly and passes it as `non2xx`.

function bench_report(summary, latency, non2xx)
   local e = summary.errors
   local secs = summary.duration / 1e6
   io.write(string.format(
      "BENCH_RESULT requests=%d duration_s=%.3f rps=%.1f p50_us=%d p90_us=%d p99_us=%d max_us=%d " ..
      "non2xx=%s status_errors=%d socket_errors=%d timeouts=%d bytes=%d\n",
      summary.requests, secs, summary.requests / secs,
      math.floor(latency:percentile(50)), math.floor(latency:percentile(90)),
      math.floor(latency:percentile(99)), math.floor(latency.max),
      non2xx == nil and "na" or string.format("%d", non2xx),
      e.status, e.connect + e.read + e.write, e.timeout, summary.bytes))
end

function done(summary, latency, requests)
   bench_report(summary, latency, nil)
end
