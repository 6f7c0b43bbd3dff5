#!/bin/sh
# The manual pages in man/: they render without warnings, orgbridge.conf(5)
# documents every key of the config parser's key table (as the daemon's
# --print-defaults lists it) with its kind, default and reload behaviour,
# orgbridgectl(8) every command its --help lists and every long option the
# CLI parses, orgbridged(8) every option of the daemon, and `make install`
# puts the three pages where `man -M` finds them. TAP output for automake's
# driver; the plan comes last.
set -u
src=${OB_SRCDIR:-.}
build=${OB_BUILDDIR:-.}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pages="orgbridged.8 orgbridgectl.8 orgbridge.conf.5"
n=0

ok() {
	n=$((n + 1))
	echo "ok $n - $1"
}

# not_ok NAME FILE: FILE's lines become TAP diagnostics.
not_ok() {
	n=$((n + 1))
	echo "not ok $n - $1"
	sed 's/^/# /' "$2"
}

skip() {
	n=$((n + 1))
	echo "ok $n - $1 # SKIP $2"
}

# The page's source with the escapes that matter for matching undone: font
# changes dropped, \- as -, \e as \, \(dq as ", \~ as a space.
plain() {
	sed -e 's/\\f[BIRP]//g' -e 's/\\-/-/g' -e 's/\\e/\\/g' -e 's/\\(dq/"/g' \
		-e 's/\\~/ /g' -e 's/\\&//g' "$src/man/$1"
}

# 1-3: each page renders without a warning, for the terminal and for the
# typesetter (groff -ww enables every warning).
for page in $pages; do
	name="man/$page renders without warnings"
	if ! command -v groff >/dev/null 2>&1; then
		skip "$name" "groff not installed"
		continue
	fi
	: > "$tmp/warn"
	for dev in utf8 ps; do
		groff -man -ww -z -T"$dev" "$src/man/$page" >> "$tmp/warn" 2>&1 ||
			echo "groff -T$dev exited with status $?" >> "$tmp/warn"
	done
	if [ -s "$tmp/warn" ]; then
		not_ok "$name" "$tmp/warn"
	else
		ok "$name"
	fi
done

