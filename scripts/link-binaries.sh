#!/usr/bin/env bash
# Puts offsite, ec2-backup and s3export (the shell entries that exec Node 24) on PATH and their man pages where man finds them, as symbolic links into
# this checkout, so a rebuild is picked up without linking again. Run by scripts/setup.sh; safe to run again.
#   OFFSITE_BIN_DIR  where the commands go (default /usr/local/bin)
#   OFFSITE_MAN_DIR  where the man pages go (default /usr/local/share/man/man1)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
bin_dir="${OFFSITE_BIN_DIR:-/usr/local/bin}"
man_dir="${OFFSITE_MAN_DIR:-/usr/local/share/man/man1}"

say() { printf 'setup: %s\n' "$*"; }

# A link we made (into any offsite checkout) is replaced; anything else with that name is left alone.
link() {
  local target="$1" link_path="$2"
  if [ -L "$link_path" ] || [ ! -e "$link_path" ]; then
    ln -sfn "$target" "$link_path"
    return 0
  fi
  say "left $link_path alone: it is not a link this set-up made (remove it, then run me again)"
  return 1
}

mkdir -p "$bin_dir" "$man_dir"
linked=()
for name in offsite ec2-backup s3export; do
  link "$PWD/bin/$name" "$bin_dir/$name" && linked+=("$name")
  if [ -f "man/$name.1" ]; then link "$PWD/man/$name.1" "$man_dir/$name.1" || true; fi
done
if [ "${#linked[@]}" -gt 0 ]; then
  say "on PATH: ${linked[*]} (links in $bin_dir to $PWD/bin; man pages in $man_dir)"
fi
case ":$PATH:" in
  *":$bin_dir:"*) ;;
  *) say "note: $bin_dir is not on this shell's PATH" ;;
esac
