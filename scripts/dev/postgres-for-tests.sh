#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server for the tests (Debian's postgresql package), in its own
# data folder and port, and prints the environment the tests read:
#   VOICERELAY_TEST_DATABASE_URL  postgres://... of an empty database
#   VOICERELAY_TEST_POSTGRES_CTL  a script taking `stop` or `start` (the fault test uses it)
# PostgreSQL refuses to run as root, so as root the server runs as the `postgres` user.
# Usage: eval "$(scripts/dev/postgres-for-tests.sh)"
set -euo pipefail
port="${VOICERELAY_TEST_POSTGRES_PORT:-55432}"
dir="${VOICERELAY_TEST_POSTGRES_DIR:-/tmp/voicerelay-postgres}"
bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
as_owner() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
if [ -f "$dir/data/postmaster.pid" ]; then
    as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
fi
rm -rf "$dir"
mkdir -p "$dir"
[ "$(id -u)" = 0 ] && chown postgres:postgres "$dir"
as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 >"$dir/initdb.log" 2>&1
cat > "$dir/ctl.sh" <<CTL
#!/usr/bin/env bash
# stop | start the test PostgreSQL server
set -euo pipefail
run() { if [ "\$(id -u)" = 0 ]; then runuser -u postgres -- "\$@"; else "\$@"; fi; }
# The server must inherit nothing from the caller: not its output (a test waiting for this
# script would wait for the server too), nor its sockets (a connection the test closes would
# stay open, held by the server, and its peer would never see it end).
for fd in \$(ls /proc/\$\$/fd); do
  if [ "\$fd" -gt 2 ]; then eval "exec \$fd>&-" 2>/dev/null || true; fi
done
case "\$1" in
  stop) run "$bin/pg_ctl" -D "$dir/data" -m fast -w stop </dev/null >>"$dir/ctl.log" 2>&1 ;;
  start) run "$bin/pg_ctl" -D "$dir/data" -w -l "$dir/server.log" -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off" start </dev/null >>"$dir/ctl.log" 2>&1 ;;
esac
CTL
chmod +x "$dir/ctl.sh"
"$dir/ctl.sh" start >/dev/null
"$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -q -c "CREATE DATABASE voicerelay_test" >/dev/null
echo "export VOICERELAY_TEST_DATABASE_URL='postgres://postgres@127.0.0.1:$port/voicerelay_test?sslmode=disable'"
echo "export VOICERELAY_TEST_POSTGRES_CTL='$dir/ctl.sh'"
