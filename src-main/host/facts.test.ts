import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { factsScript, parseFactsOutput, parseShellVars, type FactsContext } from './facts.js';
import { frameForTest, newNonce, parseSections, scriptPrelude } from './remote-script.js';
import { interpretPull, normalizeLiveRules, pullScript, sha256Hex } from './pull.js';
import { parseProbe, shQuote } from './session.js';

const N = 'abcdef0123456789';
const ctx: FactsContext = {
  host: 'web1',
  probe: { uid: 0, user: 'root', clientAddress: '203.0.113.9', clientPort: 50000, serverAddress: '192.0.2.10', sudo: 'not-tried' },
  privilege: 'root',
  hostKey: { keyType: 'ssh-ed25519', fingerprint: 'SHA256:x' },
};

// What a CentOS 7.9 server with iptables-services (firewalld masked, SELinux enforcing) answers.
const CENTOS79_IPTABLES = [
  { key: 'id', out: '0\n' },
  { key: 'hostname', out: 'web1.example.com\n' },
  { key: 'kernel', out: '3.10.0-1160.119.1.el7.x86_64\n' },
  { key: 'os-release', out: 'NAME="CentOS Linux"\nVERSION="7 (Core)"\nID="centos"\nID_LIKE="rhel fedora"\nVERSION_ID="7"\nPRETTY_NAME="CentOS Linux 7 (Core)"\n' },
  { key: 'redhat-release', out: 'CentOS Linux release 7.9.2009 (Core)\n' },
  { key: 'iptables-version', out: 'iptables v1.4.21\n' },
  { key: 'iptables-path', out: '/usr/sbin/iptables\n/usr/sbin/xtables-multi\n' },
  {
    key: 'restore-help',
    out: 'Usage: iptables-restore [-b] [-c] [-v] [-V] [-t] [-h] [-n] [-w secs] [-W usecs] [-T table] [-M command]\n           [ --binary ]\n           [ --counters ]\n           [ --verbose ]\n           [ --version]\n           [ --test ]\n           [ --help ]\n           [ --noflush ]\n           [ --wait=<seconds>\n           [ --wait-interval=<usecs>\n           [ --table=<TABLE> ]\n           [ --modprobe=<command>]\n',
  },
  { key: 'ip6tables-version', out: 'ip6tables v1.4.21\n' },
  { key: 'ip6tables-save-tool', out: '' },
  { key: 'rpm', out: 'iptables-1.4.21-35.el7.x86_64\niptables-services-1.4.21-35.el7.x86_64\nfirewalld-0.6.3-13.el7_9.noarch\npackage ipset is not installed\n', rc: 1 },
  { key: 'active-iptables', out: 'active\n' },
  { key: 'enabled-iptables', out: 'enabled\n' },
  { key: 'active-ip6tables', out: 'inactive\n', rc: 3 },
  { key: 'enabled-ip6tables', out: 'disabled\n', rc: 1 },
  { key: 'active-firewalld', out: 'inactive\n', rc: 3 },
  { key: 'enabled-firewalld', out: 'masked\n', rc: 1 },
  { key: 'firewall-cmd', out: '', rc: 252, stderr: 'not running' },
  { key: 'stat-iptables', out: '600 root:root 550\n' },
  { key: 'iptables-config', out: 'IPTABLES_MODULES=""\nIPTABLES_SAVE_ON_STOP="no"\nIPTABLES_SAVE_ON_RESTART="yes"\nIPTABLES_SAVE_COUNTER="no"\n#IPTABLES_RESTORE_WAIT=600\n' },
  { key: 'stat-ip6tables', absent: true },
  { key: 'ip6tables-config', out: 'IP6TABLES_MODULES=""\n' },
  { key: 'getenforce', out: 'Enforcing\n' },
  { key: 'selinux-enforce', out: '1' },
  { key: 'context', out: '-rw-------. root root system_u:object_r:system_conf_t:s0 /etc/sysconfig/iptables\n' },
  { key: 'ip-forward', out: '0\n' },
  { key: 'ip6-forward', out: '0\n' },
  { key: 'ipset', absent: true },
  { key: 'tables', out: 'filter\nnat\n' },
  { key: 'tables6', out: '' },
  { key: 'tools', out: 'systemd-run\nsetsid\nnohup\nrestorecon\nflock\n' },
];

