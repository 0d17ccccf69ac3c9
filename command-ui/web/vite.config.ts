import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

/**
 * Build and dev server of the Argus web application. The built files in command-ui/web/dist are
 * served by the API process; in development `npm run dev:web` proxies the API and socket.io to
 * a locally running Argus on port 8080.
 */
const webRoot = fileURLToPath(new URL('.', import.meta.url));
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const apiTarget = 'http://127.0.0.1:8080';

export default defineConfig({
  root: webRoot,
  base: '/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    target: 'es2022',
    chunkSizeWarningLimit: 400,
    rolldownOptions: {
      treeshake: {
        // The contracts define zod schemas next to the types and helpers the browser uses; the
        // browser never validates with them, so unused schema construction is dropped and zod
        // stays out of the bundle.
        manualPureFunctions: ['z'],
      },
    },
  },
  server: {
    host: '127.0.0.1',
    port: 5173,
    strictPort: true,
    // The browser code imports the shared contracts from the repository root.
    fs: { allow: [repoRoot] },
    proxy: {
      '/api': { target: apiTarget, changeOrigin: false },
      '/socket.io': { target: apiTarget, ws: true, changeOrigin: false },
    },
  },
});
