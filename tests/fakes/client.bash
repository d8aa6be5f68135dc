#!/usr/bin/env bash
# Fake CLI for tests: see tests/fakes/README.md. Its name is the tool it plays (bin/<tool>, also through a
# symlink to this file). With FAKE_DAEMON (`port:token`, set by tests/helpers/fakes.mts) the call is answered by the fake
# daemon of the test process (daemon.mjs) over loopback TCP: a bash start-up instead of a Node start-up per call.
# Without it, when the daemon is gone, or for a call the daemon hands back, the call runs as a Node process of its
# own (cli.mjs) on the first `node` on PATH, as every call did before the daemon.
tool=${0##*/}

own_process() {
  exec 3>&-
  [ -z "${stdin_file:-}" ] || exec <"$stdin_file"
  self=$(readlink -f -- "$0")
  FAKE_TOOL=$tool exec node "${self%/*}/cli.mjs" "$@"
}

[ -n "${FAKE_DAEMON:-}" ] || own_process "$@"
{ exec 3<>"/dev/tcp/127.0.0.1/${FAKE_DAEMON%%:*}"; } 2>/dev/null || own_process "$@"

stdin_file=
needs_stdin=0
for a in "$@"; do
  case $a in
    -|-f-|--filename=-) needs_stdin=1 ;;
    -i) [ "$tool" = docker ] && [ "${1:-}" = exec ] && needs_stdin=1 ;;
  esac
done
if [ "$needs_stdin" = 1 ]; then
  stdin_file=${FAKE_STATE_DIR:-/tmp}/.stdin.$$.$RANDOM
  if [ -t 0 ]; then : >"$stdin_file"; else cat >"$stdin_file"; fi
fi

{
  printf '%s\0' "${FAKE_DAEMON#*:}" "$tool" "$PWD" "$stdin_file" "$#" "$@"
  for name in $(compgen -e); do printf '%s=%s\0' "$name" "${!name}"; done
  printf '\0'
} >&3

IFS=' ' read -r code errlen <&3
case $code in
  exec) own_process "$@" ;;
  '') echo "fake $tool: the fake daemon on port ${FAKE_DAEMON%%:*} closed the call without an answer (a stale FAKE_DAEMON token, or the daemon died): unset FAKE_DAEMON to run each call as a process of its own" >&2; exit 97 ;;
esac
if [ "${errlen:-0}" -gt 0 ]; then
  LC_ALL=C IFS= read -r -d '' -N "$errlen" err <&3
  printf '%s' "$err" >&2
fi
cat <&3
exit "$code"
