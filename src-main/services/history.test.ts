import { describe, expect, it } from 'vitest';
import { appendFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { appendHistory, historyPath, readHistory, stateDir } from './history.js';

describe('local apply history', () => {
  it('lives in PORTCULLIS_STATE_DIR, else XDG_STATE_HOME/portcullis, else ~/.local/state/portcullis', () => {
    expect(stateDir({ PORTCULLIS_STATE_DIR: '/x', XDG_STATE_HOME: '/y', HOME: '/h' })).toBe('/x');
    expect(stateDir({ XDG_STATE_HOME: '/y', HOME: '/h' })).toBe('/y/portcullis');
    expect(stateDir({ HOME: '/h' })).toBe('/h/.local/state/portcullis');
    expect(historyPath({ HOME: '/h' })).toBe('/h/.local/state/portcullis/history.jsonl');
  });

  it('appends one JSON line per record, mode 0600, and skips a damaged line when reading', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pcl-history-'));
    try {
      const env = { PORTCULLIS_STATE_DIR: join(dir, 'state') };
      const f = appendHistory({ id: 'a', outcome: 'confirmed' }, env);
      appendFileSync(f, '{"id":"broken"\n');
      appendHistory({ id: 'b', outcome: 'reverted' }, env);
      expect(readHistory(env)).toEqual([{ id: 'a', outcome: 'confirmed' }, { id: 'b', outcome: 'reverted' }]);
      expect(statSync(f).mode & 0o777).toBe(0o600);
      expect(statSync(join(dir, 'state')).mode & 0o777).toBe(0o700);
      expect(readHistory({ PORTCULLIS_STATE_DIR: join(dir, 'none') })).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
