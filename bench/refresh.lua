-- wrk script: each connection logs in once (header mode), then chains refreshes: every request presents the
-- refresh token the previous answer gave, as a real client does. Run with as many threads as connections
-- (-t4 -c4), so each thread drives one chain. Any answer other than 200 is counted and reported.
local token = nil
local failures = 0
local thread_id = 0
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
end

function init(args)
  thread_id = id
end

function request()
  if token == nil then
    return wrk.format("POST", "/login", {
      ["Content-Type"] = "application/x-www-form-urlencoded",
      ["st-auth-mode"] = "header",
    }, "username=bench-" .. thread_id)
  end
  return wrk.format("POST", "/api/refresh", {
    ["Authorization"] = "Bearer " .. token,
    ["st-auth-mode"] = "header",
    ["rid"] = "session",
  })
end

function response(status, headers, body)
  local next_token = headers["st-refresh-token"]
  if next_token ~= nil then
    token = next_token
  elseif token ~= nil then
    failures = failures + 1
    if status ~= 200 then token = nil end -- logged out (should never happen): log in again and go on
  end
end

function done(summary, latency, requests)
  -- Thread-local counters are not visible here; the shell script checks status codes through wrk's own
  -- "Non-2xx or 3xx responses" line instead.
end
