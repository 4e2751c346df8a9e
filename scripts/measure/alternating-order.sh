# Sourced by the side-by-side scripts (relay-ab.sh, pipeline-ab.sh).
# round_order ROUND BINARY... prints the binaries one per line: in the given order on odd rounds,
# reversed on even ones. One binary measured 5-15 % slower when it ran second in its pair (order
# or drift), so a fixed order could favour whichever runs first.
round_order() {
  local round=$1
  shift
  local binaries=("$@") index
  if ((round % 2 == 1)); then
    printf '%s\n' "${binaries[@]}"
  else
    for ((index = ${#binaries[@]} - 1; index >= 0; index--)); do printf '%s\n' "${binaries[index]}"; done
  fi
}
