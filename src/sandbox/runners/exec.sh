# scriptbox exec runner: runs inside the sandbox as
#   bash exec.sh <n> <syntax-check argv (n words)> <command argv>
# Says ready and waits for the host, runs the syntax check (its failure is reported on fd 3 and nothing runs), then closes fd 3
# and replaces itself with the command.
# Say ready on fd 3 and wait until the host holds the work dir (one byte on fd 6).
printf 'ready\n' >&3
read -r -n 1 _ <&6
exec 6<&-
n=$1
shift
if ((n > 0)); then
  check=("${@:1:n}")
  shift "$n"
  if ! message=$("${check[@]}" 2>&1 </dev/null); then
    printf 'syntax 0 0\n%s' "$message" >&3
    exit 2
  fi
fi
printf 'ok\n' >&3
exec 3>&-
exec "$@"
