# A private apt state for fetching Debian packages into the build tree without installing
# anything (scripts/lib/fetch-qemu10, scripts/lib/fetch-linux). Sourced; needs common.sh's die.
#
# private_apt_init DIR SUITE...: writes DIR/sources.list naming each SUITE (e.g. bookworm
# bookworm-backports) on the mirror the host's /etc/apt/sources.list* already use, and sets
# the array `apt_opts` so that every directory apt writes to is under DIR. The host's dpkg
# status is only read (a simulated install may decide what the host lacks); it is named
# explicitly because with Dir::State moved apt may look for it at Dir::State/../dpkg/status.
# Downloads run as root without the _apt sandbox user, who could not write into a build tree
# owned by someone else.
#
# private_apt_update LOG: apt-get update of that state; false (log in LOG) when an index could
# not be fetched (--error-on=any: without it apt-get update exits 0 then).

PRIVATE_APT_KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
PRIVATE_APT_FALLBACK_MIRROR=http://deb.debian.org/debian

# private_apt_host_mirror SUITE: the first URI the host's apt sources use for SUITE (one-line
# .list files and deb822 .sources files).
private_apt_host_mirror() {
  local suite="$1" files=() f
  [[ -r /etc/apt/sources.list ]] && files+=(/etc/apt/sources.list)
  for f in /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [[ -r "$f" ]] && files+=("$f")
  done
  ((${#files[@]} > 0)) || return 0
  # mawk (Debian's default awk) has no ENDFILE: a deb822 stanza ends at a blank line, at the
  # next file (FNR == 1) or at the end.
  awk -v suite="$suite" '
    function stanza_end() {
      if (uris != "" && has_suite && is_deb) { print uris; found = 1; exit }
      uris = ""; has_suite = 0; is_deb = 0
    }
    FNR == 1 { stanza_end(); deb822 = FILENAME ~ /\.sources$/ }
    deb822 && /^[ \t]*$/ { stanza_end(); next }
    deb822 && $1 == "Types:" { for (i = 2; i <= NF; i++) if ($i == "deb") is_deb = 1 }
    deb822 && $1 == "URIs:" { uris = $2 }
    deb822 && $1 == "Suites:" { for (i = 2; i <= NF; i++) if ($i == suite) has_suite = 1 }
    !deb822 && $1 == "deb" {
      n = 2
      if ($2 ~ /^\[/) { while (n <= NF && $n !~ /\]$/) n++; n++ }
      if ($(n + 1) == suite) { print $n; found = 1; exit }
    }
    END { if (!found) stanza_end() }
  ' "${files[@]}"
}

private_apt_init() {
  local state="$1"
  shift
  [[ -r "$PRIVATE_APT_KEYRING" ]] ||
    die "$PRIVATE_APT_KEYRING is missing (package debian-archive-keyring)"
  local mirror
  mirror="$(private_apt_host_mirror "$1" || true)"
  if [[ -z "$mirror" ]]; then
    mirror="$PRIVATE_APT_FALLBACK_MIRROR"
    echo "$(basename "$0"): no '$1' source in /etc/apt/sources.list*; using $mirror" >&2
  fi
  mkdir -p "$state/lists/partial" "$state/cache/archives/partial"
  {
    echo "# Private to $(basename "$0"): never read by the host's apt."
    local suite
    for suite in "$@"; do
      echo "deb [signed-by=$PRIVATE_APT_KEYRING] $mirror $suite main"
    done
  } >"$state/sources.list"
  apt_opts=(
    -o "Dir::State=$state" -o "Dir::State::Lists=$state/lists"
    -o "Dir::State::status=/var/lib/dpkg/status"
    -o "Dir::Cache=$state/cache" -o "Dir::Etc::SourceList=$state/sources.list"
    -o "Dir::Etc::SourceParts=/dev/null" -o "APT::Sandbox::User=root"
  )
  PRIVATE_APT_MIRROR="$mirror"
}

private_apt_update() {
  apt-get "${apt_opts[@]}" -q --error-on=any update >"$1" 2>&1
}
