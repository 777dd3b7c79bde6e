// hosts:save from the page names only key and known_hosts files the person
// picked in a native dialog, or files under ~/.ssh (no existence oracle, no
// host key appended to an arbitrary file). The CLI keeps its flags.
import { beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDispatcher, createHandlers, type Dispatch } from './handlers.js';
import { RecentFiles } from '../services/recent-files.js';
import { HostProfiles } from '../services/host-profiles.js';
import { HostWorkbench } from '../services/host-workbench.js';
import { NoSecretStore } from '../services/secrets.js';
import type { HostProfile, HostProfileInput, Result } from '../contract/index.js';

let home = '';
let picked: string | null = null;
/** one run of the app; runs that share `store` share the host list on disk */
const make = (withDialog: boolean, store: string | null = null): Dispatch => {
  const profiles = new HostProfiles(store);
  const workbench = new HostWorkbench({ profiles, secrets: new NoSecretStore(), emit: () => {}, sshConfigPath: null, homeDir: home });
  return createDispatcher(
    createHandlers({
      app: { name: 'Portcullis', version: 't', mode: withDialog ? 'electron' : 'browser' },
      recent: new RecentFiles(null),
      profiles,
      workbench,
      secretsAvailable: false,
      ...(withDialog ? { pickHostFile: async () => picked } : {}),
    }),
  );
};
const input = (o: Partial<HostProfileInput>): HostProfileInput => ({ name: 'web', target: 'root@198.51.100.7', jump: '', identityFile: '', knownHostsFile: '', sudo: 'auto', confirmTimeoutS: 60, ...o });
const fields = (r: Result<unknown>) => (!r.ok && r.error.details?.kind === 'fields' ? r.error.details.fields : {});

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'pcl-home-'));
  picked = null;
});

describe('files a host profile from the page may name', () => {
  it('refuses any file outside ~/.ssh that was not picked, whether it exists or not (the same answer: no oracle)', async () => {
    const d = make(true);
    for (const f of ['/etc/shadow', '/etc/no-such-file', join(home, '.bashrc'), '~/.ssh/../.bashrc', `${home}/.ssh/../../etc/passwd`]) {
      const r = await d('hosts:save', [input({ identityFile: f, knownHostsFile: f })]);
      expect(r.ok).toBe(false);
      expect(fields(r)).toEqual({ identityFile: expect.stringMatching(/Choose…/), knownHostsFile: expect.stringMatching(/Choose…/) });
    }
    expect(await d('hosts:list', [])).toEqual({ ok: true, value: [] });
  });

  it('accepts files under ~/.ssh (as ~/ or in full), and a file picked in the native dialog', async () => {
    const d = make(true);
    expect((await d('hosts:save', [input({ identityFile: '~/.ssh/id_ed25519', knownHostsFile: join(home, '.ssh', 'known_hosts') })])).ok).toBe(true);
    picked = '/srv/keys/deploy_ed25519';
    expect(await d('hosts:pick-file', ['identity'])).toEqual({ ok: true, value: picked });
    expect((await d('hosts:save', [input({ name: 'db', identityFile: picked })])).ok).toBe(true);
    // a file picked as a key is a picked file; one never picked is still refused
    expect(fields(await d('hosts:save', [input({ name: 'x', identityFile: '/srv/keys/other' })]))).toHaveProperty('identityFile');
    expect(await d('hosts:pick-file', ['/etc/passwd'])).toMatchObject({ ok: false, error: { code: 'invalid-argument' } });
  });

  it('keeps a path the profile already held (saved before), and refuses a change to a new unpicked one', async () => {
    const store = join(home, 'hosts.json');
    const d = make(true, store);
    picked = '/opt/site/known_hosts';
    await d('hosts:pick-file', ['known-hosts']);
    const saved = await d('hosts:save', [input({ knownHostsFile: picked })]);
    const p = (saved as { ok: true; value: HostProfile }).value;
    // another run of the app: nothing picked in it, the stored value still saves
    const next = make(true, store);
    expect((await next('hosts:save', [{ ...p, name: 'renamed' }])).ok).toBe(true);
    expect(fields(await next('hosts:save', [{ ...p, knownHostsFile: '/opt/site/other' }]))).toHaveProperty('knownHostsFile');
    // and a new profile naming that file is a new choice: refused in this run
    expect(fields(await next('hosts:save', [input({ name: 'other', knownHostsFile: picked })]))).toHaveProperty('knownHostsFile');
  });

  it('browser mode has no dialog: only ~/.ssh, and the pick call says so', async () => {
    const d = make(false);
    expect(await d('hosts:pick-file', ['identity'])).toMatchObject({ ok: false, error: { code: 'unsupported', message: expect.stringMatching(/~\/\.ssh/) } });
    expect((await d('hosts:save', [input({ identityFile: '~/.ssh/id_rsa' })])).ok).toBe(true);
    expect(fields(await d('hosts:save', [input({ name: 'b', identityFile: '/tmp/id_rsa' })]))).toHaveProperty('identityFile');
  });
});
