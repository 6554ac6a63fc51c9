import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'

/**
 * The admin console, built by `npm run build` into dist/console/ and served by the same process
 * at /console (src/http/console.ts). No dev server is needed in production.
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/console/',
  // web/public (the favicon) is copied as it is into dist/console/.
  publicDir: 'public',
  build: {
    outDir: fileURLToPath(new URL('../dist/console', import.meta.url)),
    emptyOutDir: true,
    assetsDir: 'assets',
    sourcemap: false,
    chunkSizeWarningLimit: 400,
    rollupOptions: {
      // TanStack Query marks its modules "use client" for server components; a SPA ignores it.
      onwarn(warning, warn) {
        if (warning.code !== 'MODULE_LEVEL_DIRECTIVE') warn(warning)
      },
    },
  },
  server: { proxy: { '/admin/v1': 'http://127.0.0.1:8080' } },
})
