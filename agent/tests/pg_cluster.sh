#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A throwaway PostgreSQL cluster for the registry tests, in a directory of
# its own, reachable only over a Unix socket in that directory.
#
#   pg_cluster.sh start DIR   creates and starts it; prints its libpq
#                             connection string on stdout
#   pg_cluster.sh stop DIR    stops it (the caller removes DIR)
#
# Exit status 2 from start: PostgreSQL's server binaries are not installed
# (the callers then skip).  initdb refuses to run as root: as root, the
# cluster belongs to `nobody` (the directory is chowned to it) and the
# connection string names that role; DIR's parent is made mode 0711 so
# that it can reach DIR.
set -eu
cmd=${1:-} dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|stop DIR" >&2; exit 1; }

bindir=${PG_BINDIR:-}
if [ -z "$bindir" ]; then
	for d in /usr/lib/postgresql/*/bin; do
		[ -x "$d/initdb" ] && bindir=$d
	done
fi
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ] || [ ! -x "$bindir/pg_ctl" ]; then
	echo "pg_cluster: no PostgreSQL server binaries (initdb, pg_ctl)" >&2
	exit 2
fi

owner=$(id -un)
as_owner() { "$@"; }
if [ "$(id -u)" = 0 ]; then
	owner=nobody
	as_owner() { setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"; }
fi

case $cmd in
start)
	mkdir -p "$dir"
	if [ "$owner" != "$(id -un)" ]; then
		# nobody must reach DIR: its parent (a test's private
		# temporary directory) lets others through, not list.
		chmod 711 "$(dirname "$dir")"
		chown "$owner" "$dir"
	fi
	chmod 700 "$dir"
	port=$((40000 + RANDOM % 20000))
	as_owner env -i PATH=/usr/bin:/bin LANG=C.UTF-8 "$bindir/initdb" -D "$dir/data" \
		-U "$owner" --auth=trust -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 || {
		echo "pg_cluster: initdb failed:" >&2; cat "$dir/initdb.log" >&2; exit 1; }
	as_owner env -i PATH=/usr/bin:/bin LANG=C.UTF-8 "$bindir/pg_ctl" -D "$dir/data" \
		-l "$dir/server.log" -w -t 30 \
		-o "-k $dir -p $port -c listen_addresses='' -c fsync=off" start >/dev/null 2>&1 || {
		echo "pg_cluster: the server did not start:" >&2; cat "$dir/server.log" >&2; exit 1; }
	as_owner env -i PATH=/usr/bin:/bin "$bindir/createdb" -h "$dir" -p "$port" -U "$owner" coapsec
	echo "host=$dir port=$port user=$owner dbname=coapsec"
	;;
stop)
	[ -d "$dir/data" ] || exit 0
	as_owner env -i PATH=/usr/bin:/bin "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop \
		>/dev/null 2>&1 || true
	;;
*)
	echo "usage: $0 start|stop DIR" >&2
	exit 1
	;;
esac
