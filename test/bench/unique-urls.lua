-- wrk script for the benchmark (see wrk.ts): cycles through the paths listed in the file named by the
-- first script argument, making every URL unique (&_=thread-counter) so that no cache can answer,
-- and prints a one-line JSON summary, with wrk's own CPU time (all its threads) in clock ticks from
-- /proc/self/stat (-1 where there is none).
local paths = {}
local counter = 0
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end

function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then table.insert(paths, line) end
  end
end

function request()
  counter = counter + 1
  return wrk.format("GET", paths[(counter - 1) % #paths + 1] .. "&_=w" .. id .. "-" .. counter)
end

-- utime + stime of this process, the 14th and 15th fields of /proc/self/stat (after "pid (comm) ")
local function cpu_ticks()
  local f = io.open("/proc/self/stat", "r")
  if not f then return -1 end
  local stat = f:read("*a")
  f:close()
  local fields = {}
  for field in stat:match(".*%) (.*)"):gmatch("%S+") do table.insert(fields, field) end
  return tonumber(fields[12]) + tonumber(fields[13])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"durationUs":%d,"bytes":%d,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latencyUs":{"mean":%.1f,"p50":%d,"p99":%d,"max":%d},"cpuTicks":%d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(99), latency.max, cpu_ticks()))
end
