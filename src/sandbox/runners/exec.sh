# scriptbox exec runner: runs inside the sandbox as
#   bash exec.sh <n> <syntax-check argv (n words)> <command argv>
# Says `ready` on fd 3 and waits for one byte on fd 6 (the host then holds the work dir), closes every
# other fd, runs the syntax check (a failure is reported on fd 3 and nothing runs; success is `ok`),
# closes fd 3 and replaces itself with the command.
printf 'ready\n' >&3
read -r -n 1 _ <&6
for fd in /proc/self/fd/*; do
  fd=${fd##*/}
  # 255 is the fd bash reads this file from (close-on-exec already).
  if ((fd > 3 && fd != 255)); then eval "exec ${fd}>&-"; fi
done
n=$1
shift
if ((n > 0)); then
  check=("${@:1:n}")
  shift "$n"
  if ! message=$("${check[@]}" 2>&1 </dev/null 3>&-); then
    printf 'syntax 0 0\n%s' "$message" >&3
    exit 2
  fi
fi
printf 'ok\n' >&3
exec 3>&-
exec "$@"
