#!/bin/sh
# nox demo without Claude Code: a scripted tester that checks greeting.sh.
printf 'tests> '
while IFS= read -r line; do
  case "$line" in
    *"greeting.sh"*)
      echo "Running the greeting check."
      sleep 1
      if sh greeting.sh nox | grep -q 'Hello, nox!'; then
        echo "greeting test passed"
      else
        echo "greeting test FAILED"
      fi
      ;;
  esac
  printf 'tests> '
done
