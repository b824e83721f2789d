#!/usr/bin/env bash
# The whole test suite: build, schema check, then unit, integration (real MariaDB + Redis) and e2e tests.
# MariaDB (127.0.0.1:3306, root) and Redis (127.0.0.1:6379) must be reachable; set TEST_MYSQL_URL /
# TEST_REDIS_URL to use others. This script starts local ones if they are installed but not running.
set -euo pipefail
cd "$(dirname "$0")/.."

mysql_url="${TEST_MYSQL_URL:-mysql://root@127.0.0.1:3306}"
redis_url="${TEST_REDIS_URL:-redis://127.0.0.1:6379}"

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
hostport() { echo "$1" | sed -E 's#^[a-z]+://([^@/]*@)?([^:/]+):?([0-9]*).*#\2 \3#'; }

read -r rh rp < <(hostport "$redis_url"); rp=${rp:-6379}
if ! port_open "$rh" "$rp"; then
  if command -v redis-server >/dev/null && [ "$rh" = 127.0.0.1 ]; then
    echo "starting Redis on $rh:$rp"
    mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$rp" --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log
  else
    echo "Redis is not reachable at $rh:$rp. Start one (e.g. 'redis-server --port $rp') or set TEST_REDIS_URL." >&2; exit 1
  fi
fi
read -r mh mp < <(hostport "$mysql_url"); mp=${mp:-3306}
if ! port_open "$mh" "$mp"; then
  if [ -x /usr/sbin/mariadbd ] && [ "$mh" = 127.0.0.1 ]; then
    echo "starting MariaDB on $mh:$mp"
    start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
  else
    echo "MariaDB/MySQL is not reachable at $mh:$mp. Start one or set TEST_MYSQL_URL=mysql://user:pass@host:port." >&2; exit 1
  fi
fi
for i in $(seq 1 60); do port_open "$rh" "$rp" && port_open "$mh" "$mp" && break; sleep 1; done
port_open "$mh" "$mp" || { echo "MariaDB did not come up on $mh:$mp within 60 s" >&2; exit 1; }
port_open "$rh" "$rp" || { echo "Redis did not come up on $rh:$rp within 60 s" >&2; exit 1; }

npm run -s build
node dist/scripts/schema.cli.js --check
npx jest --ci "$@"
