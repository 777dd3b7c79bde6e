// The lab: CentOS-like hosts in network namespaces on this machine, each with
// its own sshd, users, sudoers, /etc/sysconfig and iptables-legacy, reached
// from the root namespace over veth links with addresses from 198.18.0.0/15.
//
// Isolation per host: a private mount namespace in which /etc is an overlay
// (the real /etc below, the host's own files above: passwd, shadow, group,
// sudoers, os-release, sysconfig/, alternatives/iptables* -> *-legacy), a
// tmpfs /run (sshd privsep dir, sudo timestamps, xtables lock) and fixture
// tools bound over /usr/local/sbin. The overlay gives every file the brief
// asks to bind-mount and more (redhat-release, hosts) without creating mount
// points in the machine's /etc, so nothing outside the lab directory changes.
//
// Everything the lab makes carries the prefix `pcl`: namespaces `pcl-s<N>-<host>`,
// links `pcls<N>…`, directories under /tmp/pcl-lab/s<N>. `downAll()` removes
// everything with that prefix; each lab removes its own on stop(), at process
// exit, and labs whose owner process died are reaped by the next startLab().
import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
  openSync,
  closeSync,
} from 'node:fs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { run, runSync, type RunResult } from './run.js';
import { sha512Crypt } from './sha512-crypt.js';
import { fingerprintOf, keygen, pidAlive, waitFor, write } from './util.js';
import { ensureSystemdRoot, systemdUnavailableReason } from './systemd-root.js';
import { bootSystemdHost, enterArgv, haltSystemdHost, nspawnPidsOf, writeSystemdHostFiles } from './systemd-host.js';
import { DEFAULT_HOSTS, LAB_PASSWORDS, withDependencies, type LabHostSpec, type LabUserSpec } from './hosts.js';
import {
  FIREWALLD_LIVE_RULES,
  OS_RELEASE,
  REDHAT_RELEASE,
  STOCK_IP6TABLES,
  fakeFirewallCmd,
  fakeRpm,
  fakeSystemctl,
  iptablesConfig,
  stockRulesetPath,
  sudoers,
  CENTOS_BASHRC,
  CENTOS_BASH_PROFILE,
} from './fixtures.js';

export const LAB_PASSPHRASE = 'lab key passphrase';
export { LAB_PASSWORDS };

export function labRoot(): string {
  return process.env.PCL_LAB_ROOT ?? join(tmpdir(), 'pcl-lab');
}

export interface LabHostKey {
  type: string;
  /** `type base64` as in a .pub file */
  publicKey: string;
  /** OpenSSH style: SHA256:base64-without-padding */
  fingerprint: string;
}

export interface LabHost {
  name: string;
  namespace: string;
  /** the address the host's sshd listens on, as seen from its side of the route */
  address: string;
  port: number;
  /** ssh_config aliases of the jump hosts in order, empty for hosts on the root namespace */
  via: string[];
  /** the address this host sees connections from (root namespace end, or the previous hop) */
  peerAddress: string;
  /** the same two on the link's IPv6 side (2001:db8::/32): sshd listens on both */
  address6: string;
  peerAddress6: string;
  /** sshd's PID; on a systemd host the container's PID 1 (both: the process to enter the host through) */
  sshdPid: number;
  /** 'systemd': a container with systemd as PID 1, booted by systemd-nspawn (nspawnPid) */
  kind: 'namespace' | 'systemd';
  nspawnPid?: number;
  hostKeys: LabHostKey[];
  users: LabUserSpec[];
  spec: LabHostSpec;
}

export interface LabKeys {
  /** unencrypted ed25519, authorized for root everywhere and for the key users */
  plain: string;
  /** ed25519 protected by LAB_PASSPHRASE, authorized for root everywhere */
  passphrase: string;
  /** RSA in legacy PEM form, authorized for root everywhere */
  rsa: string;
  /** only inside the lab's ssh-agent, authorized for root everywhere */
  agent: string;
  /** authorized nowhere */
  stranger: string;
}

export interface Lab {
  id: string;
  slot: number;
  dir: string;
  hosts: Record<string, LabHost>;
  sshConfigPath: string;
  /** hashed by `ssh-keygen -H`, as on distributions with HashKnownHosts yes */
  knownHostsPath: string;
  /** the same entries in clear text */
  knownHostsClearPath: string;
  /** = keys.plain */
  keyPath: string;
  keys: LabKeys;
  agentSocket: string;
  /** on a lab link, answering nobody: connections to it time out */
  unreachableAddress: string;
  /** the stock ruleset file the hosts were seeded with */
  stockRuleset: string;
  /** sshd's own log of a host (LogLevel VERBOSE): every accepted and failed login */
  sshdLog(host: string): string;
  /** runs argv inside the host (its mount, network and UTS namespaces), bypassing ssh: ground truth */
  hostExec(host: string, argv: string[], input?: string | Buffer): Promise<RunResult>;
  /** the file as the host holds it, or null when absent */
  readHostFile(host: string, path: string): Promise<Buffer | null>;
  /**
   * Restarts a systemd host: a clean shutdown (units stop, iptables.service's ExecStop runs) or a
   * power cut, empty tables (as after any reboot), then a boot over the same disk and namespace.
   */
  rebootHost(host: string, how?: 'clean' | 'power-cut'): Promise<void>;
  stop(): Promise<void>;
}

export interface StartLabOptions {
  /** hosts to start (plus those they are reached through); default: all */
  hosts?: string[];
  /** replace a host's /etc/sysconfig/iptables seed with this file */
  seeds?: Record<string, string>;
  /** survive the starting process (for `npm run lab -- up`) */
  persistent?: boolean;
}

