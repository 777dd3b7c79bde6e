// The app connected to a host over IPv6 (browser mode in Chromium, or the
// Electron shell with PORTCULLIS_E2E=electron; a real lab host whose sshd
// listens on 2001:db8::/32): a profile whose host is an IPv6 literal, and one
// that is an ~/.ssh/config alias whose HostName is one. The host key is
// checked strictly under the IPv6 address — a known_hosts whose IPv4 entry is
// right but whose IPv6 entry holds another key is refused outright, with the
// line it holds; the lab's hashed known_hosts (both addresses) lets it in
// without a question. Connected, the pull brings both families and the facts
// show the client's IPv6 address, as sshd logged it.
import { describe, expect, it } from 'vitest';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { skipLab } from './lab/testing.js';
import { STOCK_IP6TABLES } from './lab/fixtures.js';
import { run } from './lab/run.js';
import { skipE2e, type AppHandle } from './support/app.js';
import { SHOTS, useLabApp, hostRun } from './support/lab-app.js';
import { labSshHome } from './support/ssh-home.js';
import { checkAccessibility } from './support/axe.js';

describe.skipIf(skipLab || skipE2e)('lab: the app connected to a host over IPv6', () => {
  let app: AppHandle;
  let page: Page;
  let ssh: { key: string; knownHosts: string };
  let home = '';
  const L = useLabApp(
    {
      hosts: ['plain'],
      tmpPrefix: 'pcl-e2e-over6-',
      viewport: { width: 1440, height: 900 },
      beforeLaunch: (tmp, lab) => {
        home = tmp;
        ssh = labSshHome(tmp, lab.get().keys.plain);
        const h = lab.get().hosts.plain;
        // the config alias the second profile names: the host by its IPv6 address only
        writeFileSync(join(tmp, '.ssh', 'config'), `Host plain-v6\n  HostName ${h.address6}\n  User root\n  IdentityFile ${ssh.key}\n  IdentitiesOnly yes\n`, { mode: 0o600 });
      },
    },
    (h) => ({ app, page } = h),
  );
  const byId = (id: string) => page.getByTestId(id);
  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `over-ipv6-${name}.png`) });
  const exec = (argv: string[], input?: string) => hostRun(L, 'plain', argv, input);
  // a host-key question holds the connection until it is answered: with none open once connected (or refused), none was asked
  const noQuestion = async () => (await page.locator('[data-testid=prompt-dialog][open]').count()) === 0;

  async function addHost(name: string, target: string, identity: string): Promise<void> {
    await byId('tab-hosts').click();
    await byId('host-add').click();
    await byId('host-field-name').fill(name);
    await byId('host-field-target').fill(target);
    await byId('host-field-identityFile').fill(identity);
    await byId('host-field-knownHostsFile').fill(ssh.knownHosts);
    await byId('host-save').click();
    await page.locator('[data-testid=host-name]', { hasText: name }).waitFor();
  }

  it('an IPv6 literal whose known_hosts entry holds another key is refused: the IPv4 entry with the right key does not count', async () => {
    const lab = L.get();
    const h = lab.hosts.plain;
    // another key of each type the host offers, under the IPv6 address; the real keys under the IPv4 one
    const wrong: string[] = [];
    for (const k of h.hostKeys) {
      const f = join(home, `wrong-${k.type}`);
      await run(['ssh-keygen', '-q', '-t', k.type.startsWith('ecdsa') ? 'ecdsa' : k.type.replace(/^ssh-/, ''), '-N', '', '-f', f]);
      wrong.push(`${h.address6} ${readFileSync(`${f}.pub`, 'utf8').split(' ').slice(0, 2).join(' ')}`);
    }
    writeFileSync(ssh.knownHosts, [...h.hostKeys.map((k) => `${h.address} ${k.publicKey}`), ...wrong].join('\n') + '\n');

    await addHost('literal6', `root@[${h.address6}]`, ssh.key);
    await byId('host-connect').click();
    const err = page.locator('[data-testid=host-error][data-kind=host-key-changed]');
    await err.waitFor({ timeout: 30_000 });
    expect(await noQuestion()).toBe(true);
    // what the file holds for that address: an IPv6 line (they come after the IPv4 lines), never an IPv4 one
    const where = (await err.getByTestId('key-expected').evaluateAll((els) => els.map((e) => e.parentElement!.innerText)));
    expect(where.length).toBeGreaterThan(0);
    for (const w of where) {
      const line = Number(new RegExp(`\\(${ssh.knownHosts.replace(/[.]/g, '\\.')}:(\\d+)\\)`).exec(w)?.[1]);
      expect(line, w).toBeGreaterThan(h.hostKeys.length);
    }
    expect(await err.innerText()).toContain(`ssh-keygen -R ${h.address6}`);
    // nothing logged in: sshd saw no accepted login
    expect(lab.sshdLog('plain')).not.toMatch(/Accepted publickey for root from 2001:db8:/);
    await checkAccessibility(page, 'host key changed over IPv6');
    await shot('key-changed');
    await err.getByRole('button', { name: 'Dismiss' }).click();
  });

  it('with the IPv6 entry known (hashed, as HashKnownHosts writes it) it connects without a question; the facts show the client\'s IPv6 address', async () => {
    const lab = L.get();
    const h = lab.hosts.plain;
    copyFileSync(lab.knownHostsPath, ssh.knownHosts);
    expect(readFileSync(ssh.knownHosts, 'utf8')).not.toContain(h.address6);
    // both firewalls, as iptables.service and ip6tables.service load them at boot
    await exec(['sh', '-c', 'cat > /etc/sysconfig/ip6tables'], STOCK_IP6TABLES);
    await exec(['ip6tables-restore'], STOCK_IP6TABLES);
    await exec(['sh', '-c', 'iptables-restore < /etc/sysconfig/iptables']);

    await byId('host-connect').click();
    await page.locator('[data-testid=host-status]', { hasText: `Connected as root, seen from ${h.peerAddress6}` }).waitFor({ timeout: 30_000 });
    expect(await noQuestion()).toBe(true);
    expect(await byId('fact-client').innerText()).toBe(h.peerAddress6);
    expect(await byId('fact-route').innerText()).toBe(`root@[${h.address6}]:22`);
    expect(await byId('fact-hostkey').innerText()).toMatch(new RegExp(h.hostKeys.map((k) => k.fingerprint.replace(/[+/]/g, '\\$&')).join('|')));
    // sshd's own word: the login came over IPv6
    expect(lab.sshdLog('plain')).toMatch(new RegExp(`Accepted publickey for root from ${h.peerAddress6} port`));

    // the pull: both families, saved and running
    await byId('rulesets-table').waitFor();
    expect(await byId('saved-ipv4').innerText()).toMatch(/^\d+ rules in \/etc\/sysconfig\/iptables/);
    expect(await byId('saved-ipv6').innerText()).toMatch(/^7 rules in \/etc\/sysconfig\/ip6tables/);
    expect(await byId('running-ipv6').innerText()).toMatch(/^7 rules/);
    await checkAccessibility(page, 'host connected over IPv6');
    await shot('connected');
  });

  it('an ~/.ssh/config alias whose HostName is the IPv6 address: the same host, the same strict check, the same client address', async () => {
    const lab = L.get();
    const h = lab.hosts.plain;
    await addHost('alias6', 'plain-v6', '');
    await byId('host-connect').click();
    await page.locator('[data-testid=host-status]', { hasText: `Connected as root, seen from ${h.peerAddress6}` }).waitFor({ timeout: 30_000 });
    expect(await noQuestion()).toBe(true);
    expect(await byId('fact-route').innerText()).toBe(`root@[${h.address6}]:22`);
    await byId('rulesets-table').waitFor();
    expect(await byId('saved-ipv6').innerText()).toMatch(/^7 rules in \/etc\/sysconfig\/ip6tables/);
    expect(app.pageErrors).toEqual([]);
  });
});
