// The root file system of the lab's systemd hosts: Debian's systemd, sshd and
// iptables from debootstrap, built once and cached between runs (about 2
// minutes and 280 MB). Everything that makes it a CentOS 7 look-alike lives in
// each host's overlay (systemd-host.ts), so the cache is plain debootstrap
// output and changing the lab never needs a rebuild.
//
// Concurrent builds (two test files starting at once, `lab up` beside a test
// run) are serialised by flock(1) on a lock file; the build goes into a
// temporary directory that is renamed into place only when complete, so a
// half-built root is never used and a killed build leaves only litter that
// the next build removes.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { run, runSync } from './run.js';

const RECIPE = {
  suite: 'bookworm',
  variant: 'minbase',
  include: ['systemd', 'systemd-sysv', 'dbus', 'iptables', 'openssh-server', 'iproute2'],
};

export function labCacheDir(): string {
  return process.env.PCL_LAB_CACHE ?? '/var/cache/portcullis-lab';
}

/** The cached root for the current recipe (present or not). */
export function systemdRootPath(): string {
  const key = createHash('sha256').update(JSON.stringify(RECIPE)).digest('hex').slice(0, 12);
  return join(labCacheDir(), `${RECIPE.suite}-systemd-${key}`, 'root');
}

// $1 cache dir, $2 final dir (…/KEY), $3 suite, $4 variant, $5 include list
const BUILD_SCRIPT = `set -eu
cache=$1; final=$2
[ -d "$final/root" ] && exit 0
# litter of builds that were killed: we hold the lock, nobody else is building
rm -rf "$cache"/.build-*
tmp=$(mktemp -d "$cache/.build-XXXXXX")
if ! debootstrap --variant="$4" --include="$5" "$3" "$tmp/root" > "$tmp/debootstrap.log" 2>&1; then
  tail -n 20 "$tmp/debootstrap.log" >&2
  rm -rf "$tmp"
  exit 1
fi
rm -rf "$final"
mv "$tmp" "$final"
`;

/** Why systemd hosts cannot run here, or undefined. */
export function systemdUnavailableReason(): string | undefined {
  for (const tool of ['systemd-nspawn', 'flock', 'nsenter']) {
    if (runSync(['sh', '-c', `command -v ${tool}`], { allowFail: true }).code !== 0) return `systemd hosts need ${tool} (packages systemd-container, util-linux)`;
  }
  if (!existsSync(systemdRootPath()) && runSync(['sh', '-c', 'command -v debootstrap'], { allowFail: true }).code !== 0)
    return 'systemd hosts need debootstrap to build their root file system once';
  return undefined;
}

/** The cached root, built first when missing (minutes: give the caller's hook a long timeout). */
export async function ensureSystemdRoot(): Promise<string> {
  const root = systemdRootPath();
  if (existsSync(root)) return root;
  const cache = labCacheDir();
  mkdirSync(cache, { recursive: true, mode: 0o755 });
  const final = join(root, '..');
  await run(['flock', '-w', '900', join(cache, '.build.lock'), 'sh', '-c', BUILD_SCRIPT, 'sh', cache, final, RECIPE.suite, RECIPE.variant, RECIPE.include.join(',')], {
    timeoutMs: 1_000_000,
  });
  if (!existsSync(root)) throw new Error(`lab: building the systemd root in ${final} did not produce ${root}`);
  return root;
}