# 4: every key of every section of the key table is in orgbridge.conf(5),
# under its section's .SS heading, as ".B key" followed by the line
# "(KIND; default VALUE; reloadable|restart)". Defaults that depend on the
# build's directories are written as pkgdatadir/... or localstatedir/...
# and compared by what follows. Keys documented but not in the table fail too.
name="orgbridge.conf(5) documents every key with its kind, default and reload"
if "$build/src/orgbridged" --print-defaults > "$tmp/defaults" 2> "$tmp/err"; then
	# section TAB key TAB kind TAB reload TAB default
	awk '
		/^#?\[[a-z_]+( NAME)?\]$/ {
			s = $0; sub(/^#?\[/, "", s); sub(/\]$/, "", s); next
		}
		/^# .* \[.*; (reloadable|restart)\]$/ {
			a = $0; sub(/.* \[/, "", a); sub(/\]$/, "", a)
			reload = a; sub(/.*; /, "", reload)
			kind = substr(a, 1, length(a) - length(reload) - 2)
			next
		}
		/^#[a-z_]+ =/ {
			key = $0; sub(/^#/, "", key); sub(/ =.*/, "", key)
			def = $0; sub(/^#[a-z_]+ =/, "", def); sub(/^ /, "", def)
			printf "%s\t%s\t%s\t%s\t%s\n", s, key, kind, reload, def
		}' "$tmp/defaults" > "$tmp/table"
	# section TAB key TAB the line after ".B key", from SECTIONS AND KEYS
	plain orgbridge.conf.5 | awk '
		/^\.SH / { inkeys = ($0 ~ /^\.SH "?SECTIONS AND KEYS"?$/); next }
		!inkeys { next }
		/^\.SS / { s = $0; sub(/^\.SS "?\[/, "", s); sub(/\]"?$/, "", s); next }
		/^\.TP$/ { tp = 1; next }
		tp && /^\.B [a-z_]+$/ { key = $2; tp = 0; want = 1; next }
		want { printf "%s\t%s\t%s\n", s, key, $0; want = 0; next }
		{ tp = 0 }' > "$tmp/documented"
	awk -F '\t' '
		NR == FNR { doc[$1 "\t" $2] = $3; next }
		{
			id = $1 "\t" $2; seen[id] = 1
			where = "[" $1 "] " $2
			if (!(id in doc)) { print where ": not documented"; next }
			line = doc[id]
			head = "(" $3 "; default "
			if (substr(line, 1, length(head)) != head) {
				print where ": expected the line to start \"" head "\": " line
				next
			}
			tail = "; " $4 ")"
			if (substr(line, length(line) - length(tail) + 1) != tail) {
				print where ": expected \"" tail "\" at the end of: " line
				next
			}
			if ($5 == "")
				next
			d = substr(line, length(head) + 1)
			d = substr(d, 1, length(d) - length(tail))
			if (d ~ /^(pkgdatadir|localstatedir)\//) {
				rest = d; sub(/^[a-z]+/, "", rest)
				if (substr($5, length($5) - length(rest) + 1) != rest)
					print where ": default " d " does not end like " $5
			} else if (d != $5) {
				print where ": default is " $5 ", the page says " d
			}
		}
		END {
			for (id in doc)
				if (!(id in seen)) {
					split(id, p, "\t")
					print "[" p[1] "] " p[2] ": documented but not in the key table"
				}
		}' "$tmp/documented" "$tmp/table" > "$tmp/problems"
	keys=$(wc -l < "$tmp/table")
	if [ "$keys" -lt 50 ]; then
		echo "only $keys keys read from --print-defaults: the parse above is out of step" \
			>> "$tmp/problems"
	fi
	if [ -s "$tmp/problems" ]; then
		not_ok "$name" "$tmp/problems"
	else
		ok "$name ($keys keys)"
	fi
else
	not_ok "$name (orgbridged --print-defaults failed)" "$tmp/err"
fi

# 5: every command orgbridgectl --help lists is a .SS heading of
# orgbridgectl(8); a command whose help starts "CMD a|b ...:" names
# subcommands, and each "CMD a" must be a heading (or begin one).
name="orgbridgectl(8) documents every command orgbridgectl --help lists"
if "$build/src/orgbridgectl" --help > "$tmp/usage" 2> "$tmp/err"; then
	plain orgbridgectl.8 | sed -n 's/^\.SS "\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' > "$tmp/headings"
	awk '
		/^commands:/ { on = 1; next }
		on && NF >= 2 {
			print $1
			if ($2 != $1)
				next
			sub(/:$/, "", $3)
			k = split($3, sub_, "|")
			for (i = 1; i <= k; i++)
				if (sub_[i] != "..." && sub_[i] != "")
					print $1 " " sub_[i]
		}' "$tmp/usage" > "$tmp/commands"
	: > "$tmp/problems"
	while read -r cmd; do
		awk -v c="$cmd" '$0 == c || index($0, c " ") == 1 { found = 1 }
			END { exit !found }' "$tmp/headings" ||
			echo "no section for '$cmd'" >> "$tmp/problems"
	done < "$tmp/commands"
	count=$(wc -l < "$tmp/commands")
	if [ "$count" -lt 8 ]; then
		echo "only $count commands read from orgbridgectl --help" >> "$tmp/problems"
	fi
	if [ -s "$tmp/problems" ]; then
		not_ok "$name" "$tmp/problems"
	else
		ok "$name ($count commands and subcommands)"
	fi
else
	not_ok "$name (orgbridgectl --help failed)" "$tmp/err"
fi

# report_options NAME WHERE MIN: one result for "every option in
# $tmp/options is in $tmp/page"; fewer than MIN options found means the
# extraction from WHERE is out of step with the source.
report_options() {
	: > "$tmp/problems"
	while read -r opt; do
		grep -qe "$opt\\([^a-zA-Z-]\\|\$\\)" "$tmp/page" ||
			echo "$opt is not mentioned" >> "$tmp/problems"
	done < "$tmp/options"
	found=$(wc -l < "$tmp/options")
	[ "$found" -ge "$3" ] || echo "only $found options found in $2" >> "$tmp/problems"
	if [ -s "$tmp/problems" ]; then
		not_ok "$1" "$tmp/problems"
	else
		ok "$1 ($found options)"
	fi
}

# A getopt_long table's long options, as --name.
longopts() {
	sed -n 's/.*{ *"\([a-z][a-z-]*\)", *[a-z_]*_argument.*/--\1/p' "$1"
}

# 6: every long option the CLI parses ("--name" literals in src/cli/*.c,
# and the getopt table of src/cli/main.c) appears in orgbridgectl(8).
{
	cat "$src"/src/cli/*.c | grep -o '"--[a-z][a-z-]*"' | tr -d '"'
	longopts "$src/src/cli/main.c"
} | sort -u > "$tmp/options"
plain orgbridgectl.8 > "$tmp/page"
report_options "orgbridgectl(8) documents every option the CLI parses" src/cli 15

# 7: every option of orgbridged's getopt table (long and short) has an entry
# (a .TP tag) in the OPTIONS section of orgbridged(8).
{
	longopts "$src/src/main.c"
	sed -n 's/.*getopt_long([^"]*"\([^"]*\)".*/\1/p' "$src/src/main.c" |
		tr -d ':+' | sed 's/./-&\n/g' | sed '/^$/d'
} | sort -u > "$tmp/options"
plain orgbridged.8 | awk '/^\.SH / { on = ($0 == ".SH OPTIONS"); next }
	on && tp { print } { tp = on && $0 == ".TP" }' > "$tmp/page"
report_options "orgbridged(8) documents every option of the daemon" src/main.c 6

# 8-9: the real `make install` into a scratch DESTDIR puts the pages under
# $(mandir)/man8 and man5, where `man -M` finds them. MAKEFLAGS is dropped:
# the jobserver of the `make check` running this test is not ours.
name="make install puts the pages under \$(mandir)"
unit_docs="every Documentation= of the installed unit is installed"
dest="$tmp/dest"
if [ -z "${OB_MANDIR:-}" ]; then
	echo "OB_MANDIR is not set (run through make check)" > "$tmp/err"
	not_ok "$name" "$tmp/err"
	skip "man -M finds the installed pages" "nothing installed"
	skip "$unit_docs" "nothing installed"
elif ! env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$build" install \
	DESTDIR="$dest" > "$tmp/err" 2>&1; then
	not_ok "$name (make install failed)" "$tmp/err"
	skip "man -M finds the installed pages" "nothing installed"
	skip "$unit_docs" "nothing installed"
else
	mandir="$dest$OB_MANDIR"
	: > "$tmp/problems"
	for page in $pages; do
		f="$mandir/man${page##*.}/$page"
		cmp -s "$f" "$src/man/$page" || echo "$f missing or not the source page" >> "$tmp/problems"
	done
	if [ -s "$tmp/problems" ]; then
		not_ok "$name" "$tmp/problems"
	else
		ok "$name"
	fi
	name="man -M finds the installed pages"
	if ! command -v man >/dev/null 2>&1; then
		skip "$name" "man not installed"
	else
		: > "$tmp/problems"
		for page in $pages; do
			section=${page##*.}
			topic=${page%.*}
			want="$mandir/man$section/$page"
			got=$(MANPATH= man -M "$mandir" -w "$section" "$topic" 2>&1)
			[ "$got" = "$want" ] ||
				echo "man -M $mandir -w $section $topic: '$got', expected '$want'" >> "$tmp/problems"
			MANPATH= MANWIDTH=80 man -M "$mandir" "$section" "$topic" 2> /dev/null |
				grep -q "SEE ALSO" ||
				echo "man -M $mandir $section $topic does not show the page" >> "$tmp/problems"
		done
		if [ -s "$tmp/problems" ]; then
			not_ok "$name" "$tmp/problems"
		else
			ok "$name"
		fi
	fi
	# 10: systemctl help follows the unit's Documentation= lines.
	: > "$tmp/problems"
	unit=$(find "$dest" -name orgbridged.service | head -n 1)
	[ -n "$unit" ] || echo "make install installed no orgbridged.service" >> "$tmp/problems"
	for doc in $(sed -n 's/^Documentation=//p' "${unit:-/dev/null}"); do
		case $doc in
		file://*) f="$dest${doc#file://}" ;;
		man:*) topic=${doc#man:}; section=${topic#*(}; section=${section%)}
			topic=${topic%(*}; f="$mandir/man$section/$topic.$section" ;;
		*) f=/nonexistent ;;
		esac
		[ -f "$f" ] || echo "Documentation=$doc: $f is not installed" >> "$tmp/problems"
	done
	if [ -s "$tmp/problems" ]; then
		not_ok "$unit_docs" "$tmp/problems"
	else
		ok "$unit_docs"
	fi
fi

echo "1..$n"
