#!/bin/busybox sh
# /init of the test VMs (tests/it/vm/): pidone's behaviour checks on a real
# kernel, run by busybox sh as the guest's PID 1, with the static pidone and
# testee of the guest's architecture in /bin. The host test builds the
# initramfs, boots it under qemu-system-* and reads the serial console:
#
#   VM: boot UPTIME            the guest's uptime (s) when /init starts
#   VM: ok ID: WHAT            a check passed
#   VM: FAIL ID: WHAT: WHY     a check failed; `VM:   out:`/`VM:   err:` lines
#                              follow with what the child and pidone printed
#   VM: report ID JSON         pidone's --report of check ID, for the host to
#                              read as JSON
#   VM: summary passed=P failed=F seconds=S
#
# then powers the guest off. /vm/config (written by the host) sets CHECKS
# (which groups run), MODES (pid1: pidone as PID 1 of a new PID namespace;
# sub: pidone -s outside one) and MEMORY_MAX (the OOM cgroup's memory.max).
# Not -e: a failing check is counted and reported, never the end of the run.
# shellcheck shell=sh disable=SC2016
set -u
/bin/busybox mkdir -p /proc /sys /dev /tmp
/bin/busybox mount -t proc proc /proc
/bin/busybox --install -s /bin
export PATH=/bin
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t tmpfs tmpfs /tmp
echo "VM: boot $(cut -d' ' -f1 /proc/uptime)"
CHECKS="exit deaths forward reap grace oom" MODES="pid1 sub" MEMORY_MAX=24M
# shellcheck source=/dev/null # written by the host test
. /vm/config

passed=0 failed=0
ok() { passed=$((passed + 1)); echo "VM: ok $1: $2"; }
bad() {
  failed=$((failed + 1)); echo "VM: FAIL $1: $2: $3"
  sed 's/^/VM:   out: /' /tmp/out 2>/dev/null | head -n 20
  sed 's/^/VM:   err: /' /tmp/err 2>/dev/null | head -n 20
}
# The uptime in hundredths of a second (busybox date has no %N).
now_cs() { sed 's/^\([0-9]*\)\.\([0-9]*\) .*/\1\2/' /proc/uptime; }
t_start=$(now_cs)

