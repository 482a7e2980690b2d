# The state holder of a stateful bash session (see session_holder.py for the Python one and the
# protocol): a persistent shell. Each run is a subshell of it — a copy of its variables, functions,
# options and working directory — that sources the cell; a subshell that finishes the cell goes on as the
# holder (this one is then killed), one that dies or exits leaves this one as it was.
# fd 3: `run <id> <dir>` lines from the supervisor; fd 4: events to it.
# A run's variables are the run's: env.sh keeps each one's earlier definition here, restored after it.
__scriptbox_kept=()
__scriptbox_keep() {
  local line
  if line=$(declare -p "$1" 2>/dev/null); then __scriptbox_kept+=("${line/#declare /declare -g }")
  else __scriptbox_kept+=("unset -v $1"); fi
}
__scriptbox_serve() {
  local __scriptbox_words __scriptbox_code
  while IFS=' ' read -r -a __scriptbox_words <&3; do
    [[ ${__scriptbox_words[0]} == run && ${#__scriptbox_words[@]} == 3 ]] || continue
    (
      echo "started ${__scriptbox_words[1]} $BASHPID" >&4
      echo 1000 >/proc/self/oom_score_adj
      . "${__scriptbox_words[2]}/env.sh"
      . "${__scriptbox_words[2]}/cell" <"${__scriptbox_words[2]}/stdin"
      __scriptbox_code=$?
      for __scriptbox_line in "${__scriptbox_kept[@]}"; do eval "$__scriptbox_line"; done
      __scriptbox_kept=()
      echo "done ${__scriptbox_words[1]} $__scriptbox_code" >&4
      __scriptbox_serve
    ) &
    wait "$!"
    __scriptbox_code=$?
    if ((__scriptbox_code > 128)); then __scriptbox_code=-$((__scriptbox_code - 128)); fi
    echo "died ${__scriptbox_words[1]} $__scriptbox_code" >&4
  done
  exit 0
}
echo ready >&4
__scriptbox_serve
