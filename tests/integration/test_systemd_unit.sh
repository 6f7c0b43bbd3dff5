#!/bin/sh
# The shipped unit must pass `systemd-analyze verify` and keep its hardening.
# TAP output for automake's driver.
set -u
src=${OB_SRCDIR:-.}
build=${OB_BUILDDIR:-.}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "1..7"

# Point ExecStart at the freshly built daemon: verify checks the binary exists.
sed -e "s|@sbindir@|$build/src|g" -e 's|@sysconfdir@|/etc|g' \
	-e 's|@docdir@|/usr/share/doc/orgbridge|g' -e 's|@localstatedir@|/var|g' \
	"$src/systemd/orgbridged.service.in" > "$tmp/orgbridged.service"

if ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "ok 1 # SKIP systemd-analyze not installed"
elif out=$(SYSTEMD_LOG_LEVEL=warning systemd-analyze verify --man=no "$tmp/orgbridged.service" 2>&1) && [ -z "$out" ]; then
	echo "ok 1 - systemd-analyze verify accepts the unit"
else
	echo "not ok 1 - systemd-analyze verify accepts the unit"
	echo "$out" | sed 's/^/# /'
fi

missing=""
for line in "Type=notify" "ExecReload=" "NoNewPrivileges=yes" "ProtectSystem=strict" \
	"PrivateTmp=yes" "CapabilityBoundingSet=" "User=orgbridge"; do
	grep -q "^$line" "$tmp/orgbridged.service" || missing="$missing $line"
done
if [ -z "$missing" ]; then
	echo "ok 2 - unit is Type=notify with reload and hardening"
else
	echo "not ok 2 - unit is Type=notify with reload and hardening (missing:$missing)"
fi

# ...and to reload one: the check is the first ExecReload, before the signal.
reloads=$(sed -n 's/^ExecReload=//p' "$tmp/orgbridged.service")
if grep -q "^ExecStartPre=.*--check-config" "$tmp/orgbridged.service" &&
	[ "$(echo "$reloads" | sed -n 1p | grep -c -- '--check-config')" = 1 ] &&
	[ "$(echo "$reloads" | sed -n 2p)" = '/bin/kill -HUP $MAINPID' ]; then
	echo "ok 3 - unit refuses to start or reload on a bad config"
else
	echo "not ok 3 - unit refuses to start or reload on a bad config"
fi

# 4: the exit statuses that mean "edit the config" are not retried.
if grep -q "^RestartPreventExitStatus=64 78$" "$tmp/orgbridged.service"; then
	echo "ok 4 - a usage or configuration error is not restarted"
else
	echo "not ok 4 - a usage or configuration error is not restarted"
fi

# 5: the unit as make builds it substitutes every @var@ (a leftover would
# name a path that does not exist), and the file transport's default
# directory is writable in the sandbox.
unit="$build/systemd/orgbridged.service"
if [ ! -f "$unit" ]; then
	echo "ok 5 # SKIP $unit not built"
elif grep -n "@[a-z]*@" "$unit" >"$tmp/left"; then
	echo "not ok 5 - the built unit has no @var@ left and can write the mail directory"
	sed 's/^/# /' "$tmp/left"
else
	maildir=$("$build/src/orgbridged" --print-defaults | sed -n 's/^#file_dir = //p')
	case "$maildir" in
	/var/lib/orgbridge/*) writable=yes ;;
	*) writable=no
	   for rw in $(sed -n 's/^ReadWritePaths=-\{0,1\}//p' "$unit"); do
		case "$maildir" in "$rw"/*) writable=yes ;; esac
	   done ;;
	esac
	if [ "$writable" = yes ]; then
		echo "ok 5 - the built unit has no @var@ left and can write the mail directory"
	else
		echo "not ok 5 - the built unit has no @var@ left and can write the mail directory ($maildir)"
	fi
fi

# 6: the sysusers.d entry creates the unit's User= and Group=, at home in the
# unit's StateDirectory= (into a scratch root, not this machine's).
name="systemd-sysusers creates the unit's user and group from the shipped entry"
if ! command -v systemd-sysusers >/dev/null 2>&1; then
	echo "ok 6 # SKIP systemd-sysusers not installed"
else
	mkdir -p "$tmp/root/etc"
	if systemd-sysusers --root="$tmp/root" "$src/systemd/orgbridge.sysusers" \
		>"$tmp/sysusers.out" 2>&1 &&
		grep -q '^orgbridge:x:[0-9]*:[0-9]*:[^:]*:/var/lib/orgbridge:' "$tmp/root/etc/passwd" &&
		grep -q '^orgbridge:' "$tmp/root/etc/group" &&
		grep -q '^StateDirectory=orgbridge$' "$tmp/orgbridged.service" &&
		grep -q '^Group=orgbridge$' "$tmp/orgbridged.service"; then
		echo "ok 6 - $name"
	else
		echo "not ok 6 - $name"
		sed 's/^/# /' "$tmp/sysusers.out"
	fi
fi

# 7: the unit waits for the daemon's shutdown bound: the request drain
# (HTTP_DRAIN_S) and the longest LDAP connect a stopping sync run may be in
# (network_timeout's maximum, run beside the drain), with 10 s to spare for
# the runs' last database writes; a pass-through sign-in ends inside the drain.
name="TimeoutStopSec covers the drain and the longest LDAP connect, with a margin"
stop=$(sed -n 's/^TimeoutStopSec=\([0-9]*\)s$/\1/p' "$tmp/orgbridged.service")
drain=$(sed -n 's/^#define HTTP_DRAIN_S \([0-9]*\)$/\1/p' "$src/src/http/server.h")
signin=$(sed -n 's/^#define LDAP_SIGNIN_LIMIT_S \([0-9]*\)$/\1/p' "$src/src/ldap/auth.h")
connect=$("$build/src/orgbridged" --print-defaults |
	sed -n 's/^# Time allowed to connect.*\[duration 1s\.\.\([0-9]*\)s;.*/\1/p')
if [ -z "$stop" ] || [ -z "$drain" ] || [ -z "$signin" ] || [ -z "$connect" ]; then
	echo "not ok 7 - $name (stop='$stop' drain='$drain' signin='$signin' connect='$connect')"
else
	longest=$drain
	[ "$connect" -gt "$longest" ] && longest=$connect
	if [ "$stop" -ge $((longest + 10)) ] && [ "$signin" -lt "$drain" ]; then
		echo "ok 7 - $name"
	else
		echo "not ok 7 - $name (stop $stop s, drain $drain s, connect $connect s, sign-in $signin s)"
	fi
fi
