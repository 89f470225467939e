// Bundles the integration the way `bp build` does: one CommonJS file for node, from src/index.ts.
import { build } from 'esbuild'

await build({
  entryPoints: ['src/index.ts'],
  outfile: 'dist/index.cjs',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node18',
  minify: true,
  sourcemap: false,
  logLevel: 'warning',
})
console.log('built dist/index.cjs')
