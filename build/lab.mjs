#!/usr/bin/env node
// `npm run lab -- up|down|status`: test hosts in network namespaces (root only).
// The lab is TypeScript (e2e/lab/); tsx loads it without a build step.
import { tsImport } from 'tsx/esm/api';

const { labCli } = await tsImport('../e2e/lab/cli.ts', import.meta.url);
process.exitCode = await labCli(process.argv.slice(2));
