// The generated possibleTypes, imported as plain Node ESM (and Vite) read JSON: a default import with
// the JSON import attribute. A named import ({ possibleTypes }) from JSON works in Vite but not in Node.
import possibleTypesFile from './generated/possible-types.json' with { type: 'json' };

export const { possibleTypes } = possibleTypesFile;
