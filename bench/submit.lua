-- wrk script for bench/field_entry.py: every request is a new Officer Prevention submission
-- (a fresh idempotency key and a new person) with the sessions and CSRF token the driver got.
-- BENCH_SESSIONS holds one signed-in session per simulated officer (comma-separated); requests
-- take them in turn. BENCH_PATH picks the real form or a bare reference view; BENCH_SERVICE is
-- an open service; BENCH_ANONYMOUS=1 sends no cookies (the anonymous reference view).

local path = os.getenv("BENCH_PATH")
local sessions = {}
for key in string.gmatch(os.getenv("BENCH_SESSIONS") or "", "[^,]+") do
  sessions[#sessions + 1] = key
end
local anonymous = os.getenv("BENCH_ANONYMOUS") == "1"
local turn = 0
local csrf_cookie = os.getenv("BENCH_CSRF_COOKIE")
local csrf_token = os.getenv("BENCH_CSRF_TOKEN")
local service = os.getenv("BENCH_SERVICE")
local syllables = {"ab", "ber", "cas", "del", "en", "far", "gal", "hol", "in", "jab", "kow",
  "lin", "mor", "nu", "ost", "pra", "quin", "ros", "sta", "tel", "ur", "val", "wes", "yor"}
local first = {"Alex", "Jordan", "Casey", "Riley", "Morgan", "Taylor", "Jamie", "Avery"}
local thread_number = 0

function setup(thread)
  thread_number = thread_number + 1
  thread:set("number", thread_number)
end

function init(args)
  math.randomseed(os.time() * 1000 + number)
  turn = number  -- the two threads start at different officers
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
end

local function hex(n)
  local out = {}
  for i = 1, n do out[i] = string.format("%x", math.random(0, 15)) end
  return table.concat(out)
end

local function surname()
  local s = syllables[math.random(#syllables)] .. syllables[math.random(#syllables)] ..
            syllables[math.random(#syllables)]
  return s:sub(1, 1):upper() .. s:sub(2)
end

function request()
  local key = hex(8) .. "-" .. hex(4) .. "-4" .. hex(3) .. "-8" .. hex(3) .. "-" .. hex(12)
  local born = string.format("19%02d-%02d-%02d", math.random(50, 99), math.random(1, 12),
                             math.random(1, 28))
  local body = "csrfmiddlewaretoken=" .. csrf_token .. "&idempotency_key=" .. key ..
    "&first_name=" .. first[math.random(#first)] .. "&last_name=" .. surname() ..
    "&date_of_birth=" .. born .. "&person_choice=new&location_text=" ..
    math.random(100, 9999) .. "+Main+St&presenting_needs=substance_use&service=" .. service ..
    "&warm_handoff=on&call_source=on_view&disposition=referred" ..
    "&capacity_override_reason=confirmed+by+phone"
  local headers = nil
  if not anonymous then  -- the anonymous reference sends no session and no CSRF cookie
    turn = turn % #sessions + 1
    headers = {  -- wrk.format takes these instead of wrk.headers, so the type goes here too
      ["Content-Type"] = "application/x-www-form-urlencoded",
      ["Cookie"] = "sessionid=" .. sessions[turn] .. "; csrftoken=" .. csrf_cookie,
    }
  end
  return wrk.format(nil, path, headers, body)
end

function done(summary, latency, requests)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read +
                 summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT %d %.1f %.2f %.2f %.2f %d\n", summary.requests,
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000, errors))
end
