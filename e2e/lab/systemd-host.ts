// A lab host with systemd as PID 1, as every CentOS 7 server has: a container
// booted by systemd-nspawn inside the host's network namespace, on an overlay
// whose lower layer is the cached root (systemd-root.ts) and whose upper layer
// is the host's own disk under the lab directory. The overlay is mounted in a
// private mount namespace that lives as long as nspawn does, so nothing is
// mounted on the machine itself and the cache stays clean.
//
// Rebooting = SIGTERM to nspawn (the container shuts down cleanly: units stop,
// iptables.service's ExecStop runs), flushing the namespace's tables (a real
// reboot starts with empty tables), and booting again over the same disk and
// namespace. A power cut kills the container instead of shutting it down.
import { existsSync, mkdirSync, openSync, closeSync, readFileSync, readdirSync, symlinkSync, copyFileSync, chmodSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { run, runSync } from './run.js';
import { keygen, pidAlive, write } from './util.js';
import { FIREWALL_CMD, FIREWALLD_SERVICE, IP6TABLES_INIT, IP6TABLES_SERVICE, IPTABLES_INIT, IPTABLES_SERVICE, systemdSshdConfig } from './systemd-fixtures.js';
import { OS_RELEASE, REDHAT_RELEASE, STOCK_IP6TABLES, fakeRpm, iptablesConfig } from './fixtures.js';
import type { LabHostSpec } from './hosts.js';

export interface SystemdHostPlan {
  spec: LabHostSpec;
  ns: string;
  dir: string;
  listen: string[];
}

export interface Booted {
  /** the container's PID 1 as the machine sees it: enter the host's namespaces through it */
  initPid: number;
  nspawnPid: number;
}

const LEGACY_TOOLS = ['iptables', 'iptables-save', 'iptables-restore', 'ip6tables', 'ip6tables-save', 'ip6tables-restore'];

/**
 * The host's own files, in the upper layer of its overlay: what makes the
 * Debian root look like a CentOS 7 server with iptables-services in charge.
 */
export async function writeSystemdHostFiles(p: SystemdHostPlan, authorizedKeys: string, seedPath: string | null): Promise<string[]> {
  const up = join(p.dir, 'upper');
  for (const d of ['etc/sysconfig', 'etc/alternatives', 'etc/ssh/authorized_keys', 'etc/systemd/system/basic.target.wants', 'usr/libexec/iptables', 'usr/lib/systemd/system', 'usr/local/sbin', 'var/log'])
    mkdirSync(join(up, d), { recursive: true, mode: 0o755 });
  for (const d of ['work', 'root']) mkdirSync(join(p.dir, d), { recursive: true, mode: 0o755 });

  const etc = join(up, 'etc');
  const name = `c7-${p.spec.name}`;
  write(join(etc, 'hostname'), `${name}\n`);
  write(join(etc, 'hosts'), `127.0.0.1   localhost localhost.localdomain ${name}\n::1         localhost localhost.localdomain\n`);
  write(join(etc, 'os-release'), OS_RELEASE);
  for (const f of ['redhat-release', 'centos-release', 'system-release']) write(join(etc, f), REDHAT_RELEASE);
  // legacy iptables as `iptables`, as CentOS 7 has it (Debian's alternatives point at -nft)
  for (const t of LEGACY_TOOLS) symlinkSync(`/usr/sbin/${t.replace(/^(ip6?tables)/, '$1-legacy')}`, join(etc, 'alternatives', t));

  write(join(etc, 'sysconfig', 'iptables-config'), iptablesConfig(p.spec.iptablesConfig), 0o600);
  write(join(etc, 'sysconfig', 'ip6tables-config'), iptablesConfig(p.spec.ip6tablesConfig ?? {}, 'ip6'), 0o600);
  // ip6tables.service as iptables-services has it: enabled where the host has an /etc/sysconfig/ip6tables
  if (p.spec.seed6) {
    write(join(etc, 'sysconfig', 'ip6tables'), p.spec.seed6 === 'stock' ? STOCK_IP6TABLES : readFileSync(p.spec.seed6), 0o600);
    symlinkSync('/usr/lib/systemd/system/ip6tables.service', join(etc, 'systemd/system/basic.target.wants/ip6tables.service'));
  }
  write(join(up, 'usr/libexec/iptables/ip6tables.init'), IP6TABLES_INIT, 0o755);
  write(join(up, 'usr/lib/systemd/system/ip6tables.service'), IP6TABLES_SERVICE);
  if (seedPath) {
    copyFileSync(seedPath, join(etc, 'sysconfig', 'iptables'));
    chmodSync(join(etc, 'sysconfig', 'iptables'), 0o600);
  }

  write(join(up, 'usr/libexec/iptables/iptables.init'), IPTABLES_INIT, 0o755);
  write(join(up, 'usr/lib/systemd/system/iptables.service'), IPTABLES_SERVICE);
  write(join(up, 'usr/lib/systemd/system/firewalld.service'), FIREWALLD_SERVICE);
  symlinkSync('/usr/lib/systemd/system/iptables.service', join(etc, 'systemd/system/basic.target.wants/iptables.service'));
  write(join(up, 'usr/local/sbin/rpm'), fakeRpm(p.spec.packages), 0o755);
  write(join(up, 'usr/local/sbin/firewall-cmd'), FIREWALL_CMD, 0o755);

  // sshd: our host keys and config, root by key only
  const types = ['ed25519', 'ecdsa'] as const;
  await Promise.all(types.map((t) => keygen(join(etc, 'ssh', `ssh_host_${t}_key`), t, `root@${p.spec.name}`)));
  write(join(etc, 'ssh', 'sshd_config'), systemdSshdConfig(p.listen));
  write(join(etc, 'ssh', 'authorized_keys', 'root'), authorizedKeys, 0o600);
  return types.map((t) => readFileSync(join(etc, 'ssh', `ssh_host_${t}_key.pub`), 'utf8').trim());
}

const BOOT_WRAPPER = [
  'set -e',
  'mount -t overlay overlay -o "lowerdir=$1,upperdir=$2,workdir=$3" "$4"',
  'exec systemd-nspawn -D "$4" -b --register=no --keep-unit --machine="$6" --console=passive --capability=CAP_NET_ADMIN,CAP_NET_RAW --network-namespace-path="/run/netns/$5"',
].join('\n');

/** The process in the namespace that is PID 1 of its own PID namespace: the container's systemd. */
function containerInit(ns: string): number | undefined {
  const pids = runSync(['ip', 'netns', 'pids', ns], { allowFail: true }).stdout.toString().split(/\s+/).filter(Boolean);
  for (const pid of pids) {
    try {
      const nspid = /^NSpid:\s+(.*)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1].trim().split(/\s+/);
      if (nspid && nspid.length > 1 && nspid[nspid.length - 1] === '1') return Number(pid);
    } catch {
      /* gone */
    }
  }
  return undefined;
}

