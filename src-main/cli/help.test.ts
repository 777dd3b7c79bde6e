// `portcullis COMMAND --help` and usage errors, for every command.
import { describe, expect, it } from 'vitest';
import { run } from './testing/capture.js';
import { allCommands } from './commands/index.js';
import { COMMAND_TABLE } from './commands/table.js';
import './commands/all.js';

describe('help and usage errors', () => {
  it('the command table (what the bin lists and loads) names exactly the registered commands, in order', async () => {
    expect(COMMAND_TABLE.map((c) => c.name)).toEqual(allCommands().map((c) => c.name));
    const help = await run(['--help']);
    for (const c of COMMAND_TABLE) expect(help.out).toContain(`  ${c.name.padEnd(10)} ${c.summary}\n`);
  });

  for (const c of allCommands()) {
    it(`${c.name}: --help starts with its synopsis (exit 0); a usage error shows the synopsis and points to --help (exit 2)`, async () => {
      const help = await run([c.name, '--help']);
      expect(help.code).toBe(0);
      expect(help.out).toMatch(new RegExp(`^usage: portcullis ${c.name}[ \\n]`));
      const bad = await run([c.name, '--no-such-option']);
      expect(bad.code).toBe(2);
      if (c.name === 'recipe') expect(bad.err).toMatch(/give the recipe name first/);
      else {
        expect(bad.err).toMatch(/--no-such-option/);
        expect(bad.err).toContain(`Run \`portcullis ${c.name} --help\``);
      }
      expect(bad.err.split('\n').length).toBeLessThan(10);
    });
  }
});
