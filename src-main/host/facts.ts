// Host facts: what a CentOS 7 server runs and how it is set up, as far as it
// matters for changing its firewall safely. Gathered by one fixed script in one
// round trip; `interpretFacts` turns the framed output into HostFacts and is
// pure, so it can be tested on recorded outputs without a host.
import { newNonce, parseSections, scriptPrelude, type Section } from './remote-script.js';
import { CommandError } from './errors.js';
import { privilegeName } from './privilege.js';
import type { CommandSession, ProbeResult } from './session-port.js';
import type { FileFacts, FirewalldState, HostAddress, HostFacts, PrivilegeName, SelinuxMode, UnitFacts } from '../contract/facts.js';

export type { FileFacts, FirewalldState, HostFacts, SelinuxMode, UnitFacts } from '../contract/facts.js';

/** The facts script. Fixed text: every path and command here is ours. */
export const FACTS_SCRIPT_BODY = `
pcl_sec id id -u
pcl_sec hostname uname -n
pcl_sec kernel uname -r
if [ -r /etc/os-release ]; then pcl_sec os-release cat /etc/os-release; else pcl_absent os-release; fi
if [ -e /etc/redhat-release ]; then pcl_sec redhat-release cat /etc/redhat-release; else pcl_absent redhat-release; fi
if command -v iptables >/dev/null 2>&1; then
  pcl_sec iptables-version iptables --version
  pcl_sec iptables-path sh -c 'p=$(command -v iptables); echo "$p"; readlink -f "$p"'
  pcl_sec restore-help iptables-restore --help
else pcl_absent iptables-version; fi
if command -v ip6tables >/dev/null 2>&1; then pcl_sec ip6tables-version ip6tables --version; else pcl_absent ip6tables-version; fi
if command -v ip6tables-save >/dev/null 2>&1; then pcl_sec ip6tables-save-tool true; else pcl_absent ip6tables-save-tool; fi
if command -v rpm >/dev/null 2>&1; then pcl_sec rpm rpm -q iptables iptables-services firewalld ipset; else pcl_absent rpm; fi
if command -v systemctl >/dev/null 2>&1; then
  for u in iptables ip6tables firewalld; do
    pcl_sec "active-$u" systemctl is-active "$u.service"
    pcl_sec "enabled-$u" systemctl is-enabled "$u.service"
  done
else pcl_absent systemctl; fi
if command -v firewall-cmd >/dev/null 2>&1; then pcl_sec firewall-cmd firewall-cmd --state; else pcl_absent firewall-cmd; fi
for f in iptables ip6tables; do
  if [ -e "/etc/sysconfig/$f" ]; then pcl_sec "stat-$f" stat -c '%a %U:%G %s' "/etc/sysconfig/$f"; else pcl_absent "stat-$f"; fi
  if [ -e "/etc/sysconfig/$f-config" ]; then pcl_sec "$f-config" cat "/etc/sysconfig/$f-config"; else pcl_absent "$f-config"; fi
done
if command -v getenforce >/dev/null 2>&1; then pcl_sec getenforce getenforce; else pcl_absent getenforce; fi
if [ -r /sys/fs/selinux/enforce ]; then pcl_sec selinux-enforce cat /sys/fs/selinux/enforce; else pcl_absent selinux-enforce; fi
if [ -e /etc/sysconfig/iptables ]; then pcl_sec context ls -Z /etc/sysconfig/iptables; else pcl_absent context; fi
pcl_sec ip-forward cat /proc/sys/net/ipv4/ip_forward
if [ -r /proc/sys/net/ipv6/conf/all/forwarding ]; then pcl_sec ip6-forward cat /proc/sys/net/ipv6/conf/all/forwarding; else pcl_absent ip6-forward; fi
if command -v ipset >/dev/null 2>&1; then pcl_sec ipset ipset --version; else pcl_absent ipset; fi
if [ -r /proc/net/ip_tables_names ]; then pcl_sec tables cat /proc/net/ip_tables_names; else pcl_absent tables; fi
if [ -r /proc/net/ip6_tables_names ]; then pcl_sec tables6 cat /proc/net/ip6_tables_names; else pcl_absent tables6; fi
if command -v ip >/dev/null 2>&1; then pcl_sec addresses ip -o addr show; else pcl_absent addresses; fi
pcl_sec tools sh -c 'for t in systemd-run setsid nohup restorecon flock; do command -v "$t" >/dev/null 2>&1 && echo "$t"; done; true'
`;

