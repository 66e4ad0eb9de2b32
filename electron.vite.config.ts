import { resolve } from 'node:path'
import { defineConfig } from 'electron-vite'
import { svelte } from '@sveltejs/vite-plugin-svelte'

// Our folders are not electron-vite's defaults (src/main, src/preload, src/renderer),
// so every entry is set explicitly (see research/stack.md §2, pitfall P6).
const r = (p: string) => resolve(__dirname, p)
const alias = { '@shared': r('src-shared') }

export default defineConfig({
  main: {
    resolve: { alias },
    build: {
      outDir: 'out/main',
      rollupOptions: {
        input: {
          index: r('src-main/app/main.ts'),
          'job-worker': r('src-main/workers/job-worker.ts'),
          // The species job's worker pool (src-main/workers/pool) starts this next to job-worker.js.
          'wsindy-worker': r('src-main/workers/pool/wsindy-worker.ts'),
        },
      },
    },
  },
  preload: {
    resolve: { alias },
    build: {
      outDir: 'out/preload',
      rollupOptions: {
        input: { index: r('src-main/preload/index.ts') },
        // A sandboxed preload must be CommonJS (pitfall P5).
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: r('src-renderer'),
    resolve: { alias },
    plugins: [svelte({ configFile: r('svelte.config.js') })],
    build: {
      outDir: r('out/renderer'),
      rollupOptions: { input: { index: r('src-renderer/index.html') } },
    },
  },
})
