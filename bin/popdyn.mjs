#!/usr/bin/env node
// The `popdyn` command: plain Node, no Electron. Runs the TypeScript sources through tsx
// (a runtime dependency), with the project's own tsconfig wherever it is started from.
import { fileURLToPath } from 'node:url'
import { register } from 'tsx/esm/api'

register({ tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) })
const { main } = await import('../src-main/cli/main.ts')
process.exitCode = await main(process.argv.slice(2))
