#!/usr/bin/env node
// Pull latency against OpenSSH on the same lab host in the same run:
//   portcullis: openSession + pull (saved file, ip6tables file, iptables-save, ip6tables-save) + close
//   OpenSSH:    ssh HOST 'cat /etc/sysconfig/iptables; iptables-save'   (a new process and connection each time)
// plus a pull on an already open session (what the app does) and, with the
// stock file replaced by a large generated one, the same pair again.
// Needs root (it starts a lab). `node build/bench-pull.mjs`, or benchPull() from build/bench.mjs.
// Median of BENCH_RUNS (default 15) runs; BENCH_PULL_RULES sets the large file's size (default 100000, 0 to skip).
import { spawnSync } from 'node:child_process';
import { tsImport } from 'tsx/esm/api';
import { generateRuleset } from './gen-ruleset.mjs';

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function benchPull({ runs = Number(process.env.BENCH_RUNS ?? 15), largeRules = Number(process.env.BENCH_PULL_RULES ?? 100000), log = console.log } = {}) {
  if (process.getuid?.() !== 0) {
    log('bench-pull: skipped (needs root for the lab)');
    return [];
  }
  const { startLab } = await tsImport('../e2e/lab/lab.ts', import.meta.url);
  const { openSession } = await tsImport('../src-main/host/index.ts', import.meta.url);
  const lab = await startLab({ hosts: ['plain'] });
  const results = [];
  try {
    const opts = { sshConfigPath: lab.sshConfigPath, agent: false };
    const ssh = () => {
      const t0 = process.hrtime.bigint();
      const r = spawnSync('ssh', ['-F', lab.sshConfigPath, '-o', 'BatchMode=yes', 'plain', 'cat /etc/sysconfig/iptables; iptables-save'], {
        maxBuffer: 1 << 30,
      });
      if (r.status !== 0) throw new Error(`ssh failed: ${r.stderr}`);
      return { ms: Number(process.hrtime.bigint() - t0) / 1e6, bytes: r.stdout.length };
    };
    const ours = async () => {
      const t0 = process.hrtime.bigint();
      const s = await openSession('plain', opts);
      const p = await s.pull();
      await s.close();
      return { ms: Number(process.hrtime.bigint() - t0) / 1e6, bytes: p.saved.size + p.saved6.size + p.live.size + p.live6.size };
    };
    const scenario = async (name) => {
      await ours(); // warm-up: JIT, first connection
      ssh();
      const a = [];
      const b = [];
      let bytesA = 0;
      let bytesB = 0;
      for (let i = 0; i < runs; i++) {
        // interleaved so that drift on the machine hits both sides alike
        const x = await ours();
        const y = ssh();
        a.push(x.ms);
        b.push(y.ms);
        bytesA = x.bytes;
        bytesB = y.bytes;
      }
      const warm = [];
      const s = await openSession('plain', opts);
      for (let i = 0; i < runs; i++) {
        const t0 = process.hrtime.bigint();
        await s.pull();
        warm.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
      await s.close();
      const r = { name, portcullisMs: median(a), opensshMs: median(b), warmPullMs: median(warm), portcullisBytes: bytesA, opensshBytes: bytesB };
      r.ratio = r.portcullisMs / r.opensshMs;
      results.push(r);
      log(
        `pull ${name.padEnd(22)} portcullis ${r.portcullisMs.toFixed(0).padStart(5)} ms (${bytesA} B)   OpenSSH ${r.opensshMs.toFixed(0).padStart(5)} ms (${bytesB} B)   ratio ${r.ratio.toFixed(2)}   open-session pull ${r.warmPullMs.toFixed(0)} ms`,
      );
    };
    await scenario('stock file');
    if (largeRules > 0) {
      const big = generateRuleset(largeRules, 7);
      await lab.hostExec('plain', ['sh', '-c', 'cat > /etc/sysconfig/iptables'], big);
      await scenario(`${largeRules}-rule file`);
    }
  } finally {
    await lab.stop();
  }
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await benchPull();
}
