#!/bin/sh
# nox demo without Claude Code: a scripted backend that writes greeting.sh.
printf 'backend> '
while IFS= read -r line; do
  case "$line" in
    *"greeting.sh"*)
      echo "Writing greeting.sh."
      sleep 2
      printf '#!/bin/sh\n# Greets its first argument.\necho "Hello, ${1:-world}!"\n' > greeting.sh
      echo "greeting.sh is written: it prints Hello, <name>!"
      ;;
  esac
  printf 'backend> '
done
