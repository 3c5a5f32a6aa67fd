// Imported first by main.ts, before anything that could fail on an older Node in a less readable way
// (on Node 20 the server died with "Segmentation fault" and nothing else). A test keeps it in step
// with package.json's engines.

/** Whether this server runs on Node `version` (package.json's engines: ^22.12.0 || >=24). */
export function supportedNode(version: string): boolean {
  const [major, minor] = version.replace(/^v/, '').split('.').map(Number);
  return (major === 22 && minor >= 12) || major >= 24;
}

if (!supportedNode(process.versions.node)) {
  process.stderr.write(
    `This server needs Node 22.12 or a newer 22, or Node 24 or newer; this is Node ${process.versions.node}. See docs/operating.md, "Installing: Node and npm".\n`,
  );
  process.exit(1);
}
