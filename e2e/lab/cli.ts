// `npm run lab -- up|down|status` (via build/lab.mjs).
import { readFileSync } from 'node:fs';
import { downAll, labStatus, labUnavailableReason, upPersistentLab } from './lab.js';

export async function labCli(argv: string[]): Promise<number> {
  // `npm run lab -- status | head` closes stdout early: not an error
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
  });
  const [verb] = argv;
  switch (verb) {
    case 'up': {
      const why = labUnavailableReason();
      if (why) {
        process.stderr.write(`lab: ${why}\n`);
        return 2;
      }
      const { sshConfigPath, reused } = await upPersistentLab();
      process.stderr.write(`lab ${reused ? 'already up' : 'up'}; ssh_config: ${sshConfigPath}\n`);
      process.stderr.write(`try: ssh -F ${sshConfigPath} plain 'iptables-save'\n\n`);
      process.stdout.write(readFileSync(sshConfigPath, 'utf8'));
      return 0;
    }
    case 'down': {
      const { removed, inUse } = downAll({ force: argv.includes('--force') });
      process.stderr.write(removed.length ? `lab down: removed ${removed.join(', ')}\n` : 'lab down: nothing to remove\n');
      if (inUse.length)
        process.stderr.write(`lab down: left running test labs alone (they remove themselves; --force removes them now): ${inUse.join(', ')}\n`);
      return 0;
    }
    case 'status': {
      const labs = labStatus();
      if (!labs.length) {
        process.stdout.write('no lab\n');
        return 0;
      }
      for (const l of labs) {
        process.stdout.write(`${l.dir} (${l.persistent ? 'persistent' : l.ownerAlive ? 'test run' : 'stale'})\n`);
        for (const h of l.hosts) process.stdout.write(`  ${h.name.padEnd(8)} ${h.address.padEnd(15)} ${h.namespace}  sshd ${h.sshd}\n`);
        if (l.sshConfigPath) process.stdout.write(`  ssh_config: ${l.sshConfigPath}\n`);
      }
      return 0;
    }
    default:
      process.stderr.write('usage: npm run lab -- up | down [--force] | status\n');
      return 2;
  }
}