interface LabState {
  id: string;
  slot: number;
  ownerPid: number;
  persistent: boolean;
  createdAt: string;
  ready: boolean;
  hosts: Record<string, Omit<LabHost, 'spec'>>;
  agentPid?: number;
  sshConfigPath?: string;
}

const SLOT_MIN = 1;
const NSPAWN_PROPAGATE = '/run/systemd/nspawn/propagate';
const SLOT_MAX = 250;

// ---------------------------------------------------------------- teardown

function listNetns(): string[] {
  const r = runSync(['ip', 'netns', 'list'], { allowFail: true });
  return r.stdout
    .toString()
    .split('\n')
    .map((l) => l.split(' ')[0])
    .filter(Boolean);
}

function listLinks(): string[] {
  const r = runSync(['ip', '-o', 'link', 'show'], { allowFail: true });
  const names: string[] = [];
  for (const line of r.stdout.toString().split('\n')) {
    const m = /^\d+:\s+([^:@\s]+)/.exec(line);
    if (m) names.push(m[1]);
  }
  return names;
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Removes namespaces and links whose names match, ending every process inside
 * first (sshd, sessions, whatever a test left running). Synchronous on purpose:
 * it also runs from exit handlers, where no promise would settle.
 */
function removeByPrefix(nsPrefix: string, linkPrefix: RegExp, agentPid?: number): void {
  const namespaces = listNetns().filter((n) => n.startsWith(nsPrefix));
  const pidsIn = (ns: string) =>
    runSync(['ip', 'netns', 'pids', ns], { allowFail: true })
      .stdout.toString()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  const signal = (pids: number[], sig: NodeJS.Signals) => {
    for (const pid of pids) {
      try {
        process.kill(pid, sig);
      } catch {
        /* already gone */
      }
    }
  };
  // SIGTERM first so sshd reaps its own session children instead of orphaning them
  let left = namespaces.flatMap(pidsIn);
  signal(left, 'SIGTERM');
  for (let i = 0; i < 25 && left.length; i++) {
    sleepSync(20);
    left = left.filter(pidAlive).filter((pid) => !isZombie(pid));
  }
  signal(left, 'SIGKILL');
  // SIGKILL is delivered, not done: on a busy machine a process takes a moment to go
  for (let i = 0; i < 100 && left.length; i++) {
    left = left.filter(pidAlive).filter((pid) => !isZombie(pid));
    if (left.length) sleepSync(20);
  }
  for (const ns of namespaces) runSync(['ip', 'netns', 'del', ns], { allowFail: true });
  for (const l of listLinks()) if (linkPrefix.test(l)) runSync(['ip', 'link', 'del', l], { allowFail: true });
  if (agentPid && pidAlive(agentPid)) {
    // only if it is still our agent, not a recycled pid
    const cmd = existsSync(`/proc/${agentPid}/cmdline`) ? readFileSync(`/proc/${agentPid}/cmdline`, 'utf8') : '';
    if (cmd.includes('ssh-agent') && cmd.includes('pcl-lab')) process.kill(agentPid, 'SIGTERM');
  }
}

function isZombie(pid: number): boolean {
  try {
    return / Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\)/, ''));
  } catch {
    return true;
  }
}

function readState(dir: string): LabState | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as LabState;
  } catch {
    return undefined;
  }
}

