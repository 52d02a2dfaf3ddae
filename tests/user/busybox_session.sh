#!/bin/sh
# A scripted busybox session (issue 13 part 7), run as process 1 by the boot case
# busybox-session-smp*: each line prints what the case's regexes check.
echo "session: start"
echo "session: echo works"
ls / | tr '\n' ' ' | sed 's/^/session: ls: /'; echo
echo "session: cpus $(grep -c ^processor /proc/cpuinfo) online $(nproc)"
ps | grep -c '^PID' | sed 's/^/session: ps header lines /'
echo "session: seq $(seq 1 10000 | wc -l)"
echo "session: pipeline $(seq 1 100 | grep 7 | sort -r | head -3 | tr '\n' ,)"
sh -c 'exit 3'; echo "session: exit status $?"
sleep 10 & pid=$!; kill $pid; wait $pid; echo "session: killed job status $?"
cpus=$(nproc); i=0; placed=0
while [ $i -lt $cpus ]; do
  got=$(taskset -c $i cat /proc/self/stat | cut -d' ' -f39)
  [ "$got" = "$i" ] && placed=$((placed+1))
  i=$((i+1))
done
echo "session: taskset placed $placed of $cpus"
mkdir -p /tmp/s && echo data > /tmp/s/f && cat /tmp/s/f | sed 's/^/session: file /' && rm -r /tmp/s
echo "session: end"
poweroff -f