describe('facts output', () => {
  it('reads a CentOS 7.9 host with iptables-services', () => {
    const f = parseFactsOutput(frameForTest(N, CENTOS79_IPTABLES), N, ctx);
    expect(f.os).toMatchObject({ id: 'centos', versionId: '7', release: 'CentOS Linux release 7.9.2009 (Core)', centos7: true });
    expect(f.iptables).toMatchObject({ present: true, version: '1.4.21', backend: 'legacy', restoreTest: true, restoreWait: true, package: 'iptables-1.4.21-35.el7.x86_64' });
    expect(f.iptablesServices).toMatchObject({
      installed: true,
      package: 'iptables-services-1.4.21-35.el7.x86_64',
      iptables: { active: 'active', enabled: 'enabled' },
      ip6tables: { active: 'inactive', enabled: 'disabled' },
    });
    expect(f.firewalld).toBe('masked');
    expect(f.iptablesConfig).toMatchObject({ present: true, readable: true, saveOnStop: false, saveOnRestart: true, saveCounter: false, restoreWait: undefined });
    expect(f.files.iptables).toEqual({ present: true, mode: '0600', owner: 'root:root', size: 550 });
    expect(f.files.ip6tables).toEqual({ present: false });
    expect(f.selinux).toEqual({ mode: 'enforcing', fileContext: 'system_u:object_r:system_conf_t:s0' });
    expect(f.ipForward).toEqual({ ipv4: false, ipv6: false });
    expect(f.ipset).toEqual({ present: false, version: undefined });
    expect(f.loadedTables).toEqual({ ipv4: ['filter', 'nat'], ipv6: [] });
    expect(f.tools).toEqual({ systemdRun: true, setsid: true, nohup: true, restorecon: true, flock: true });
    expect(f).toMatchObject({ privilege: 'root', clientAddress: '203.0.113.9', hostname: 'web1.example.com', user: 'root' });
    expect(f.warnings).toEqual([expect.stringMatching(/SAVE_ON_RESTART/)]);
  });

  it('reads a default install: firewalld running, no iptables-services, no file', () => {
    const sections = CENTOS79_IPTABLES.filter((s) => !/^(active|enabled)-|^rpm$|^stat-iptables$|^firewall-cmd$|^context$/.test(s.key)).concat([
      { key: 'rpm', out: 'iptables-1.4.21-35.el7.x86_64\npackage iptables-services is not installed\nfirewalld-0.6.3-13.el7_9.noarch\npackage ipset is not installed\n', rc: 1 },
      { key: 'active-iptables', out: 'unknown\n', rc: 3 },
      { key: 'enabled-iptables', out: '', rc: 1, stderr: 'Failed to get unit file state for iptables.service: No such file or directory' },
      { key: 'active-ip6tables', out: 'unknown\n', rc: 3 },
      { key: 'enabled-ip6tables', out: '', rc: 1 },
      { key: 'active-firewalld', out: 'active\n' },
      { key: 'enabled-firewalld', out: 'enabled\n' },
      { key: 'firewall-cmd', out: 'running\n' },
      { key: 'stat-iptables', absent: true },
      { key: 'context', absent: true },
    ]);
    const f = parseFactsOutput(frameForTest(N, sections), N, ctx);
    expect(f.firewalld).toBe('active');
    expect(f.iptablesServices.installed).toBe(false);
    expect(f.iptablesServices.iptables).toEqual({ active: 'unknown', enabled: null });
    expect(f.files.iptables.present).toBe(false);
    expect(f.warnings.join('\n')).toMatch(/iptables-services is not installed/);
    expect(f.warnings.join('\n')).toMatch(/firewalld is active/);
    expect(f.warnings.join('\n')).toMatch(/no \/etc\/sysconfig\/iptables/);
  });

  it('tells firewalld absent from inactive, and the nft backend from legacy', () => {
    const base = CENTOS79_IPTABLES.filter((s) => !/firewalld|^rpm$|^firewall-cmd$|^iptables-version$|^iptables-path$/.test(s.key));
    const f = parseFactsOutput(
      frameForTest(N, [
        ...base,
        { key: 'rpm', out: 'iptables-1.8.4-17.el8.x86_64\n', rc: 1 },
        { key: 'active-firewalld', out: 'inactive\n', rc: 3 },
        { key: 'enabled-firewalld', out: '', rc: 1, stderr: 'Failed to get unit file state for firewalld.service: No such file or directory' },
        { key: 'firewall-cmd', absent: true },
        { key: 'iptables-version', out: 'iptables v1.8.4 (nf_tables)\n' },
        { key: 'iptables-path', out: '/usr/sbin/iptables\n/usr/sbin/xtables-nft-multi\n' },
      ]),
      N,
      ctx,
    );
    expect(f.firewalld).toBe('absent');
    expect(f.iptables.backend).toBe('nft');
    expect(f.warnings.join('\n')).toMatch(/nf_tables backend/);
  });

  it('without root: config unreadable, file facts unknown, and a warning saying why', () => {
    const sections = CENTOS79_IPTABLES.map((s) =>
      s.key === 'iptables-config' ? { key: s.key, out: '', rc: 1, stderr: 'cat: /etc/sysconfig/iptables-config: Permission denied' } : s,
    );
    const f = parseFactsOutput(frameForTest(N, sections), N, {
      ...ctx,
      privilege: 'none',
      privilegeDetail: 'logged in as carol; sudo needs a password and none was given',
      probe: { ...ctx.probe, uid: 1000, user: 'carol', sudo: 'needs-password' },
    });
    expect(f.iptablesConfig).toMatchObject({ present: true, readable: false, saveOnStop: undefined });
    expect(f.privilege).toBe('none');
    expect(f.sudo).toBe('needs-password');
    expect(f.warnings.join('\n')).toMatch(/iptables-config \(needs root\)/);
    expect(f.warnings.join('\n')).toMatch(/no root on this host \(logged in as carol/);
  });

  it('reads shell variable files the way the init script sources them', () => {
    expect(parseShellVars('A="x y"\nB=yes # trailing\n#C=no\n  D=\'q\'\nbad line\n')).toEqual({ A: 'x y', B: 'yes', D: 'q' });
  });
});

describe('framing', () => {
  it('keeps every byte of a section, including frame-like text, CR, NUL and a missing final newline', () => {
    const weird = Buffer.from('line1\r\n--pcl-other-- begin x\n\0\xff tail-without-newline', 'latin1');
    const s = parseSections(frameForTest(N, [{ key: 'f', out: weird, rc: 0 }, { key: 'g', out: '', rc: 1, stderr: 'oops\nmore' }]), N);
    expect(s.get('f')!.out.equals(weird)).toBe(true);
    expect(s.get('g')).toMatchObject({ rc: 1, stderr: 'oops\nmore', absent: false });
  });

  it('marks a section cut off by a lost connection as unfinished', () => {
    const full = frameForTest(N, [{ key: 'a', out: 'x' }, { key: 'b', out: 'partial' }]);
    const s = parseSections(full.subarray(0, full.length - 20), N);
    expect(s.get('a')!.rc).toBe(0);
    expect(s.get('b')!.rc).toBeNull();
  });

  it('only a hex nonce goes into a script', () => {
    expect(() => scriptPrelude("x'; rm -rf /; '")).toThrow();
    expect(newNonce()).toMatch(/^[0-9a-f]{18}$/);
    const a = factsScript('00000000aaaaaaaa');
    const b = factsScript('11111111bbbbbbbb');
    expect(a.replace(/00000000aaaaaaaa/g, 'N')).toBe(b.replace(/11111111bbbbbbbb/g, 'N'));
  });

  for (const shell of ['sh', 'bash']) {
    it(`runs the facts script under ${shell} and frames every step (local run, no ssh)`, () => {
      const nonce = newNonce();
      const r = spawnSync(shell, ['-s'], { input: factsScript(nonce), timeout: 20_000 });
      expect(r.status).toBe(0);
      const s = parseSections(r.stdout, nonce);
      expect(s.get('id')?.out.toString().trim()).toBe(String(process.getuid?.() ?? ''));
      expect(s.get('kernel')?.rc).toBe(0);
      expect(s.has('tools')).toBe(true);
      // every step framed: nothing but frames on stdout
      const unframed = r.stdout.toString().split('\n').filter((l) => l && !l.startsWith(`--pcl-${nonce}--`));
      const inside = [...s.values()].map((x) => x.out.toString() + '\n' + x.stderr).join('\n');
      for (const l of unframed) expect(inside).toContain(l);
    });
  }

  it('pull script syntax is valid for sh and bash, with and without counters', () => {
    for (const shell of ['sh', 'bash'])
      for (const c of [false, true]) expect(spawnSync(shell, ['-n'], { input: pullScript(newNonce(), c) }).status).toBe(0);
  });
});

describe('pull output', () => {
  const save = (c: string) => `# Generated by iptables-save v1.4.21 on Mon Nov 30 04:00:00 2026
*filter
:INPUT ACCEPT [${c}]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [1:2]
[${c}] -A INPUT -p tcp -m tcp --dport 22 -j ACCEPT
COMMIT
# Completed on Mon Nov 30 04:00:00 2026
`;
  it('hashes saved files byte for byte and running rules without counters or timestamps', () => {
    const file = '# sample\n*filter\nCOMMIT\n';
    const p = interpretPull(
      parseSections(
        frameForTest(N, [
          { key: 'saved-iptables', out: file },
          { key: 'saved-ip6tables', absent: true },
          { key: 'live-iptables', out: save('12:3400') },
          { key: 'live-ip6tables', out: '', rc: 3, stderr: "ip6tables-save v1.4.21: Can't initialize" },
        ]),
        N,
      ),
      'web1',
      true,
    );
    expect(p.saved).toMatchObject({ present: true, ok: true, text: file, size: file.length, sha256: sha256Hex(file) });
    expect(p.saved6).toMatchObject({ present: false, ok: false });
    expect(p.live.rulesSha256).toBe(sha256Hex(normalizeLiveRules(save('99:99999'))));
    expect(p.live.sha256).not.toBe(sha256Hex(save('99:99999')));
    expect(p.live6).toMatchObject({ present: true, ok: false, error: "ip6tables-save v1.4.21: Can't initialize" });
    expect(normalizeLiveRules(save('5:6'))).toBe(
      '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\nCOMMIT\n',
    );
  });
});

describe('session helpers', () => {
  it('parses the start-of-session probe, ignoring what a chatty .bashrc prints', () => {
    expect(
      parseProbe('Welcome to web1!\npcl-probe uid 1001\npcl-probe user alice\npcl-probe conn 198.18.1.1 40000 198.18.1.2 22\npcl-probe sudo nopasswd\n'),
    ).toEqual({
      uid: 1001,
      user: 'alice',
      clientAddress: '198.18.1.1',
      clientPort: 40000,
      serverAddress: '198.18.1.2',
      sudo: 'nopasswd',
    });
    expect(parseProbe('pcl-probe uid 0\npcl-probe user root\npcl-probe conn \npcl-probe sudo not-tried\n')).toMatchObject({
      uid: 0,
      clientAddress: undefined,
      sudo: 'not-tried',
    });
    expect(() => parseProbe('sh: not found\n')).toThrow();
    expect(parseProbe('pcl-probe uid 1002\npcl-probe user carol\npcl-probe sudo needs-password\npcl-probe sudodenied yes\n')).toMatchObject({ sudo: 'needs-password', sudoDenied: true });
    expect(parseProbe('pcl-probe uid 1001\npcl-probe user bob\npcl-probe sudo needs-password\n').sudoDenied).toBeUndefined();
  });
  it('single-quotes fixed command strings for sh -c', () => {
    expect(shQuote(`it's`)).toBe(`'it'\\''s'`);
    const r = spawnSync('sh', ['-c', `printf %s ${shQuote(`a'b "$HOME" \\`)}`]);
    expect(r.stdout.toString()).toBe(`a'b "$HOME" \\`);
  });
});

