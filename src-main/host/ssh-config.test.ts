import { describe, expect, it } from 'vitest';
import { resolveSshConfig, splitConfigLine } from './ssh-config.js';
import { parseTarget, resolveRoute } from './target.js';
import { ConfigError } from './errors.js';

const HOME = '/home/admin';
const ctx = (host: string, extra: Partial<Parameters<typeof resolveSshConfig>[2]> = {}) => ({ host, homeDir: HOME, localUser: 'admin', ...extra });

describe('ssh config lines', () => {
  it('splits keyword and arguments: spaces, =, quotes, trailing comments', () => {
    expect(splitConfigLine('  HostName   db.example.com')).toEqual({ key: 'hostname', args: ['db.example.com'] });
    expect(splitConfigLine('Port=2222')).toEqual({ key: 'port', args: ['2222'] });
    expect(splitConfigLine('IdentityFile "~/keys/my key"')).toEqual({ key: 'identityfile', args: ['~/keys/my key'] });
    expect(splitConfigLine('User root # the admin')).toEqual({ key: 'user', args: ['root'] });
    expect(splitConfigLine('# comment')).toBeUndefined();
    expect(splitConfigLine('')).toBeUndefined();
  });
});

describe('resolving a host from ssh config', () => {
  const CONFIG = `
# global defaults come last in a well-written file, but first-wins must hold anyway
Host web*  !web-legacy
  HostName %h.example.com
  User deploy
  Port 2200
  IdentityFile ~/.ssh/id_web

Host web1
  User root
  IdentityFile ~/.ssh/id_web1
  IdentitiesOnly yes

Host bastion
  HostName 203.0.113.7
  User jump

Host inner
  HostName 10.1.2.3
  ProxyJump bastion

Match exec "touch /tmp/pwned"
  User pwned

Match originalhost db user admin
  HostName db.internal

Host *
  User fallback
  ServerAliveInterval 30
  UserKnownHostsFile ~/.ssh/known_hosts ~/.ssh/known_hosts.%h
`;

  it('first value wins; IdentityFile accumulates; %h and ~ expand', () => {
    const c = resolveSshConfig(CONFIG, '/home/admin/.ssh/config', ctx('web1'));
    expect(c.hostName).toBe('web1.example.com');
    expect(c.user).toBe('deploy');
    expect(c.port).toBe(2200);
    expect(c.identityFiles).toEqual(['/home/admin/.ssh/id_web', '/home/admin/.ssh/id_web1']);
    expect(c.identitiesOnly).toBe(true);
    expect(c.serverAliveInterval).toBe(30);
    expect(c.userKnownHostsFiles).toEqual(['/home/admin/.ssh/known_hosts', '/home/admin/.ssh/known_hosts.web1.example.com']);
  });

  it('a negated pattern excludes the host from the block', () => {
    const c = resolveSshConfig(CONFIG, 'config', ctx('web-legacy'));
    expect(c.hostName).toBeUndefined();
    expect(c.user).toBe('fallback');
  });

  it('never runs Match exec, and says so', () => {
    const c = resolveSshConfig(CONFIG, 'config', ctx('other'));
    expect(c.user).toBe('fallback');
    expect(c.warnings.join('\n')).toMatch(/Match exec is not evaluated/);
  });

  it('evaluates Match originalhost and user', () => {
    expect(resolveSshConfig(CONFIG, 'config', ctx('db')).hostName).toBe('db.internal');
    expect(resolveSshConfig(CONFIG, 'config', ctx('db', { user: 'someone' })).hostName).toBeUndefined();
  });

  it('follows Include (relative to ~/.ssh, with globs) and restores the block after it', () => {
    const files: Record<string, string> = {
      '/home/admin/.ssh/conf.d/a.conf': 'Host lab1\n  HostName 198.18.0.2\n',
      '/home/admin/.ssh/conf.d/b.conf': 'Host lab2\n  HostName 198.18.0.6\n',
    };
    const text = 'Host lab1 lab2\n  Include conf.d/*.conf\n  Port 2022\nHost *\n  User root\n';
    const opts = {
      readFile: (p: string) => files[p],
      listDir: (d: string) => (d === '/home/admin/.ssh/conf.d' ? ['b.conf', 'a.conf', 'notes.txt'] : []),
    };
    const c1 = resolveSshConfig(text, 'config', ctx('lab1', opts));
    expect(c1.hostName).toBe('198.18.0.2');
    expect(c1.port).toBe(2022);
    const c2 = resolveSshConfig(text, 'config', ctx('lab2', opts));
    expect(c2.hostName).toBe('198.18.0.6');
    const c3 = resolveSshConfig(text, 'config', ctx('lab3', opts));
    expect(c3.hostName).toBeUndefined();
    expect(c3.port).toBeUndefined();
  });

  it('flags ProxyCommand as unsupported', () => {
    const c = resolveSshConfig('Host x\n  ProxyCommand nc %h %p\n', 'config', ctx('x'));
    expect(c.warnings.join()).toMatch(/ProxyCommand is not supported/);
  });
});