function teardownSlot(slot: number): void {
  const dir = join(labRoot(), `s${slot}`);
  const state = readState(dir);
  removeByPrefix(`pcl-s${slot}-`, new RegExp(`^pcls${slot}[hi]`), state?.agentPid);
  // nspawn ends with its container (killed above): wait for it while it is still our child, so it is
  // reaped, and end one that lingers; its propagation directory is left behind when it is killed
  const nspawns = nspawnPidsOf(`pcl-s${slot}-`);
  for (let i = 0; i < 100 && nspawns.some((p) => pidAlive(p) && !isZombie(p)); i++) sleepSync(20);
  for (const pid of nspawns.filter(pidAlive)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  for (const d of existsSync(NSPAWN_PROPAGATE) ? readdirSync(NSPAWN_PROPAGATE) : [])
    if (d.startsWith(`pcl-s${slot}-`)) rmSync(join(NSPAWN_PROPAGATE, d), { recursive: true, force: true });
  // a host's process the kernel has not ended yet (at load 38 on two cores: seconds) can still write its log
  // into the directory while it is removed (ENOTEMPTY): Node retries those, 100 ms apart, for up to 5 s
  rmSync(dir, { recursive: true, force: true, maxRetries: 50, retryDelay: 100 });
}

/**
 * `npm run lab -- down`: removes the persistent lab, labs whose test run died,
 * and anything of ours without a directory. A lab whose test process is still
 * running is left to that process (it removes it when it ends) unless `force`:
 * pulling hosts out from under a running suite would only fail it.
 */
export function downAll(opts: { force?: boolean } = {}): { removed: string[]; inUse: string[] } {
  const removed: string[] = [];
  const inUse: string[] = [];
  const root = labRoot();
  const slots = existsSync(root) ? readdirSync(root).filter((d) => /^s\d+$/.test(d)) : [];
  const kept = new Set<number>();
  for (const d of slots) {
    const slot = Number(d.slice(1));
    const st = readState(join(root, d));
    const live = st && !st.persistent && st.ownerPid !== process.pid && pidAlive(st.ownerPid);
    const starting = !st && Date.now() - statSync(join(root, d)).mtimeMs < 120_000;
    if ((live || starting) && !opts.force) {
      kept.add(slot);
      inUse.push(`${join(root, d)} (test run, pid ${st?.ownerPid ?? '?'})`);
      continue;
    }
    teardownSlot(slot);
    removed.push(join(root, d));
  }
  // namespaces of ours that a crashed run left without a directory; only the lab's
  // own pattern (pcl-s<N>-…): other tools of the project use pcl- names too
  for (const ns of listNetns()) {
    const m = /^pcl-s(\d+)-/.exec(ns);
    if (m && !kept.has(Number(m[1]))) {
      removed.push(ns);
      teardownSlot(Number(m[1]));
    }
  }
  for (const l of listLinks()) {
    const m = /^pcls(\d+)[hi]/.exec(l);
    if (m && !kept.has(Number(m[1]))) runSync(['ip', 'link', 'del', l], { allowFail: true });
  }
  return { removed, inUse };
}

/** Labs whose owner process is gone (a killed test run) are removed before a new one starts. */
export function reapStaleLabs(): void {
  const root = labRoot();
  if (!existsSync(root)) return;
  for (const d of readdirSync(root)) {
    if (!/^s\d+$/.test(d)) continue;
    const dir = join(root, d);
    const st = readState(dir);
    if (st?.persistent) continue;
    const stale = st ? !pidAlive(st.ownerPid) : Date.now() - statSync(dir).mtimeMs > 120_000;
    if (stale) teardownSlot(Number(d.slice(1)));
  }
}

function claimSlot(): { slot: number; dir: string } {
  const root = labRoot();
  mkdirSync(root, { recursive: true, mode: 0o755 });
  chmodSync(root, 0o755);
  // the ip addresses of a slot may still be held by a foreign lab: skip those too
  const used = runSync(['ip', '-o', '-4', 'addr', 'show'], { allowFail: true }).stdout.toString();
  const namespaces = listNetns();
  for (let slot = SLOT_MIN; slot <= SLOT_MAX; slot++) {
    if (used.includes(`198.18.${slot}.`)) continue;
    if (namespaces.some((n) => n.startsWith(`pcl-s${slot}-`))) continue;
    const dir = join(root, `s${slot}`);
    try {
      mkdirSync(dir, { mode: 0o755 }); // atomic: two test files starting at once get different slots
      return { slot, dir };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  throw new Error('lab: no free slot (run `npm run lab -- down`)');
}

// ---------------------------------------------------------------- safety net

const activeSlots = new Set<number>();
let safetyNetInstalled = false;
function installSafetyNet(): void {
  if (safetyNetInstalled) return;
  safetyNetInstalled = true;
  const cleanAll = () => {
    for (const slot of activeSlots) {
      try {
        teardownSlot(slot);
      } catch {
        /* best effort at exit */
      }
    }
    activeSlots.clear();
  };
  process.once('exit', cleanAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      cleanAll();
      process.exit(128 + (sig === 'SIGINT' ? 2 : sig === 'SIGTERM' ? 15 : 1));
    });
  }
}

// ---------------------------------------------------------------- helpers

function hashPassword(pw: string): string {
  const salt = randomBytes(12).toString('base64').replace(/[^A-Za-z0-9]/g, '').slice(0, 16);
  return sha512Crypt(pw, salt);
}

// ---------------------------------------------------------------- bring-up

interface Plan {
  spec: LabHostSpec;
  ns: string;
  address: string;
  peerAddress: string;
  address6: string;
  peerAddress6: string;
  /** addresses sshd listens on: its own, plus its ends of links to hosts behind it (IPv6 in brackets) */
  listen: string[];
  via: string[];
  dir: string;
}

function planAddresses(slot: number, specs: LabHostSpec[], dir: string): { plans: Plan[]; unreachable: string } {
  const plans: Plan[] = [];
  let outer = 0;
  let inner = 0;
  let unreachable = '';
  for (const spec of specs) {
    const ns = `pcl-s${slot}-${spec.name}`;
    const hostDir = join(dir, 'hosts', spec.name);
    if (!spec.behind) {
      const link = outer++;
      const base = 8 * link;
      // written as the kernel prints it (SSH_CONNECTION, ip addr): link 0's zero group compressed away
      const v6 = link === 0 ? `2001:db8:${slot}::` : `2001:db8:${slot}:${link}::`;
      const p: Plan = {
        spec,
        ns,
        address: `198.18.${slot}.${base + 2}`,
        peerAddress: `198.18.${slot}.${base + 1}`,
        address6: `${v6}2`,
        peerAddress6: `${v6}1`,
        listen: [`198.18.${slot}.${base + 2}`, `[${v6}2]`],
        via: [],
        dir: hostDir,
      };
      if (!unreachable) unreachable = `198.18.${slot}.${base + 3}`;
      plans.push(p);
    } else {
      const parent = plans.find((p) => p.spec.name === spec.behind);
      if (!parent) throw new Error(`lab: ${spec.name} is behind ${spec.behind}, which must come first`);
      const link = inner++;
      const base = 8 * link;
      const parentEnd = `198.19.${slot}.${base + 1}`;
      const v6 = `2001:db8:${slot}:${100 + link}::`;
      parent.listen.push(parentEnd, `[${v6}1]`);
      plans.push({
        spec,
        ns,
        address: `198.19.${slot}.${base + 2}`,
        peerAddress: parentEnd,
        address6: `${v6}2`,
        peerAddress6: `${v6}1`,
        listen: [`198.19.${slot}.${base + 2}`, `[${v6}2]`],
        via: [...parent.via, parent.spec.name],
        dir: hostDir,
      });
    }
  }
  return { plans, unreachable };
}

async function createNetworks(slot: number, plans: Plan[]): Promise<void> {
  await Promise.all(plans.map((p) => run(['ip', 'netns', 'add', p.ns])));
  await Promise.all(
    plans.map(async (p, i) => {
      const ipn = (...a: string[]) => run(['ip', '-n', p.ns, ...a]);
      await ipn('link', 'set', 'lo', 'up');
      if (!p.spec.behind) {
        const root = `pcls${slot}h${i}`;
        await run(['ip', 'link', 'add', root, 'type', 'veth', 'peer', 'name', `${root}p`, 'netns', p.ns]);
        await run(['ip', 'addr', 'add', `${p.peerAddress}/29`, 'dev', root]);
        await run(['ip', '-6', 'addr', 'add', `${p.peerAddress6}/64`, 'dev', root, 'nodad']);
        await run(['ip', 'link', 'set', root, 'up']);
        await ipn('link', 'set', `${root}p`, 'name', 'eth0');
        await ipn('addr', 'add', `${p.address}/29`, 'dev', 'eth0');
        await ipn('-6', 'addr', 'add', `${p.address6}/64`, 'dev', 'eth0', 'nodad');
        await ipn('link', 'set', 'eth0', 'up');
      } else {
        const parent = plans.find((q) => q.spec.name === p.spec.behind)!;
        const a = `pcls${slot}i${i}a`;
        const b = `pcls${slot}i${i}b`;
        await run(['ip', 'link', 'add', a, 'netns', parent.ns, 'type', 'veth', 'peer', 'name', b, 'netns', p.ns]);
        const pend = `to-${p.spec.name}`.slice(0, 15);
        await run(['ip', '-n', parent.ns, 'link', 'set', a, 'name', pend]);
        await run(['ip', '-n', parent.ns, 'addr', 'add', `${p.peerAddress}/29`, 'dev', pend]);
        await run(['ip', '-n', parent.ns, '-6', 'addr', 'add', `${p.peerAddress6}/64`, 'dev', pend, 'nodad']);
        await run(['ip', '-n', parent.ns, 'link', 'set', pend, 'up']);
        await ipn('link', 'set', b, 'name', 'eth0');
        await ipn('addr', 'add', `${p.address}/29`, 'dev', 'eth0');
        await ipn('-6', 'addr', 'add', `${p.address6}/64`, 'dev', 'eth0', 'nodad');
        await ipn('link', 'set', 'eth0', 'up');
      }
      // net.* under /proc/sys is per network namespace (no procps needed for sysctl)
      if (p.spec.ipForward) await run(['ip', 'netns', 'exec', p.ns, 'sh', '-c', 'echo 1 > /proc/sys/net/ipv4/ip_forward']);
    }),
  );
}

/** A systemd host's files go into its overlay (systemd-host.ts); the lab's keys are authorized for root. */
async function writeSystemdFiles(p: Plan, keys: LabKeys, stock: string, seeds: Record<string, string>): Promise<LabHostKey[]> {
  const pub = (k: string) => readFileSync(k + '.pub', 'utf8');
  const seedPath = seeds[p.spec.name] ?? (p.spec.seed === 'stock' ? stock : p.spec.seed);
  const pubs = await writeSystemdHostFiles(p, [keys.plain, keys.passphrase, keys.rsa, keys.agent].map(pub).join(''), seedPath);
  return pubs.map((pub) => {
    const [type, b64] = pub.split(/\s+/);
    return { type, publicKey: `${type} ${b64}`, fingerprint: fingerprintOf(pub) };
  });
}

async function writeHostFiles(
  p: Plan,
  keys: LabKeys,
  hashes: Map<string, string>,
  stock: string,
  seeds: Record<string, string>,
): Promise<LabHostKey[]> {
  const H = p.dir;
  const spec = p.spec;
  for (const d of ['etc/sysconfig', 'etc/alternatives', 'etc-work', 'bin', 'keys', 'authorized_keys', 'home'])
    mkdirSync(join(H, d), { recursive: true, mode: 0o755 });

  // host keys
  const types: ('ed25519' | 'ecdsa' | 'rsa')[] = spec.name === 'plain' ? ['ed25519', 'ecdsa', 'rsa'] : ['ed25519', 'ecdsa'];
  await Promise.all(types.map((t) => keygen(join(H, 'keys', `ssh_host_${t}_key`), t, `root@${spec.name}`)));
  const hostKeys = types.map((t) => {
    const pub = readFileSync(join(H, 'keys', `ssh_host_${t}_key.pub`), 'utf8').trim();
    const [type, b64] = pub.split(/\s+/);
    return { type, publicKey: `${type} ${b64}`, fingerprint: fingerprintOf(pub) };
  });

  // users: the machine's system accounts (sshd's privsep user among them) plus the lab's
  const etc = join(H, 'etc');
  const sysPasswd = readFileSync('/etc/passwd', 'utf8').trim().split('\n');
  const sysGroup = readFileSync('/etc/group', 'utf8').trim().split('\n');
  // root gets a home of its own: the machine's /root (its .bashrc, which every
  // ssh command would source) is not part of a CentOS host
  const rootHome = join(H, 'home', 'root');
  mkdirSync(rootHome, { recursive: true, mode: 0o700 });
  write(join(rootHome, '.bashrc'), CENTOS_BASHRC);
  write(join(rootHome, '.bash_profile'), CENTOS_BASH_PROFILE);
  const passwd = sysPasswd.map((l) => (l.startsWith('root:') ? `root:x:0:0:root:${rootHome}:/bin/bash` : l));
  const group = [...sysGroup];
  const shadow = passwd.map((l) => `${l.split(':')[0]}:*:19000:0:99999:7:::`);
  const pub = (k: string) => readFileSync(k + '.pub', 'utf8');
  write(join(H, 'authorized_keys', 'root'), [keys.plain, keys.passphrase, keys.rsa, keys.agent].map(pub).join(''));
  spec.users.forEach((u, i) => {
    const uid = 2001 + i;
    const home = join(H, 'home', u.name);
    mkdirSync(home, { recursive: true, mode: 0o755 });
    if (u.chattyBashrc) write(join(home, '.bashrc'), 'echo "Welcome to $(hostname)! Remember the change window."\n');
    chownSync(home, uid, uid);
    passwd.push(`${u.name}:x:${uid}:${uid}:Lab user ${u.name}:${home}:/bin/bash`);
    group.push(`${u.name}:x:${uid}:`);
    const hash = u.password ? hashes.get(u.password) : undefined;
    shadow.push(`${u.name}:${hash ?? '*'}:19000:0:99999:7:::`);
    if (u.login === 'key' || u.login === 'any') write(join(H, 'authorized_keys', u.name), pub(keys.plain));
  });
  write(join(etc, 'passwd'), passwd.join('\n') + '\n');
  write(join(etc, 'group'), group.join('\n') + '\n');
  write(join(etc, 'shadow'), shadow.join('\n') + '\n', 0o600);
  const sudoRules = spec.users.filter((u) => u.sudo !== 'none').map((u) => ({ user: u.name, mode: u.sudo as 'nopasswd' | 'password' }));
  write(join(etc, 'sudoers'), sudoers(sudoRules, spec.sudoersExtra), 0o440);
  write(join(etc, 'hostname'), `c7-${spec.name}\n`);
  write(join(etc, 'hosts'), `127.0.0.1   localhost localhost.localdomain c7-${spec.name}\n::1         localhost localhost.localdomain\n`);
  write(join(etc, 'os-release'), OS_RELEASE);
  write(join(etc, 'redhat-release'), REDHAT_RELEASE);
  write(join(etc, 'centos-release'), REDHAT_RELEASE);
  write(join(etc, 'system-release'), REDHAT_RELEASE);
  write(join(etc, 'motd'), '');
  for (const t of ['iptables', 'iptables-save', 'iptables-restore', 'ip6tables', 'ip6tables-save', 'ip6tables-restore']) {
    const target = `/usr/sbin/${t.replace(/^(ip6?tables)/, '$1-legacy')}`;
    symlinkSync(target, join(etc, 'alternatives', t));
  }

  // /etc/sysconfig as iptables (main package) and iptables-services lay it out: mode 0600
  const sc = join(etc, 'sysconfig');
  write(join(sc, 'iptables-config'), iptablesConfig(spec.iptablesConfig), 0o600);
  write(join(sc, 'ip6tables-config'), iptablesConfig(spec.ip6tablesConfig ?? {}, 'ip6'), 0o600);
  const seedPath = seeds[spec.name] ?? (spec.seed === 'stock' ? stock : spec.seed);
  if (seedPath) copyFileSync(seedPath, join(sc, 'iptables'));
  if (seedPath) chmodSync(join(sc, 'iptables'), 0o600);
  if (spec.seed6) write(join(sc, 'ip6tables'), spec.seed6 === 'stock' ? STOCK_IP6TABLES : readFileSync(spec.seed6), 0o600);

  // fixture tools
  write(join(H, 'bin', 'systemctl'), fakeSystemctl(spec.units), 0o755);
  write(join(H, 'bin', 'rpm'), fakeRpm(spec.packages), 0o755);
  if (spec.firewallCmd) write(join(H, 'bin', 'firewall-cmd'), fakeFirewallCmd(spec.firewallCmd === 'running'), 0o755);

  // sshd: CentOS 7's choices where they matter (RH sshd_config), plus what a lab needs
  const matchBlocks = spec.users
    .filter((u) => u.login !== 'any')
    .map((u) => {
      const m = { key: 'publickey', password: 'password', 'keyboard-interactive': 'keyboard-interactive' }[u.login as 'key'];
      return `Match User ${u.name}\n  AuthenticationMethods ${m}\n`;
    });
  const conf = [
    ...p.listen.map((a) => `ListenAddress ${a}:22`),
    ...types.map((t) => `HostKey ${join(H, 'keys', `ssh_host_${t}_key`)}`),
    `PidFile ${join(H, 'sshd.pid')}`,
    `AuthorizedKeysFile ${join(H, 'authorized_keys', '%u')}`,
    'StrictModes no',
    `UsePAM ${spec.pam ? 'yes' : 'no'}`,
    'PermitRootLogin yes',
    'PubkeyAuthentication yes',
    `PasswordAuthentication ${spec.pam ? 'yes' : 'no'}`,
    `KbdInteractiveAuthentication ${spec.pam ? 'yes' : 'no'}`,
    'AllowTcpForwarding yes',
    'UseDNS no',
    'PrintMotd no',
    'PrintLastLog no',
    'AcceptEnv LANG LC_CTYPE LC_NUMERIC LC_TIME LC_COLLATE LC_MONETARY LC_MESSAGES',
    'Subsystem sftp /usr/lib/openssh/sftp-server',
    'LogLevel VERBOSE',
    'MaxStartups 100:30:200',
    'MaxSessions 50',
    ...(spec.sshdExtra ?? []),
    ...matchBlocks,
  ];
  write(join(H, 'sshd_config'), conf.join('\n') + '\n');
  return hostKeys;
}

const SSHD_WRAPPER = [
  'set -e',
  'H=$1',
  'mount -t overlay overlay -o "lowerdir=/etc,upperdir=$H/etc,workdir=$H/etc-work" /etc',
  'mount -t tmpfs -o mode=0755 tmpfs /run',
  // the host's own /var/log (portcullis.log), never the machine's
  'mount -t tmpfs -o mode=0755 tmpfs /var/log',
  'mkdir -p /run/sshd',
  'mount --bind "$H/bin" /usr/local/sbin',
  'hostname "$2"',
  'exec /usr/sbin/sshd -D -f "$H/sshd_config" -E "$H/sshd.log"',
].join('\n');

async function startHost(p: Plan, stock: string, seeds: Record<string, string>, persistent: boolean): Promise<number> {
  const spec = p.spec;
  // the running rules first, as iptables.service loads them at boot before anyone logs in
  const seedPath = seeds[spec.name] ?? (spec.seed === 'stock' ? stock : spec.seed);
  const live = spec.live ?? 'seed';
  const v4 = live === 'firewalld' ? FIREWALLD_LIVE_RULES : live === 'seed' && seedPath ? readFileSync(seedPath) : undefined;
  if (v4) await run(['ip', 'netns', 'exec', p.ns, '/usr/sbin/iptables-legacy-restore'], { input: v4 });
  if (live === 'seed' && spec.seed6)
    await run(['ip', 'netns', 'exec', p.ns, '/usr/sbin/ip6tables-legacy-restore'], {
      input: spec.seed6 === 'stock' ? STOCK_IP6TABLES : readFileSync(spec.seed6),
    });

  const log = openSync(join(p.dir, 'sshd.stderr'), 'w');
  const child = spawn(
    'ip',
    ['netns', 'exec', p.ns, 'unshare', '--mount', '--uts', '--propagation', 'private', '/bin/sh', '-c', SSHD_WRAPPER, 'sh', p.dir, `c7-${spec.name}`],
    // a test lab's sshd stays our child so it is reaped when stopped; `lab up`'s must outlive us
    { detached: persistent, stdio: ['ignore', 'ignore', log] },
  );
  closeSync(log);
  let exited: string | undefined;
  child.on('exit', (code, sig) => (exited = `exit ${code ?? sig}`));
  child.unref();
  const pidFile = join(p.dir, 'sshd.pid');
  await waitFor(
    () => existsSync(pidFile) || exited !== undefined,
    10_000,
    `sshd on ${spec.name}`,
    () => ['sshd.stderr', 'sshd.log'].map((f) => (existsSync(join(p.dir, f)) ? readFileSync(join(p.dir, f), 'utf8') : '')).join('\n'),
  );
  if (exited !== undefined) {
    const why = ['sshd.stderr', 'sshd.log'].map((f) => (existsSync(join(p.dir, f)) ? readFileSync(join(p.dir, f), 'utf8') : '')).join('\n');
    throw new Error(`lab: sshd on ${spec.name} did not start (${exited}):\n${why}`);
  }
  // exec chain (ip netns exec -> unshare -> sh -> sshd) keeps one pid
  return Number(readFileSync(pidFile, 'utf8').trim()) || child.pid!;
}

function sshConfigText(lab: { dir: string; keys: LabKeys; knownHostsPath: string }, hosts: LabHost[]): string {
  const out = [`# Portcullis lab ${lab.dir}: generated; \`npm run lab -- down\` removes it`, ''];
  for (const h of hosts) {
    out.push(`Host ${h.name}`, `  HostName ${h.address}`);
    if (h.name === 'users') out.push('  User alice');
    if (h.via.length) out.push(`  ProxyJump ${h.via.join(',')}`);
    out.push('');
    // the same host over IPv6, jump hosts too
    out.push(`Host ${h.name}-v6`, `  HostName ${h.address6}`);
    if (h.name === 'users') out.push('  User alice');
    if (h.via.length) out.push(`  ProxyJump ${h.via.map((v) => `${v}-v6`).join(',')}`);
    out.push('');
  }
  out.push(
    'Host *',
    '  User root',
    `  IdentityFile ${lab.keys.plain}`,
    '  IdentitiesOnly yes',
    `  UserKnownHostsFile ${lab.knownHostsPath}`,
    '  StrictHostKeyChecking yes',
    '  ConnectTimeout 5',
    '',
  );
  return out.join('\n');
}

export async function startLab(opts: StartLabOptions = {}): Promise<Lab> {
  if (process.getuid?.() !== 0) throw new Error('lab: needs root (network namespaces, mounts)');
  reapStaleLabs();
  const { slot, dir } = claimSlot();
  const id = `s${slot}`;
  const state: LabState = {
    id,
    slot,
    ownerPid: process.pid,
    persistent: !!opts.persistent,
    createdAt: new Date().toISOString(),
    ready: false,
    hosts: {},
  };
  writeFileSync(join(dir, 'state.json'), JSON.stringify(state, null, 2));
  if (!opts.persistent) {
    activeSlots.add(slot);
    installSafetyNet();
  }
  try {
    return await bringUp(slot, dir, state, opts);
  } catch (e) {
    teardownSlot(slot);
    activeSlots.delete(slot);
    throw e;
  }
}

async function bringUp(slot: number, dir: string, state: LabState, opts: StartLabOptions): Promise<Lab> {
  const specs = opts.hosts ? withDependencies(opts.hosts) : defaultHosts();
  const seeds = opts.seeds ?? {};
  const stock = stockRulesetPath();
  const { plans, unreachable } = planAddresses(slot, specs, dir);

  const clientDir = join(dir, 'client');
  mkdirSync(clientDir, { mode: 0o700 });
  const keys: LabKeys = {
    plain: join(clientDir, 'id_ed25519'),
    passphrase: join(clientDir, 'id_ed25519_pass'),
    rsa: join(clientDir, 'id_rsa'),
    agent: join(clientDir, 'id_agent'),
    stranger: join(clientDir, 'id_stranger'),
  };
  const wantSystemd = specs.some((s) => s.kind === 'systemd');
  const whyNot = wantSystemd ? systemdUnavailableReason() : undefined;
  if (whyNot) throw new Error(`lab: ${whyNot}`);
  let systemdRoot: string | undefined;
  const passwords = [...new Set(specs.flatMap((s) => s.users.map((u) => u.password).filter((p): p is string => !!p)))];
  const hashes = new Map(passwords.map((p) => [p, hashPassword(p)]));
  await Promise.all([
    keygen(keys.plain, 'ed25519', 'lab-admin'),
    keygen(keys.passphrase, 'ed25519', 'lab-admin-passphrase', LAB_PASSPHRASE),
    keygen(keys.rsa, 'rsa', 'lab-admin-rsa', '', true),
    keygen(keys.agent, 'ed25519', 'lab-admin-agent'),
    keygen(keys.stranger, 'ed25519', 'stranger'),
    createNetworks(slot, plans),
    wantSystemd ? ensureSystemdRoot().then((r) => (systemdRoot = r)) : undefined,
  ]);

  const hostKeys = new Map<string, LabHostKey[]>();
  await Promise.all(
    plans.map(async (p) =>
      hostKeys.set(p.spec.name, p.spec.kind === 'systemd' ? await writeSystemdFiles(p, keys, stock, seeds) : await writeHostFiles(p, keys, hashes, stock, seeds)),
    ),
  );
  const pids = new Map<string, { pid: number; nspawnPid?: number }>();
  await Promise.all(
    plans.map(async (p) => {
      if (p.spec.kind !== 'systemd') return pids.set(p.spec.name, { pid: await startHost(p, stock, seeds, !!opts.persistent) });
      const b = await bootSystemdHost(p, systemdRoot!, !!opts.persistent);
      return pids.set(p.spec.name, { pid: b.initPid, nspawnPid: b.nspawnPid });
    }),
  );

  const hosts: Record<string, LabHost> = {};
  for (const p of plans) {
    hosts[p.spec.name] = {
      name: p.spec.name,
      namespace: p.ns,
      address: p.address,
      port: 22,
      via: p.via,
      peerAddress: p.peerAddress,
      address6: p.address6,
      peerAddress6: p.peerAddress6,
      sshdPid: pids.get(p.spec.name)!.pid,
      kind: p.spec.kind ?? 'namespace',
      ...(pids.get(p.spec.name)!.nspawnPid ? { nspawnPid: pids.get(p.spec.name)!.nspawnPid } : {}),
      hostKeys: hostKeys.get(p.spec.name)!,
      users: p.spec.users,
      spec: p.spec,
    };
  }

  // known_hosts: the addresses ssh checks (HostName, also for ProxyJump targets)
  const knownHostsClearPath = join(dir, 'known_hosts.clear');
  const knownHostsPath = join(dir, 'known_hosts');
  // known_hosts: both addresses of every host (an IPv6 address on port 22 is written bare, as ssh does)
  const khLines = Object.values(hosts).flatMap((h) => h.hostKeys.flatMap((k) => [`${h.address} ${k.publicKey}`, `${h.address6} ${k.publicKey}`]));
  write(knownHostsClearPath, khLines.join('\n') + '\n');
  write(knownHostsPath, khLines.join('\n') + '\n');
  await run(['ssh-keygen', '-q', '-H', '-f', knownHostsPath]);
  rmSync(knownHostsPath + '.old', { force: true });

  // an agent holding only the agent key; its socket path names the lab so teardown can tell it is ours.
  // In the foreground (-D) as our child, so it is reaped when it ends.
  const agentSocket = join(dir, 'agent.sock');
  const agent = spawn('ssh-agent', ['-D', '-a', agentSocket], {
    detached: !!opts.persistent,
    stdio: 'ignore',
  });
  agent.unref();
  state.agentPid = agent.pid;
  writeFileSync(join(dir, 'state.json'), JSON.stringify(state, null, 2));
  await waitFor(() => existsSync(agentSocket), 5000, 'ssh-agent socket', () => '');
  // the socket exists from bind(); until the agent's listen() a connection is refused (a busy machine widens that)
  for (let i = 0; ; i++) {
    const r = await run(['ssh-add', '-q', keys.agent], { env: { ...process.env, SSH_AUTH_SOCK: agentSocket }, allowFail: i < 50 });
    if (r.code === 0) break;
    await new Promise((res) => setTimeout(res, 100));
  }

  const sshConfigPath = join(dir, 'ssh_config');
  write(sshConfigPath, sshConfigText({ dir, keys, knownHostsPath }, Object.values(hosts)));

  state.ready = true;
  state.sshConfigPath = sshConfigPath;
  state.hosts = Object.fromEntries(Object.entries(hosts).map(([k, { spec: _s, ...h }]) => [k, h]));
  writeFileSync(join(dir, 'state.json'), JSON.stringify(state, null, 2));

  const hostExec = (name: string, argv: string[], input?: string | Buffer) => {
    const h = hosts[name];
    if (!h) throw new Error(`lab: no host ${name} in this lab`);
    const argv2 = h.kind === 'systemd' ? enterArgv(h.sshdPid, argv) : ['nsenter', '-t', String(h.sshdPid), '-m', '-n', '-u', '--', ...argv];
    return run(argv2, { input, allowFail: true });
  };
  const plansByName = new Map(plans.map((p) => [p.spec.name, p]));
  let stopped = false;
  return {
    id: state.id,
    slot,
    dir,
    hosts,
    sshConfigPath,
    knownHostsPath,
    knownHostsClearPath,
    keyPath: keys.plain,
    keys,
    agentSocket,
    unreachableAddress: unreachable,
    stockRuleset: stock,
    sshdLog: (name) => {
      const f = join(dir, 'hosts', name, 'sshd.log');
      return existsSync(f) ? readFileSync(f, 'utf8') : '';
    },
    hostExec,
    async readHostFile(name, path) {
      const r = await hostExec(name, ['cat', '--', path]);
      return r.code === 0 ? r.stdout : null;
    },
    async rebootHost(name, how = 'clean') {
      const h = hosts[name];
      if (h?.kind !== 'systemd' || !h.nspawnPid) throw new Error(`lab: ${name} is not a systemd host: only those reboot`);
      await haltSystemdHost(h.namespace, h.nspawnPid, how);
      const b = await bootSystemdHost(plansByName.get(name)!, systemdRoot!, !!opts.persistent);
      h.sshdPid = b.initPid;
      h.nspawnPid = b.nspawnPid;
      state.hosts[name] = { ...state.hosts[name], sshdPid: b.initPid, nspawnPid: b.nspawnPid };
      writeFileSync(join(dir, 'state.json'), JSON.stringify(state, null, 2));
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      teardownSlot(slot);
      activeSlots.delete(slot);
    },
  };
}

// ---------------------------------------------------------------- CLI support

export interface LabStatus {
  slot: number;
  dir: string;
  persistent: boolean;
  ownerAlive: boolean;
  hosts: { name: string; namespace: string; address: string; sshd: 'running' | 'dead' }[];
  sshConfigPath?: string;
}

export function labStatus(): LabStatus[] {
  const root = labRoot();
  if (!existsSync(root)) return [];
  const out: LabStatus[] = [];
  for (const d of readdirSync(root)) {
    if (!/^s\d+$/.test(d)) continue;
    const st = readState(join(root, d));
    if (!st) continue;
    out.push({
      slot: st.slot,
      dir: join(root, d),
      persistent: st.persistent,
      ownerAlive: pidAlive(st.ownerPid),
      sshConfigPath: st.sshConfigPath,
      hosts: Object.values(st.hosts).map((h) => ({
        name: h.name,
        namespace: h.namespace,
        address: h.address,
        sshd: pidAlive(h.sshdPid) ? 'running' : 'dead',
      })),
    });
  }
  return out;
}

/**
 * The hosts a lab starts when none are named: all but the on-demand ones, and
 * without the systemd host where it cannot run here (said once on stderr).
 */
let systemdNoted = false;
export function defaultHosts(): LabHostSpec[] {
  const why = systemdUnavailableReason();
  if (!why) return DEFAULT_HOSTS;
  if (!systemdNoted) process.stderr.write(`lab: without the systemd host: ${why}\n`);
  systemdNoted = true;
  return DEFAULT_HOSTS.filter((h) => h.kind !== 'systemd');
}

/** `lab up`: reuse a healthy persistent lab, else replace it. */
export async function upPersistentLab(): Promise<{ sshConfigPath: string; reused: boolean }> {
  for (const s of labStatus()) {
    if (!s.persistent) continue;
    const healthy = s.sshConfigPath && s.hosts.length === defaultHosts().length && s.hosts.every((h) => h.sshd === 'running');
    if (healthy) return { sshConfigPath: s.sshConfigPath!, reused: true };
    teardownSlot(s.slot);
  }
  const lab = await startLab({ persistent: true });
  return { sshConfigPath: lab.sshConfigPath, reused: false };
}

/** Why lab tests cannot run here, or undefined when they can. */
export function labUnavailableReason(): string | undefined {
  if (process.platform !== 'linux') return 'the lab needs Linux';
  if (process.getuid?.() !== 0) return 'the lab needs root';
  for (const f of ['/usr/sbin/sshd', '/usr/sbin/iptables-legacy', '/usr/sbin/iptables-legacy-restore', '/usr/sbin/ip6tables-legacy-restore']) {
    if (!existsSync(f)) return `the lab needs ${f}`;
  }
  for (const tool of ['ssh', 'ssh-keygen', 'ssh-agent', 'ssh-add', 'unshare']) {
    if (runSync(['sh', '-c', `command -v ${tool}`], { allowFail: true }).code !== 0) return `the lab needs ${tool} in PATH`;
  }
  if (runSync(['ip', '-V'], { allowFail: true }).code !== 0) return 'the lab needs iproute2 (ip)';
  if (runSync(['nsenter', '--version'], { allowFail: true }).code !== 0) return 'the lab needs nsenter (util-linux)';
  return undefined;
}
