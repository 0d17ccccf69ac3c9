// Entry of an analysis worker thread: the TypeScript sources run through tsx, as in bin/argus.mjs.
import { register } from 'tsx/esm/api';

register();
await import('./analysis.worker.ts');
