// firewalld is read in two places (apply's connect step, the facts pull) through one rule:
// both must give the same answer for the same host.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { firewalldState, parseFactsOutput, factsScript, type FactsContext } from '../host/facts.js';
import { newNonce } from '../host/remote-script.js';
import { WHERE_SCRIPT, parseKeyed, whereFirewalld } from './scripts.js';

const ctx: FactsContext = {
  host: 'local',
  probe: { uid: 0, user: 'root', clientAddress: '203.0.113.9', clientPort: 50000, serverAddress: '192.0.2.10', sudo: 'not-tried' },
  privilege: 'root',
  hostKey: { keyType: 'ssh-ed25519', fingerprint: 'SHA256:x' },
};

describe('firewalldState', () => {
  it('systemctl present but no firewalld unit, command or package: absent (is-active alone says inactive)', () => {
    // what systemd answers for a unit that does not exist: is-active "inactive", is-enabled nothing on stdout
    expect(firewalldState({ active: 'inactive', enabled: null, cmd: undefined })).toBe('absent');
    expect(firewalldState({ active: 'unknown', enabled: null, cmd: undefined, installed: false })).toBe('absent');
    expect(firewalldState({ active: null, enabled: null, cmd: undefined })).toBe('absent');
  });
  it('installed and stopped: inactive, whichever piece of evidence shows it is installed', () => {
    expect(firewalldState({ active: 'inactive', enabled: 'disabled', cmd: undefined })).toBe('inactive');
    expect(firewalldState({ active: 'inactive', enabled: null, cmd: 'not running' })).toBe('inactive');
    expect(firewalldState({ active: null, enabled: null, cmd: undefined, installed: true })).toBe('inactive');
    // systemd 219's stderr text, if it ever reaches stdout, is no unit state
    expect(firewalldState({ active: 'unknown', enabled: 'Failed to get unit file state for firewalld.service: No such file or directory', cmd: undefined })).toBe('absent');
  });
  it('running by systemd or by firewall-cmd: active; masked wins', () => {
    expect(firewalldState({ active: 'active', enabled: 'enabled', cmd: 'running' })).toBe('active');
    expect(firewalldState({ active: null, enabled: null, cmd: 'running' })).toBe('active');
    expect(firewalldState({ active: 'inactive', enabled: 'masked', cmd: 'not running' })).toBe('masked');
  });
  it("apply's WHERE_SCRIPT lines: the missing-unit case reads absent, as the facts pull reads it", () => {
    const lines = (s: string) => parseKeyed(s).keys;
    expect(whereFirewalld(lines('firewalld=inactive\nfirewalld-enabled=\n'))).toBe('absent');
    expect(whereFirewalld(lines('firewalld=inactive\nfirewalld-enabled=disabled\n'))).toBe('inactive');
    expect(whereFirewalld(lines('firewalld=inactive\nfirewalld-enabled=masked\nfirewall-cmd=not running\n'))).toBe('masked');
    expect(whereFirewalld(lines('firewalld=active\nfirewalld-enabled=enabled\nfirewall-cmd=running\n'))).toBe('active');
    expect(whereFirewalld(lines('client=1.2.3.4\n'))).toBe('absent');
  });
  it('this machine: the apply connect script and the facts script agree (local run, no ssh)', () => {
    const where = spawnSync('sh', ['-s'], { input: WHERE_SCRIPT, timeout: 20_000 });
    expect(where.status).toBe(0);
    const nonce = newNonce();
    const facts = spawnSync('sh', ['-s'], { input: factsScript(nonce), timeout: 20_000 });
    expect(facts.status).toBe(0);
    const f = parseFactsOutput(facts.stdout, nonce, ctx);
    expect(whereFirewalld(parseKeyed(where.stdout.toString()).keys)).toBe(f.firewalld);
  });
});
