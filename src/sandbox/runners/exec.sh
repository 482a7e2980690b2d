# scriptbox exec runner: runs inside the sandbox as
#   bash exec.sh <n> <syntax-check argv (n words)> <command argv>
# where `{file}` in any word stands for the script. Says `ready` on fd 3 and waits for its job on fd 6
# (meanwhile the host confines the sandbox and holds its work dir), writes the job's files and the script,
# closes every other fd, runs the syntax check (a failure is reported on fd 3 and nothing runs; success
# is `ok`), closes fd 3 and replaces itself with the command.
printf 'ready\n' >&3
read -r _ file count <&6 || exit 0
# Then `count` files as `<name-length> <size>\n<name><bytes>`, then the script itself, up to EOF.
for ((i = 0; i < ${count:-0}; i++)); do
  read -r name_length size <&6
  IFS= LC_ALL=C read -r -N "$name_length" name <&6
  (umask 0222 && head -c "$size" >"$name") <&6
done
IFS= read -r -d '' source <&6
(umask 0222 && printf '%s' "$source" >"$file")
unset source
for fd in /proc/self/fd/*; do
  fd=${fd##*/}
  # 255 is the fd bash reads this file from (close-on-exec already).
  if ((fd > 3 && fd != 255)); then eval "exec ${fd}>&-"; fi
done
set -- "${@//\{file\}/$file}"
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
