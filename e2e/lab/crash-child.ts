// Test helper for teardown.lab.test.ts: starts a lab, reports its slot, then
// ends the way the test asks (exit without stop(), or wait to be killed).
import { startLab } from './lab.js';

const how = process.argv[2];
const lab = await startLab({ hosts: ['plain'] });
process.stdout.write(`${lab.slot}\n`);
if (how === 'exit') process.exit(1);
if (how === 'throw') throw new Error('a test run that fails');
setInterval(() => {}, 1000); // 'wait': until a signal
