# Sourced by run.sh and interleave.sh: start and stop one stack-server.
# Sourcing makes `work`, a scratch directory, and on exit stops any server
# still running and removes `work`.

server_pid=""
server_addr=""
work="$(mktemp -d)"
trap 'stop_server; rm -rf "$work"' EXIT

# require_within SCRIPT NAME VALUE LOW HIGH: exits 2 unless VALUE is an
# integer in LOW..=HIGH.
require_within() {
    if ! [[ "$3" =~ ^[0-9]+$ ]] || (($3 < $4 || $3 > $5)); then
        echo "$1: $2 must be $4..$5" >&2
        exit 2
    fi
}

# start_server BINARY STACK STORE THREADS: starts BINARY (a stack-server),
# sets server_pid and server_addr; gives the server 10 s to say where it listens.
start_server() {
    local log="$work/server-$2-$3-$$.out"
    "$1" --stack "$2" --store "$3" --threads "$4" >"$log" 2>&1 &
    server_pid=$!
    server_addr=""
    for _ in $(seq 100); do
        server_addr="$(sed -n 's/^listening on //p' "$log")"
        [[ -n "$server_addr" ]] && return 0
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.1
    done
    echo "stack-server $2 $3 did not start:" >&2
    cat "$log" >&2
    exit 1
}

# stop_server: TERM, 10 s to finish, then KILL.
stop_server() {
    [[ -n "$server_pid" ]] || return 0
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 100); do
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
}

# server_peak_rss_kib: the running server's VmHWM.
server_peak_rss_kib() {
    awk '/^VmHWM:/ {print $2}' "/proc/$server_pid/status"
}
