import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** How strictly the manifest is kept: not at all, as a help (others run too), or as the only documents that run. */
export type TrustedDocumentsMode = 'off' | 'allow' | 'require';

/** What a request carries that names or holds its document (GraphQL over HTTP, or a WebSocket subscribe payload). */
export interface DocumentRequest {
  query?: unknown;
  /** What codegen's client preset and graphql-yoga send. */
  documentId?: unknown;
  extensions?: unknown;
}

/** A request's document as it will run, or why it will not. */
export type DocumentDecision =
  /** Run `query` (the manifest's document, or the request's own); `changed`: the request named it by id. */
  | { ok: true; query?: string; changed: boolean }
  | { ok: false; code: 'PERSISTED_QUERY_NOT_FOUND' | 'PERSISTED_QUERY_NOT_IN_LIST'; message: string };

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
/** A document's text with its whitespace runs as one space: the same document, however indented, without parsing it. */
const normalized = (text: string) => text.replace(/[\s,]+/g, ' ').trim();

/** Apollo Client's persisted query link: `extensions.persistedQuery.sha256Hash`. */
function persistedHash(extensions: unknown): string | undefined {
  if (typeof extensions !== 'object' || extensions === null) return undefined;
  const persisted = (extensions as { persistedQuery?: unknown }).persistedQuery;
  if (typeof persisted !== 'object' || persisted === null) return undefined;
  const hash = (persisted as { sha256Hash?: unknown }).sha256Hash;
  return typeof hash === 'string' ? hash : undefined;
}

/**
 * Trusted documents: the operations a public frontend's own code contains (codegen's manifest), by id
 * or in full. In `require` mode nothing else runs, and a document not in the manifest is refused
 * before it is parsed; automatic persisted queries can then register nothing.
 */
export class TrustedDocuments {
  private readonly byId = new Map<string, string>();
  private readonly byText = new Set<string>();

  constructor(
    manifest: Readonly<Record<string, string>>,
    readonly mode: TrustedDocumentsMode,
  ) {
    for (const [id, document] of Object.entries(manifest)) {
      this.byId.set(id, document);
      // Apollo's link hashes the document's text: that names it too.
      this.byId.set(sha256(document), document);
      this.byText.add(normalized(document));
    }
  }

  /** Reads a manifest file; throws one sentence when it cannot be read or is not an object of id → document. */
  static load(path: string, mode: TrustedDocumentsMode): TrustedDocuments {
    let manifest: unknown;
    try {
      manifest = JSON.parse(readFileSync(path, 'utf8'));
    } catch (error) {
      const why = error instanceof SyntaxError ? 'it is not JSON' : ((error as NodeJS.ErrnoException).code ?? 'it cannot be read');
      throw new Error(`TRUSTED_DOCUMENTS: the manifest ${path} cannot be read (${why}).`, { cause: error });
    }
    const entries = typeof manifest === 'object' && manifest !== null && !Array.isArray(manifest) ? Object.entries(manifest) : null;
    if (!entries || entries.length === 0 || entries.some(([, document]) => typeof document !== 'string')) {
      throw new Error(`TRUSTED_DOCUMENTS: the manifest ${path} must be a JSON object of id → document, with at least one.`);
    }
    return new TrustedDocuments(Object.fromEntries(entries), mode);
  }

  /** How many documents the manifest holds. */
  get size(): number {
    return this.byText.size;
  }

  /** The document a request runs, or its refusal. */
  decide(request: DocumentRequest): DocumentDecision {
    if (this.mode === 'off') return { ok: true, changed: false };
    const named = typeof request.documentId === 'string' ? request.documentId : persistedHash(request.extensions);
    const query = typeof request.query === 'string' && request.query !== '' ? request.query : undefined;
    if (named !== undefined) {
      const document = this.byId.get(named);
      if (document !== undefined) return { ok: true, query: document, changed: true };
      // An id the manifest does not know, with no document: nothing to run.
      if (query === undefined) {
        return {
          ok: false,
          code: 'PERSISTED_QUERY_NOT_FOUND',
          message: 'No document has this id: send the document itself, or an id from the manifest.',
        };
      }
    }
    if (query === undefined || this.mode === 'allow' || this.byText.has(normalized(query))) return { ok: true, changed: false };
    return {
      ok: false,
      code: 'PERSISTED_QUERY_NOT_IN_LIST',
      message: "This server runs only its apps' own documents (TRUSTED_DOCUMENTS): this one is not among them.",
    };
  }
}
