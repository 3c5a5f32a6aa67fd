/**
 * Whether a system tool a test file starts for real is here. Without it the file's tests are
 * skipped with `message` (which says how to install it), except under CI=true, where a missing tool
 * fails the run rather than passing it silently.
 */
export function requiredTool(found: boolean, message: string): boolean {
  if (found) return true;
  if (process.env.CI === 'true') throw new Error(`Required under CI=true. ${message}`);
  process.stderr.write(`\n${message}\n\n`);
  return false;
}
