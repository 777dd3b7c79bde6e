import { describe, expect, it } from 'vitest';
import { LineTemplates } from './line-templates.js';

describe('LineTemplates: value templates are given up where lines do not repeat', () => {
  // a service chain with a port, mark and comment per rule: nothing is ever learnt, so `learnt` alone never stopped
  // the scan of every line for its slot words (manymatch's canon spent ~25 % more in find/scanLine)
  const line = (i: number) => `-A svc -s 10.${i >> 8}.${i & 255}.0/24 -p tcp -m tcp --dport ${1024 + i} -m mark --mark 0x${i.toString(16)} -j ACCEPT`;

  it('stays on through the first 2,000 look-ups, then is given up when none made a line', () => {
    const lt = new LineTemplates();
    for (let i = 0; i < 1999; i++) {
      const t = line(i);
      expect(lt.find(t, 0, t.length, false)).toBeNull();
    }
    expect(lt.valuesOn).toBe(true);
    const t = line(1999);
    lt.find(t, 0, t.length, false);
    expect(lt.valuesOn).toBe(false);
  });
});