export function factsScript(nonce: string): string {
  return scriptPrelude(nonce) + FACTS_SCRIPT_BODY;
}

export interface FactsContext {
  host: string;
  probe: ProbeResult;
  privilege: PrivilegeName;
  privilegeDetail?: string;
  hostKey?: { keyType: string; fingerprint: string };
}

function text(s: Section | undefined): string | undefined {
  if (!s || s.absent || s.rc === null) return undefined;
  return s.out.toString('utf8');
}
function ok(s: Section | undefined): string | undefined {
  return s && s.rc === 0 ? text(s) : undefined;
}

/** KEY=value / KEY="value" lines of a shell-style config file (os-release, iptables-config). */
export function parseShellVars(t: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of t.split('\n')) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m) continue;
    let v = m[2].trim();
    if ((v.startsWith('"') && v.endsWith('"') && v.length >= 2) || (v.startsWith("'") && v.endsWith("'") && v.length >= 2)) v = v.slice(1, -1);
    else v = v.replace(/\s+#.*$/, '');
    out[m[1]] = v;
  }
  return out;
}

/** `ip -o addr show`: `2: eth0    inet6 2001:db8::5/64 scope global …` per address; loopback left out. */
export function parseAddresses(out: string): { ipv4: HostAddress[]; ipv6: HostAddress[] } {
  const res = { ipv4: [] as HostAddress[], ipv6: [] as HostAddress[] };
  for (const line of out.split('\n')) {
    const m = /^\d+:\s+(\S+?)(?:@\S+)?\s+(inet6?)\s+([0-9a-fA-F.:]+)\/(\d+)(?:\s+brd\s+\S+)?\s+scope\s+(\S+)/.exec(line);
    if (!m || m[1] === 'lo' || m[5] === 'host') continue;
    (m[2] === 'inet6' ? res.ipv6 : res.ipv4).push({ address: m[3].toLowerCase(), prefix: Number(m[4]), iface: m[1], scope: m[5] });
  }
  return res;
}

/** What a host says about firewalld; both the facts pull and apply's connect step read it through firewalldState. */
export interface FirewalldEvidence {
  /** first line of `systemctl is-active firewalld.service`; null without systemctl */
  active: string | null;
  /** first line of `systemctl is-enabled firewalld.service`; null without systemctl or when the unit does not exist */
  enabled: string | null;
  /** first line of `firewall-cmd --state` when the command exists, undefined when it does not */
  cmd: string | undefined;
  /** the firewalld package is installed, when known (rpm); undefined counts as not installed */
  installed?: boolean;
}

/**
 * One reading of firewalld for every caller. `absent` needs all the evidence to agree: systemctl
 * answers `inactive` (or `unknown`) for a unit that does not exist, so is-active alone cannot tell
 * "installed but stopped" from "not installed" — is-enabled can (no unit file: no answer).
 */
export function firewalldState(e: FirewalldEvidence): FirewalldState {
  const enabled = e.enabled && !/^Failed|No such file/.test(e.enabled) ? e.enabled : null;
  if (enabled === 'masked') return 'masked';
  if (e.active === 'active' || /^running\b/.test(e.cmd?.trim() ?? '')) return 'active';
  if (enabled === null && e.cmd === undefined && !e.installed) return 'absent';
  return 'inactive';
}

function unit(sections: Map<string, Section>, u: string): UnitFacts {
  if (sections.get('systemctl')?.absent) return { active: null, enabled: null };
  const a = text(sections.get(`active-${u}`))?.trim().split('\n')[0] || null;
  const enabledSec = sections.get(`enabled-${u}`);
  let enabled = text(enabledSec)?.trim().split('\n')[0] || null;
  // systemd 219 prints "Failed to get unit file state…" on stderr for a unit that does not exist
  if (enabled && /^Failed|No such file/.test(enabled)) enabled = null;
  return { active: a, enabled };
}

const yes = (v: string | undefined) => (v === undefined ? undefined : v.toLowerCase() === 'yes');

type Get = (k: string) => Section | undefined;

/**
 * The facts from the probe's sections, in one step per subject (OS, iptables, services, firewalld,
 * iptables-config, files, SELinux, addresses); each step adds its warnings in the order an admin
 * reads them.
 */
