#!/usr/bin/env node
// The CLI runs from the compiled output; `npm ci` builds it (the prepare script).
if (process.argv[2] === 'run') {
  // A run needs one RSA-2048 key: make it on the thread pool while the modules below load.
  const { prewarmRsa2048 } = await import('../dist/src/pki/prewarm.js');
  prewarmRsa2048();
}
await import('../dist/src/cli/main.js');
