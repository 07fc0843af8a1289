/// <reference types="vitest/config" />
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';

// The entry (src/main.ts) sends the session's refresh and the first screen's requests, then
// imports the app (src/app/start.tsx); index.html preloads the app's chunks beside the entry, so
// neither waits for the other, and scripts/budgets.mjs counts them as initial JavaScript. It also
// names the patient page's and the chart library's chunks, which the entry fetches early on a
// patient's page only.
function preloadApp(): Plugin {
  return {
    name: 'hep-preload-app',
    apply: 'build',
    transformIndexHtml: {
      order: 'post',
      handler(html, { bundle }) {
        if (!bundle) return [];
        const chunks = Object.values(bundle).filter((item) => item.type === 'chunk');
        const start = chunks.find((chunk) => chunk.moduleIds.some((id) => id.endsWith('/src/app/start.tsx')));
        if (!start) throw new Error('no chunk holds src/app/start.tsx');
        const files = new Set<string>();
        const add = (fileName: string) => {
          const chunk = chunks.find((item) => item.fileName === fileName);
          if (!chunk || chunk.isEntry || files.has(fileName) || html.includes(fileName)) return;
          files.add(fileName);
          chunk.imports.forEach(add);
        };
        add(start.fileName);
        const holding = (module: string) => {
          const chunk = chunks.find((item) => item.moduleIds.some((id) => id.endsWith(module)));
          if (!chunk) throw new Error(`no chunk holds ${module}`);
          return `/console/${chunk.fileName}`;
        };
        return [
          ...[...files].map((file) => ({
            tag: 'link',
            attrs: { rel: 'modulepreload', crossorigin: true, href: `/console/${file}` },
            injectTo: 'head' as const,
          })),
          { tag: 'meta', attrs: { name: 'hep-code-chart', content: holding('/src/components/ui/chart.tsx') }, injectTo: 'head' as const },
          {
            tag: 'meta',
            attrs: { name: 'hep-code-patient-page', content: holding('/src/features/patient/components/patient-page.tsx') },
            injectTo: 'head' as const,
          },
        ];
      },
    },
  };
}

// Each script and style sheet is also written gzip- and brotli-compressed beside itself; the
// server sends the smaller copy a browser accepts (server/console.py), about a third of the bytes.
function precompress(): Plugin {
  return {
    name: 'hep-precompress',
    apply: 'build',
    writeBundle(options, bundle) {
      for (const item of Object.values(bundle)) {
        if (!/\.(js|css)$/.test(item.fileName)) continue;
        const source = item.type === 'chunk' ? item.code : item.source;
        const path = join(options.dir!, item.fileName);
        writeFileSync(`${path}.gz`, gzipSync(source, { level: 9 }));
        writeFileSync(`${path}.br`, brotliCompressSync(source, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }));
      }
    },
  };
}

// Served by Flask at /console/; in development the API is proxied from `make run`'s server.
export default defineConfig({
  base: '/console/',
  plugins: [react(), preloadApp(), precompress()],
  build: {
    outDir: 'dist',
    sourcemap: false,
    // The module-preload polyfill would be an inline script, which the CSP forbids.
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 600,
    // Pieces shared by the app and a lazy screen, as small as a badge or a field, join a bigger
    // chunk instead of costing a request each on the first load.
    rollupOptions: { output: { experimentalMinChunkSize: 2_000 } },
  },
  server: {
    proxy: { '/api': 'http://127.0.0.1:8000' },
  },
  test: {
    include: ['src/**/*.test.ts', 'src/**/*.test.tsx'],
    environment: 'node',
  },
});
