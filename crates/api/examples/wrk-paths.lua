-- wrk script: GET the paths listed in the file named by $PATHS, round robin from a
-- random start per thread, with the API key.
local paths = {}
for line in io.lines(os.getenv("PATHS")) do paths[#paths + 1] = line end
local counter = 0
local i = 0
function setup(thread)
  counter = counter + 1
  thread:set("seed", counter)
end
function init(args)
  math.randomseed(os.time() + (seed or 0) * 7919)
  i = math.random(#paths)
end
wrk.headers["X-API-Key"] = "bench-key-0123456789"
function request()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
