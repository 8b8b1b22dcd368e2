#!/bin/sh
# nox demo without Claude Code: a scripted planner. It delegates through
# the nox CLI (NOX_ACT_AS makes nox record it as the delegating agent) and
# reads the results that come back as typed messages.
printf 'planner> '
while IFS= read -r line; do
  case "$line" in
    *"Plan the greeting feature"*)
      echo "Splitting the feature: backend writes greeting.sh, tests checks it."
      "$NOX_EXE" task add "Write the greeting module" --assign backend \
        --body "Write greeting.sh: a POSIX sh script that prints Hello, <name>! for its first argument."
      "$NOX_EXE" task add "Test the greeting module" --assign tests --after 2 \
        --body "Check that greeting.sh greets nox: run it and look for Hello, nox!"
      echo "Delegated tasks 2 and 3; their results come back as messages."
      ;;
    *"result of task"*)
      echo "Got a result from my team. Noted."
      ;;
  esac
  printf 'planner> '
done