export function interpretFacts(sections: Map<string, Section>, ctx: FactsContext): HostFacts {
  const warnings: string[] = [];
  const get: Get = (k) => sections.get(k);
  const rpm = ok(get('rpm')) ?? text(get('rpm')) ?? '';
  const pkg = (name: string) => rpm.split('\n').find((l) => l.startsWith(name + '-') && /\d/.test(l.slice(name.length + 1, name.length + 2)))?.trim();

  const os = osFacts(get, warnings);
  const iptables = iptablesFacts(get, pkg, warnings);
  const v6 = ok(get('ip6tables-version'))?.trim();
  const ip6tables = {
    present: !!v6,
    version: v6 ? /v(\d+\.\d+(?:\.\d+)?)/.exec(v6)?.[1] : undefined,
    saveTool: get('ip6tables-save-tool')?.rc === 0,
  };
  const iptablesServices = servicesFacts(sections, pkg, warnings);
  const fw = firewalldFacts(sections, pkg, warnings);
  const iptablesConfig = configFacts(get, warnings);
  const files = { iptables: fileFacts(get, 'iptables'), ip6tables: fileFacts(get, 'ip6tables') };
  if (files.iptables.present === false) warnings.push('there is no /etc/sysconfig/iptables');
  const selinux = selinuxFacts(get, warnings);
  const addresses = addressFacts(get, ctx, iptablesServices.ip6tables, fw.firewalld, warnings);
  if (ctx.privilege === 'none')
    warnings.push(`no root on this host (${ctx.privilegeDetail ?? 'not root, no usable sudo'}): facts that need root are unknown, and pull/apply will fail`);

  const tools = new Set((ok(get('tools')) ?? '').split('\n').map((l) => l.trim()));
  const ipsetText = ok(get('ipset'))?.trim();
  return {
    host: ctx.host,
    hostname: ok(get('hostname'))?.trim(),
    user: ctx.probe.user,
    os,
    iptables,
    ip6tables,
    iptablesServices,
    firewalld: fw.firewalld,
    firewalldUnit: fw.unit,
    iptablesConfig,
    files,
    selinux,
    ipForward: { ipv4: bool01(get('ip-forward')), ipv6: bool01(get('ip6-forward')) },
    ipset: { present: !get('ipset')?.absent && !!ipsetText, version: ipsetText ? /v?(\d+(?:\.\d+)+)/.exec(ipsetText)?.[1] : undefined },
    loadedTables: { ipv4: lines(get('tables')), ipv6: lines(get('tables6')) },
    ...(addresses !== undefined ? { addresses } : {}),
    tools: {
      systemdRun: tools.has('systemd-run'),
      setsid: tools.has('setsid'),
      nohup: tools.has('nohup'),
      restorecon: tools.has('restorecon'),
      flock: tools.has('flock'),
    },
    privilege: ctx.privilege,
    privilegeDetail: ctx.privilegeDetail,
    sudo: ctx.probe.sudo,
    clientAddress: ctx.probe.clientAddress,
    serverAddress: ctx.probe.serverAddress,
    hostKey: ctx.hostKey,
    warnings,
  };
}

function osFacts(get: Get, warnings: string[]): HostFacts['os'] {
  const osr = parseShellVars(ok(get('os-release')) ?? '');
  const release = ok(get('redhat-release'))?.trim();
  const os = {
    id: osr.ID,
    versionId: osr.VERSION_ID,
    prettyName: osr.PRETTY_NAME,
    release,
    kernel: ok(get('kernel'))?.trim(),
    centos7: /^(centos|rhel)$/.test(osr.ID ?? '') ? (osr.VERSION_ID ?? '').split('.')[0] === '7' : /release 7\./.test(release ?? ''),
  };
  if (!os.centos7) warnings.push(`not CentOS/RHEL 7 (${os.prettyName ?? release ?? 'unknown OS'}): Portcullis is built and tested for CentOS 7`);
  return os;
}

