# scriptbox exec runner: runs inside the sandbox as
#   bash exec.sh <n> <syntax-check argv (n words)> <command argv>
# where `{file}` in any word stands for the script. Says `ready` on fd 3 and waits for its job on fd 6
# (meanwhile the host confines the sandbox and holds its work dir), writes the job's files and the script,
# closes every other fd, runs the syntax check (a failure is reported on fd 3 and nothing runs; success
# is `ok`), closes fd 3, exports the job's environment variables and replaces itself with the command.
printf 'ready\n' >&3
read -r _ file count env_count arg_count <&6 || exit 0
# Then `count` files as `<name-length> <size>\n<name><bytes>`, `env_count` variables as `NAME=VALUE\0`
# (read as data, never evaluated; exported only right before the exec), `arg_count` arguments as `ARG\0`,
# then the script, up to EOF.
for ((i = 0; i < ${count:-0}; i++)); do
  read -r name_length size <&6
  IFS= LC_ALL=C read -r -N "$name_length" name <&6
  (umask 0222 && head -c "$size" >"$name") <&6
done
env_entries=()
for ((i = 0; i < ${env_count:-0}; i++)); do
  IFS= LC_ALL=C read -r -d '' entry <&6
  env_entries+=("$entry")
done
unset entry
script_args=()
for ((i = 0; i < ${arg_count:-0}; i++)); do
  IFS= LC_ALL=C read -r -d '' entry <&6
  script_args+=("$entry")
done
unset entry
IFS= read -r -d '' source <&6
(umask 0222 && printf '%s' "$source" >"$file")
unset source
for fd in /proc/self/fd/*; do
  fd=${fd##*/}
  # 255 is the fd bash reads this file from (close-on-exec already).
  if ((fd > 3 && fd != 255)); then eval "exec ${fd}>&-"; fi
done
set -- "${@//\{file\}/$file}" "${script_args[@]}"
unset -v script_args
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
for entry in "${env_entries[@]}"; do
  # The host allows only plain names (script-env.ts); checked again, as export would take an option.
  if [[ ! ${entry%%=*} =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]]; then
    printf 'scriptbox: a bad environment variable name\n' >&2
    exit 126
  fi
done
# The variables go into the positional parameters and the runner's own variables away, so a variable
# named like one of them (name, check, ...) is exported as given, never overwritten or lost as an array.
set -- "${#env_entries[@]}" "${env_entries[@]}" "$@"
unset -v file count env_count i name_length size name entry env_entries fd n check message
if (($1 > 0)) && ! export -- "${@:2:$1}"; then
  printf 'scriptbox: cannot set the environment variables\n' >&2
  exit 126
fi
shift "$(($1 + 1))"
exec "$@"
