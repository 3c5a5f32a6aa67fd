// Preloaded into the campaign cell's server (with --expose-gc): SIGWINCH (which close-with-grace leaves alone) runs a full garbage collection,
// so the memory measured afterwards is what the server keeps, not garbage no collection has yet visited.
process.on('SIGWINCH', () => {
  globalThis.gc?.({ type: 'major', execution: 'sync' });
});