function iptablesFacts(get: Get, pkg: (name: string) => string | undefined, warnings: string[]): HostFacts['iptables'] {
  const verText = ok(get('iptables-version'))?.trim();
  const verMatch = verText ? /v(\d+\.\d+(?:\.\d+)?)/.exec(verText) : null;
  const pathLines = (ok(get('iptables-path')) ?? '').trim().split('\n');
  const real = pathLines[1] ?? '';
  let backend: HostFacts['iptables']['backend'] = 'unknown';
  if (verText && /nf_tables/.test(verText)) backend = 'nft';
  else if (verText && /legacy/.test(verText)) backend = 'legacy';
  else if (/nft/.test(real)) backend = 'nft';
  else if (verMatch && /^1\.[0-6]\./.test(verMatch[1] + '.')) backend = 'legacy'; // before 1.8 there was only the legacy backend
  else if (/legacy|xtables-multi/.test(real)) backend = 'legacy';
  // usage goes to stdout or stderr depending on the version
  const helpSec = get('restore-help');
  const help = (text(helpSec) ?? '') + (helpSec?.stderr ?? '');
  const iptables = {
    present: !get('iptables-version')?.absent && !!verText,
    version: verMatch?.[1],
    backend,
    restoreTest: /--test\b/.test(help),
    restoreWait: /--wait\b/.test(help),
    path: pathLines[0] || undefined,
    package: pkg('iptables'),
  };
  if (!iptables.present) warnings.push('iptables is not installed');
  if (backend === 'nft') warnings.push('iptables uses the nf_tables backend here; Portcullis targets the legacy backend of CentOS 7');
  return iptables;
}

function servicesFacts(sections: Map<string, Section>, pkg: (name: string) => string | undefined, warnings: string[]): HostFacts['iptablesServices'] {
  const rpmAbsent = !!sections.get('rpm')?.absent;
  const servicesPkg = pkg('iptables-services');
  const ipt = unit(sections, 'iptables');
  const ip6t = unit(sections, 'ip6tables');
  const installed = !rpmAbsent ? !!servicesPkg : ipt.enabled !== null ? true : null;
  if (installed === false) warnings.push('iptables-services is not installed: rules written to /etc/sysconfig/iptables will not be loaded at boot');
  else if (ipt.enabled && ipt.enabled !== 'enabled') warnings.push(`iptables.service is ${ipt.enabled}: the saved rules will not be loaded at boot`);
  return { installed, package: servicesPkg, iptables: ipt, ip6tables: ip6t };
}

function firewalldFacts(sections: Map<string, Section>, pkg: (name: string) => string | undefined, warnings: string[]): { firewalld: HostFacts['firewalld']; unit: HostFacts['firewalldUnit'] } {
  const fwUnit = unit(sections, 'firewalld');
  const fwCmd = sections.get('firewall-cmd');
  const fwState = fwCmd && !fwCmd.absent ? text(fwCmd)?.trim() || fwCmd.stderr.trim() : undefined;
  const firewalld = firewalldState({
    active: fwUnit.active,
    enabled: fwUnit.enabled,
    // a failing firewall-cmd --state is "not running" whatever it printed
    cmd: fwCmd && !fwCmd.absent ? (fwCmd.rc === 0 ? (fwState ?? '') : 'not running') : undefined,
    installed: !!pkg('firewalld'),
  });
  if (firewalld === 'active')
    warnings.push('firewalld is active: it flushes rules loaded with iptables-restore on every reload, and conflicts with iptables.service');
  else if (firewalld === 'inactive' && fwUnit.enabled === 'enabled') warnings.push('firewalld is enabled and will start at boot, replacing these rules');
  return { firewalld, unit: { ...fwUnit, state: fwState } };
}

function configFacts(get: Get, warnings: string[]): HostFacts['iptablesConfig'] {
  const cfgSec = get('iptables-config');
  const cfgText = ok(cfgSec);
  const values = cfgText ? parseShellVars(cfgText) : {};
  const rw = values.IPTABLES_RESTORE_WAIT;
  const iptablesConfig = {
    present: cfgSec?.absent ? false : cfgSec ? true : null,
    readable: cfgText !== undefined,
    saveOnStop: yes(values.IPTABLES_SAVE_ON_STOP),
    saveOnRestart: yes(values.IPTABLES_SAVE_ON_RESTART),
    saveCounter: yes(values.IPTABLES_SAVE_COUNTER),
    modules: values.IPTABLES_MODULES,
    restoreWait: rw !== undefined && /^\d+$/.test(rw) ? Number(rw) : undefined,
    values,
  };
  if (iptablesConfig.present && !iptablesConfig.readable) warnings.push('cannot read /etc/sysconfig/iptables-config (needs root)');
  if (iptablesConfig.saveOnStop)
    warnings.push(
      'IPTABLES_SAVE_ON_STOP="yes": stopping iptables.service (a stop, a restart, every shutdown) overwrites /etc/sysconfig/iptables with the running rules; apply guards the file until its rules are confirmed',
    );
  if (iptablesConfig.saveOnRestart)
    warnings.push('IPTABLES_SAVE_ON_RESTART="yes": a restart saves the running rules over the file; apply puts back a save made before its rules are confirmed');
  return iptablesConfig;
}

