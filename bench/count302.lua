-- wrk script of bench/redirect.sh: counts requests sent and responses by
-- status exactly (wrk's own summary lumps all non-2xx/3xx together), and
-- prints one RESULT line for the script to read. Requests come from 5,000
-- browsers (user agents), as real traffic does, so that no single visitor
-- floods a link.
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  sent, n302, other = 0, 0, 0
end

function request()
  sent = sent + 1
  local browser = (id * 7919 + sent) % 5000
  return wrk.format(nil, nil, {["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128." .. browser})
end

function response(status, headers, body)
  if status == 302 then n302 = n302 + 1 else other = other + 1 end
end

function done(summary, latency, requests)
  local s, f, o = 0, 0, 0
  for _, t in ipairs(threads) do
    s = s + t:get("sent")
    f = f + t:get("n302")
    o = o + t:get("other")
  end
  local e = summary.errors
  io.write(string.format("RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d sent=%d n302=%d other=%d errors=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), s, f, o,
    e.connect + e.read + e.write + e.timeout))
end
