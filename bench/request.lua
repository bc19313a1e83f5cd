-- wrk script for requests other than a plain GET. The request is set once at load time, so wrk keeps
-- it static (no Lua call per request) and the load generator stays as cheap as for a GET.
-- Read from the environment (wrk passes script arguments only to init(), too late for a static request):
--   BENCH_METHOD        e.g. POST
--   BENCH_BODY_BYTES    body length; the body is that many "x"
--   BENCH_CONTENT_TYPE  Content-Type of the body
wrk.method = os.getenv("BENCH_METHOD") or "GET"
local size = tonumber(os.getenv("BENCH_BODY_BYTES") or "0")
if size > 0 then
  wrk.body = string.rep("x", size)
  wrk.headers["Content-Type"] = os.getenv("BENCH_CONTENT_TYPE") or "application/octet-stream"
end