function fileFacts(get: Get, k: string): FileFacts {
  const s = get(`stat-${k}`);
  if (!s) return { present: null };
  if (s.absent) return { present: false };
  const t = ok(s)?.trim();
  if (!t) return { present: true };
  const [mode, owner, size] = t.split(' ');
  return { present: true, mode: mode.padStart(4, '0'), owner, size: Number(size) };
}

function selinuxFacts(get: Get, warnings: string[]): HostFacts['selinux'] {
  let mode: SelinuxMode = 'absent';
  const ge = ok(get('getenforce'))?.trim().toLowerCase();
  if (ge === 'enforcing' || ge === 'permissive' || ge === 'disabled') mode = ge;
  else {
    const en = ok(get('selinux-enforce'))?.trim();
    if (en === '1') mode = 'enforcing';
    else if (en === '0') mode = 'permissive';
  }
  const ctxLine = ok(get('context')) ?? '';
  const fileContext = ctxLine.split(/\s+/).find((t) => /^[^:\s]+:[^:\s]+:[^:\s]+_t(:\S+)?$/.test(t));
  if (mode === 'enforcing' && fileContext && !/system_conf_t/.test(fileContext))
    warnings.push(`/etc/sysconfig/iptables has SELinux context ${fileContext}, not system_conf_t: iptables.service may fail to read it at boot (restorecon fixes it)`);
  return { mode, fileContext };
}

/** The host's addresses, and what they mean for IPv6 (a filter that is not loaded, a session over IPv6). */
function addressFacts(get: Get, ctx: FactsContext, ip6t: UnitFacts, firewalld: HostFacts['firewalld'], warnings: string[]): HostFacts['addresses'] | undefined {
  const addrSec = get('addresses');
  const addrText = ok(addrSec);
  const addresses = addrSec?.absent ? null : addrText === undefined ? undefined : parseAddresses(addrText);
  const globalV6 = addresses?.ipv6.filter((a) => a.scope === 'global') ?? [];
  if (globalV6.length && ip6t.active !== null && ip6t.active !== 'active' && firewalld !== 'active')
    warnings.push(`the host has global IPv6 addresses (${globalV6.map((a) => a.address).join(', ')}) but ip6tables.service is ${ip6t.active}: after a reboot its IPv6 traffic is not filtered at all`);
  if (ctx.probe.clientAddress?.includes(':') && !ctx.probe.clientAddress.startsWith('::ffff:'))
    warnings.push(`this SSH session runs over IPv6 (from ${ctx.probe.clientAddress}): a lockout is decided by the IPv6 ruleset (/etc/sysconfig/ip6tables), not the IPv4 one`);
  return addresses;
}

function bool01(s: Section | undefined): boolean | null {
  const t = ok(s)?.trim();
  return t === undefined ? null : t !== '0';
}

function lines(s: Section | undefined): string[] | null {
  if (!s || s.absent) return s?.absent ? [] : null;
  const t = ok(s);
  return t === undefined ? null : t.split('\n').map((l) => l.trim()).filter(Boolean);
}

export function parseFactsOutput(raw: Buffer | string, nonce: string, ctx: FactsContext): HostFacts {
  return interpretFacts(parseSections(raw, nonce), ctx);
}

/** Gathers the facts over an open session: one fixed script, one round trip. */
export async function gatherFacts(session: CommandSession): Promise<HostFacts> {
  const nonce = newNonce();
  const privileged = session.privilege.kind !== 'none';
  const r = await session.exec('sh -s', { stdin: factsScript(nonce), sudo: privileged, timeoutMs: 60_000 });
  const sections = parseSections(r.stdoutBytes, nonce);
  if (!sections.has('id')) throw new CommandError('sh -s (facts script)', r.code, r.signal, r.stderr, r.stdout, 'the facts script did not run');
  const last = session.hostKeys[session.hostKeys.length - 1];
  return interpretFacts(sections, {
    host: session.target.name,
    probe: session.probe,
    privilege: privilegeName(session.privilege),
    privilegeDetail: session.privilege.kind === 'none' ? session.privilege.reason : undefined,
    hostKey: { keyType: last.keyType, fingerprint: last.fingerprint },
  });
}
