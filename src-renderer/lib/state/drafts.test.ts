import { describe, expect, it } from 'vitest';
import { ProposalDrafts } from './drafts.js';

function memory(): Storage & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return {
    data,
    get length() {
      return data.size;
    },
    clear: () => data.clear(),
    key: (i: number) => [...data.keys()][i] ?? null,
    getItem: (k: string) => data.get(k) ?? null,
    setItem: (k: string, v: string) => void data.set(k, v),
    removeItem: (k: string) => void data.delete(k),
  };
}

describe('proposal drafts', () => {
  it('keeps one draft per host: the text and when, nothing else', () => {
    const s = memory();
    const d = new ProposalDrafts(s, () => 1000);
    d.save('h1', '*filter\nCOMMIT\n');
    d.save('h2', '*nat\nCOMMIT\n');
    expect(d.load('h1')).toEqual({ text: '*filter\nCOMMIT\n', savedAt: 1000 });
    expect(d.load('h2')?.text).toBe('*nat\nCOMMIT\n');
    expect(JSON.parse(s.data.get('portcullis.proposal.h1')!)).toEqual({ text: '*filter\nCOMMIT\n', savedAt: 1000 });
    d.clear('h1');
    expect(d.load('h1')).toBeNull();
    expect(d.load('h2')).not.toBeNull();
  });

  it('ignores what it cannot read, and a storage that refuses', () => {
    const s = memory();
    s.setItem('portcullis.proposal.bad', '{not json');
    s.setItem('portcullis.proposal.empty', JSON.stringify({ text: '', savedAt: 1 }));
    const d = new ProposalDrafts(s);
    expect(d.load('bad')).toBeNull();
    expect(d.load('empty')).toBeNull();
    expect(d.load('none')).toBeNull();
    const full = new ProposalDrafts({
      getItem: () => null,
      setItem: () => {
        throw new DOMException('full', 'QuotaExceededError');
      },
      removeItem: () => {},
    });
    expect(() => full.save('h', 'x')).not.toThrow();
  });
});
