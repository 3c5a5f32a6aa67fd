// Imported first by main.ts, before anything that could fail on an older Node in a less readable way
// (on Node 20 the server died with "Segmentation fault" and nothing else). Keep it in step with
// package.json's engines.
const [major, minor] = process.versions.node.split('.').map(Number);
if (!((major === 22 && minor >= 12) || major >= 24)) {
  process.stderr.write(
    `This server needs Node 22.12 or newer 22, or Node 24 or newer; this is Node ${process.versions.node}. See the README, "Quick start".\n`,
  );
  process.exit(1);
}