export function enterArgv(initPid: number, argv: string[]): string[] {
  return ['nsenter', '-t', String(initPid), '-m', '-n', '-u', '-i', '-p', '--', ...argv];
}

/** Boots the container and waits until systemd finished booting and sshd runs. */
export async function bootSystemdHost(p: SystemdHostPlan, root: string, persistent: boolean): Promise<Booted> {
  const log = openSync(join(p.dir, 'console.log'), 'a');
  const child = spawn('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', BOOT_WRAPPER, 'sh', root, join(p.dir, 'upper'), join(p.dir, 'work'), join(p.dir, 'root'), p.ns, p.ns], {
    detached: persistent,
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  child.unref();
  const nspawnPid = child.pid!;
  const console = () => (existsSync(join(p.dir, 'console.log')) ? readFileSync(join(p.dir, 'console.log'), 'utf8').slice(-3000) : '');
  const end = Date.now() + 60_000;
  let initPid: number | undefined;
  let state = '';
  while (Date.now() < end) {
    if (!pidAlive(nspawnPid) || child.exitCode !== null) throw new Error(`lab: systemd-nspawn for ${p.spec.name} exited:\n${console()}`);
    initPid ??= containerInit(p.ns);
    if (initPid) {
      const units = ['ssh.service', 'iptables.service', ...(p.spec.seed6 ? ['ip6tables.service'] : [])];
      const r = await run(enterArgv(initPid, ['systemctl', 'is-active', ...units]), { allowFail: true });
      state = r.stdout.toString().trim().replace(/\n/g, ' ');
      const boot = await run(enterArgv(initPid, ['systemctl', 'is-system-running']), { allowFail: true });
      if (r.code === 0 && /^(running|degraded)$/.test(boot.stdout.toString().trim())) return { initPid, nspawnPid };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`lab: ${p.spec.name} did not boot within 60 s (ssh, iptables, ip6tables: ${state || 'unknown'}):\n${console()}`);
}

/** Shuts the container down: cleanly (SIGTERM to nspawn: units stop) or as a power cut (SIGKILL to everything in it). */
export async function haltSystemdHost(ns: string, nspawnPid: number, how: 'clean' | 'power-cut'): Promise<void> {
  if (how === 'clean') {
    try {
      process.kill(nspawnPid, 'SIGTERM');
    } catch {
      /* already gone */
    }
  } else {
    const pids = runSync(['ip', 'netns', 'pids', ns], { allowFail: true }).stdout.toString().split(/\s+/).filter(Boolean);
    for (const pid of pids) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }
  const end = Date.now() + 30_000;
  while (pidAlive(nspawnPid) && !isZombie(nspawnPid)) {
    if (Date.now() > end) throw new Error(`lab: the container in ${ns} did not stop within 30 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
  // a real reboot starts with empty tables
  await run(['ip', 'netns', 'exec', ns, 'sh', '-c', FLUSH_TABLES]);
}

function isZombie(pid: number): boolean {
  try {
    return / Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\)/, ''));
  } catch {
    return true;
  }
}

const FLUSH_TABLES = `for f in ip ip6; do
  x=\${f}tables-legacy
  for t in $(cat /proc/net/\${f}_tables_names 2>/dev/null); do
    $x -t "$t" -F; $x -t "$t" -X; $x -t "$t" -Z
    for c in $($x -t "$t" -S | sed -n 's/^-P \\([^ ]*\\) .*/\\1/p'); do $x -t "$t" -P "$c" ACCEPT; done
  done
done`;

/** nspawn processes of a lab slot that outlived their container (teardown, synchronous). */
export function nspawnPidsOf(nsPrefix: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0');
      if (cmd[0].endsWith('systemd-nspawn') && cmd.some((a) => a.startsWith(`--machine=${nsPrefix}`))) out.push(Number(d));
    } catch {
      /* gone */
    }
  }
  return out;
}