describe('targets', () => {
  it('parses [user@]host[:port], bracketed IPv6 and ssh:// URLs', () => {
    expect(parseTarget('web1')).toEqual({ host: 'web1', user: undefined, port: undefined });
    expect(parseTarget('root@198.18.0.2:2222')).toEqual({ user: 'root', host: '198.18.0.2', port: 2222 });
    expect(parseTarget('admin@[2001:db8::1]:22')).toEqual({ user: 'admin', host: '2001:db8::1', port: 22 });
    expect(parseTarget('2001:db8::1')).toEqual({ host: '2001:db8::1', user: undefined, port: undefined });
    expect(parseTarget('ssh://me@h:2')).toEqual({ user: 'me', host: 'h', port: 2 });
  });
  it('refuses what cannot be a host (and anything that could read as an option or shell text)', () => {
    for (const bad of ['', 'h:99999', 'h:x', '-oProxyCommand=x', 'a b', 'h;rm', '@h']) expect(() => parseTarget(bad), bad).toThrow(ConfigError);
  });
});

describe('routes', () => {
  const files: Record<string, string> = {
    '/cfg': `
Host target
  HostName 10.0.0.9
  User admin
  ProxyJump hop2
Host hop2
  HostName 10.0.0.2
  ProxyJump hop1
Host hop1
  HostName 203.0.113.1
  Port 2201
  User jumper
Host chained
  HostName 10.0.0.10
  ProxyJump hop1,hop2
Host *
  IdentityFile ~/.ssh/id_lab
`,
  };
  const base = { sshConfigPath: '/cfg', homeDir: HOME, localUser: 'admin', readFile: (p: string) => files[p] };

  it('follows the jump host’s own ProxyJump (hops in connection order)', () => {
    const r = resolveRoute('target', base);
    expect(r.hops.map((h) => `${h.user}@${h.host}:${h.port}`)).toEqual(['jumper@203.0.113.1:2201', 'admin@10.0.0.2:22', 'admin@10.0.0.9:22']);
    expect(r.hops[2].identityFiles).toEqual(['/home/admin/.ssh/id_lab']);
  });

  it('treats ProxyJump a,b as "b through a", ignoring b’s own ProxyJump', () => {
    const r = resolveRoute('chained', base);
    expect(r.hops.map((h) => h.name)).toEqual(['hop1', 'hop2', 'chained']);
  });

  it('lets --jump override the config, command line identities go first, --known-hosts replaces the user files only', () => {
    const r = resolveRoute('root@target:2022', { ...base, jump: 'hop1', identityFiles: ['/k/id'], knownHostsFiles: ['/k/kh'] });
    expect(r.hops.map((h) => h.name)).toEqual(['hop1', 'target']);
    expect(r.hops[1]).toMatchObject({ user: 'root', port: 2022, host: '10.0.0.9', identityFiles: ['/k/id', '/home/admin/.ssh/id_lab'], knownHostsFiles: ['/k/kh', '/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2'] });
    expect(resolveRoute('target', { ...base, jump: 'none' }).hops).toHaveLength(1);
  });

  it('--known-hosts keeps the global files in force, the config\'s GlobalKnownHostsFile included (as OpenSSH\'s UserKnownHostsFile)', () => {
    const cfg = { ...base, readFile: () => 'Host *\n  GlobalKnownHostsFile /srv/site_known_hosts\n  UserKnownHostsFile /home/admin/kh-user\n' };
    expect(resolveRoute('192.0.2.1', cfg).hops[0].knownHostsFiles).toEqual(['/home/admin/kh-user', '/srv/site_known_hosts']);
    expect(resolveRoute('192.0.2.1', { ...cfg, knownHostsFiles: ['/tmp/mine'] }).hops[0].knownHostsFiles).toEqual(['/tmp/mine', '/srv/site_known_hosts']);
  });

  it('defaults: ~/.ssh/known_hosts files, the local user, port 22', () => {
    const r = resolveRoute('192.0.2.1', { ...base, sshConfigPath: null });
    expect(r.hops[0]).toMatchObject({ host: '192.0.2.1', port: 22, user: 'admin', identityFiles: [] });
    expect(r.hops[0].knownHostsFiles[0]).toBe('/home/admin/.ssh/known_hosts');
  });

  it('stops ProxyJump loops', () => {
    const loop = { ...base, readFile: () => 'Host a\n  ProxyJump b\nHost b\n  ProxyJump a\n' };
    expect(() => resolveRoute('a', loop)).toThrow(/loop|longer than 8/);
  });
});