# --- the harness ----------------------------------------------------------
# start MODE ARGS...: pidone ARGS in the background, stdout and stderr to
# /tmp/out and /tmp/err; $job is the process we wait for. pid1: busybox
# unshare forks pidone as PID 1 of a new PID namespace (killing that PID 1
# ends the namespace); sub: pidone -s, a subreaper below this shell. With
# $cgroup set, a shell joins that cgroup first and execs the rest (so $job
# is still the run).
cgroup=
start() {
  mode=$1; shift
  : >/tmp/out; : >/tmp/err
  t0=$(now_cs)
  if [ "$mode" = pid1 ]; then
    set -- unshare -p -f --mount-proc pidone "$@"
  else
    set -- pidone -s "$@"
  fi
  if [ -n "$cgroup" ]; then
    set -- sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$cgroup" "$@"
  fi
  "$@" >/tmp/out 2>/tmp/err &
  job=$!
}
# alive PID: PID exists and is not a zombie.
alive() {
  state=$(sed 's/^.*) \(.\).*/\1/' "/proc/$1/stat" 2>/dev/null) || return 1
  [ -n "$state" ] && [ "$state" != Z ]
}
# poll SECONDS COMMAND...: true as soon as COMMAND is, false at the deadline.
poll() {
  deadline=$(($(now_cs) + $1 * 100)); shift
  until "$@"; do
    [ "$(now_cs)" -lt "$deadline" ] || return 1
    sleep 0.02
  done
}
# await PATTERN: the child printed a line matching PATTERN (30 s at most,
# less if pidone exits first).
seen() { grep -qE -- "$1" /tmp/out || ! alive "$job"; }
await() { poll 30 seen "$1" && grep -qE -- "$1" /tmp/out; }
# children PID: PID's children, from /proc (CONFIG_PROC_CHILDREN).
# The file ends with a space; the unquoted echo drops it.
# shellcheck disable=SC2086
children() { set -- "$(cat "/proc/$1/task/$1/children" 2>/dev/null)"; echo $1; }
# init_pid: pidone's pid as this shell sees it (unshare's child in pid1).
init_pid() {
  if [ "$mode" = pid1 ]; then children "$job" | cut -d' ' -f1; else echo "$job"; fi
}
# finish: waits (60 s at most) for the run to end; its exit code in $rc and
# its duration in hundredths of a second in $took. A hang is killed: 999.
finish() {
  if poll 60 eval '! alive "$job"'; then
    wait "$job"; rc=$?
  else
    pid=$(init_pid); [ -n "$pid" ] && kill -9 "$pid"
    kill -9 "$job"; wait "$job"; rc=999
  fi
  took=$(($(now_cs) - t0))
}
# expect ID WHAT CODE [PATTERN]: pidone exited with CODE, and its stderr
# has a line matching PATTERN, or with no PATTERN is empty (pidone logs at
# warn by default, and none of these runs has anything to warn about: a
# stray line means something else ran, say a shell reading pidone as a
# script after the kernel refused to execute it).
expect() {
  if [ "$rc" != "$3" ]; then
    bad "$1" "$2" "exit code $rc, expected $3"
  elif [ $# -eq 3 ] && [ -s /tmp/err ]; then
    bad "$1" "$2" "unexpected output on stderr"
  elif [ $# -eq 4 ] && ! grep -qE -- "$4" /tmp/err; then
    bad "$1" "$2" "no line matching '$4' on stderr"
  else
    ok "$1" "$2"
  fi
}
# report ID: hands pidone's report (/tmp/report) to the host.
report() { echo "VM: report $1 $(cat /tmp/report 2>/dev/null)"; rm -f /tmp/report; }

# --- the checks -----------------------------------------------------------
check_exit() {
  for n in 0 1 2 32 64 127 254 255; do
    start pid1 -- testee exit "$n"; finish; expect "exit-$n" "child exits $n: pidone exits $n" "$n"
  done
  start pid1 -- /no/such/program; finish
  expect exit-missing "missing program: 127" 127 '^pidone: .*/no/such/program'
  start pid1 -- /vm/config; finish
  expect exit-not-executable "non-executable program: 126" 126 '^pidone: .*/vm/config'
  start pid1 --bogus -- testee exit 0; finish
  if [ "$(wc -l </tmp/err)" != 1 ]; then
    bad exit-usage "unknown option: exit 2, one line naming --help" "$(wc -l </tmp/err) lines on stderr"
  else
    expect exit-usage "unknown option: exit 2, one line naming --help" 2 '^pidone: .*--help'
  fi
}

# The child dies of a signal: 128+S, real-time signals included; and a
# SIGTERM from outside is forwarded to a child with default dispositions.
check_deaths() {
  for s in 9 15 37 64; do
    start pid1 -- testee raise "$s"; finish
    expect "death-$s" "child killed by signal $s: 128+$s" $((128 + s))
  done
  for m in $MODES; do
    start "$m" -- testee pause
    if await '^ready$'; then kill -TERM "$(init_pid)"; fi
    finish; expect "stop-term-$m" "SIGTERM to pidone ($m) ends the child: 143" 143
  done
}

# Every signal sent to pidone reaches the child (testee ack prints `got N`):
# ordinary ones, 32 and 33 (which the C libraries keep), real-time ones.
check_forward() {
  for m in $MODES; do
    start "$m" -- testee ack
    if ! await '^ready$'; then finish; bad "forward-$m" "signals reach the child ($m)" "no ready line"; continue; fi
    missing=
    for s in 1 2 3 10 12 15 28 32 33 34 35 37 50 64; do
      kill "-$s" "$(init_pid)"
      poll 15 grep -qx "got $s" /tmp/out || missing="$missing $s"
    done
    # ack blocks every signal: only a SIGKILL of the child itself ends it.
    kill -9 "$(children "$(init_pid)")"; finish
    if [ -n "$missing" ]; then
      bad "forward-$m" "14 signals, real-time ones too, reach the child ($m)" "never got:$missing"
    elif [ "$rc" != 137 ]; then
      bad "forward-$m" "14 signals, real-time ones too, reach the child ($m)" "exit code $rc after kill -9, expected 137"
    else
      ok "forward-$m" "14 signals, real-time ones too, reach the child ($m); kill -9 of the child: 137"
    fi
  done
}

# ORPHANS orphans re-parented to pidone (as PID 1, or as subreaper) are all
# reaped by it: -w logs one line per orphan reaped, and none is left a zombie.
# Without the subreaper bit they would go to this shell, and pidone's log
# would have no such line.
ORPHANS=300
# zombies PID: how many zombies PID has.
zombies() { grep -l "^[0-9]* ([^)]*) Z $1 " /proc/[0-9]*/stat 2>/dev/null | wc -l; }
reaped() { [ "$(grep -c 'Reaped zombie process' /tmp/err)" -ge "$ORPHANS" ]; }
check_reap() {
  for m in $MODES; do
    id="reap-$m" what="$ORPHANS orphans re-parented to pidone ($m) and reaped"
    start "$m" -w --report /tmp/report -- testee orphans "$ORPHANS"
    if ! await '^orphans done$'; then
      finish; bad "$id" "$what" "no 'orphans done' line"; continue
    fi
    poll 60 reaped; count=$(grep -c 'Reaped zombie process' /tmp/err)
    left=$(zombies "$(init_pid)")
    kill -TERM "$(init_pid)"; finish
    if [ "$count" != "$ORPHANS" ]; then
      bad "$id" "$what" "pidone reaped $count"
    elif [ "$left" != 0 ]; then
      bad "$id" "$what" "$left zombies left"
    elif [ "$rc" != 143 ]; then
      bad "$id" "$what" "exit code $rc after SIGTERM, expected 143"
    else
      ok "$id" "$what"
    fi
    report "$id"
  done
}

# The main child exits 7 and leaves a process that exits on SIGTERM and one
# that ignores it: pidone TERMs both, SIGKILLs the stubborn one after
# --grace 1s, and exits 7.
check_grace() {
  for m in $MODES; do
    id="grace-$m" what="leftovers: TERM, --grace 1s, SIGKILL; exit code 7 kept ($m)"
    rm -f /tmp/graceful
    start "$m" -v --grace 1s --report /tmp/report -- testee leave-behind /tmp/graceful 7 stubborn
    finish
    if [ "$rc" != 7 ]; then
      bad "$id" "$what" "exit code $rc, expected 7"
    elif [ ! -s /tmp/graceful ]; then
      bad "$id" "$what" "the graceful leftover never wrote its file on SIGTERM"
    elif ! grep -q SIGKILL /tmp/err; then
      bad "$id" "$what" "pidone's log (-v) does not mention SIGKILL"
    elif [ "$took" -lt 100 ]; then
      bad "$id" "$what" "the run took ${took}0 ms, less than the grace period"
    else
      ok "$id" "$what"
    fi
    report "$id"
  done
}

# cgroup v2: a child over the cgroup's memory.max is OOM-killed, and pidone
# says so in its log, its termination log and its report; a kill -9 of a
# child in the same cgroup is not called an OOM kill.
CGROUP=/sys/fs/cgroup/pidone-oom
check_oom() {
  if ! { mount -t cgroup2 cgroup2 /sys/fs/cgroup && echo +memory >/sys/fs/cgroup/cgroup.subtree_control &&
         mkdir -p "$CGROUP" && echo "$MEMORY_MAX" >"$CGROUP/memory.max"; }; then
    bad oom "cgroup v2 with memory.max $MEMORY_MAX" "cannot set it up"; return
  fi
  echo 0 >"$CGROUP/memory.swap.max" 2>/dev/null
  cgroup=$CGROUP
  for m in $MODES; do
    id="oom-kill-$m" what="a child over memory.max $MEMORY_MAX is OOM-killed: 137, named in log and termination log ($m)"
    rm -f /tmp/termination
    # testee alloc 64 allocates 64 MiB and exits 0 if nothing stops it.
    start "$m" --termination-log /tmp/termination --report /tmp/report -- testee alloc 64
    finish
    if [ "$rc" != 137 ]; then
      bad "$id" "$what" "exit code $rc, expected 137"
    elif ! grep '^\[WARN pidone' /tmp/err | grep -q 'OOM killer'; then
      bad "$id" "$what" "no warning naming the OOM killer"
    elif ! grep -q 'OOM killer' /tmp/termination; then
      bad "$id" "$what" "termination log: $(cat /tmp/termination 2>/dev/null)"
    else
      ok "$id" "$what"
    fi
    report "$id"

    id="oom-kill9-$m" what="kill -9 of a child in the same cgroup: 137, no OOM claim ($m)"
    rm -f /tmp/termination
    start "$m" --termination-log /tmp/termination --report /tmp/report -- testee pause
    if await '^ready$'; then kill -9 "$(children "$(init_pid)")"; fi
    finish
    if [ "$rc" != 137 ]; then
      bad "$id" "$what" "exit code $rc, expected 137"
    elif grep -q OOM /tmp/err /tmp/termination 2>/dev/null; then
      bad "$id" "$what" "an OOM claim: $(grep -h OOM /tmp/err /tmp/termination 2>/dev/null)"
    elif ! grep -q 'SIGKILL' /tmp/termination; then
      bad "$id" "$what" "termination log: $(cat /tmp/termination 2>/dev/null)"
    else
      ok "$id" "$what"
    fi
    report "$id"
  done
  cgroup=
}

echo "VM: $(pidone --version 2>&1 | head -n 1); kernel $(uname -r) $(uname -m); $(nproc) CPUs"
for group in $CHECKS; do "check_$group"; done
echo "VM: summary passed=$passed failed=$failed seconds=$((($(now_cs) - t_start) / 100))"
poweroff -f
